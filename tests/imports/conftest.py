import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """The import problems are asserted in English; the project's default language is Chinese."""
    with translation.override("en"):
        yield
