"""Shared fixtures, and what the test run sets up around them."""

import pytest
from django.conf import settings

from tests.factories import World, world


def pytest_report_header(config: pytest.Config) -> str:
    """Name the database the run uses: make test runs the suite on SQLite and on PostgreSQL."""
    db = settings.DATABASES["default"]
    vendor = db["ENGINE"].rsplit(".", 1)[-1]
    where = f"{db['HOST']}:{db['PORT']}" if db.get("HOST") else db["NAME"] or "memory"
    return f"database: {vendor} at {where}"


@pytest.fixture
def w(db) -> World:
    return world()
