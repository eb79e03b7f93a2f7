"""Pages are exercised through Django's test client, signed in as the world's personas."""

import pytest
from django.test import Client

from techalign.org.models import User


@pytest.fixture
def as_user(db):
    """`as_user(user)` -> a test client signed in as that persona."""

    def sign_in(user: User, language: str = "en") -> Client:
        client = Client()
        client.force_login(user)
        session = client.session
        session["language"] = language
        session.save()
        return client

    return sign_in
