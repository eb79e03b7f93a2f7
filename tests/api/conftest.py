import pytest
from django.test import Client

from techalign.org.models import Role, User
from techalign.org.services import issue_token
from tests.factories import grant, make_user


class Api:
    """A JSON client acting as one persona through a real bearer token."""

    def __init__(self, user, language: str | None = None):
        _token, raw = issue_token(actor=None, user=user)
        self.headers = {"Authorization": f"Bearer {raw}"}
        if language:
            self.headers["Accept-Language"] = language
        self.client = Client()

    def _call(self, method: str, path: str, body=None, if_match: str | None = None, **params):
        url = "/api/v1" + path
        headers = {**self.headers, **({"If-Match": if_match} if if_match else {})}
        kwargs = {"headers": headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path, **params):
        return self._call("get", path, **params)

    def post(self, path, body=None, if_match=None):
        return self._call("post", path, {} if body is None else body, if_match=if_match)

    def patch(self, path, body, if_match=None):
        return self._call("patch", path, body, if_match=if_match)

    def put(self, path, body, if_match=None):
        return self._call("put", path, body, if_match=if_match)

    def delete(self, path, if_match=None, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self._call("delete", path + (f"?{query}" if query else ""), if_match=if_match)


@pytest.fixture
def as_(w):
    """`as_("ming")` -> an Api client for that persona."""
    cache = {}

    def client(name: str, language: str | None = "en") -> Api:
        key = (name, language)
        if key not in cache:
            cache[key] = Api(getattr(w, name), language)
        return cache[key]

    return client


@pytest.fixture
def ada(w) -> User:
    """An administrator (she holds the role in the committee)."""
    return grant(make_user("ada", display_name="Ada"), w.committee, Role.ADMIN)


@pytest.fixture
def admin(ada) -> Api:
    """An API client for the administrator ada."""
    return Api(ada, "en")
