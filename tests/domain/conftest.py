import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The personas get passwords; hashing them at production strength is most of a test's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english():
    """Refusals are asserted in English; test_refusal_messages switches to Chinese on purpose."""
    with translation.override("en"):
        yield
