"""Fixtures of the integrity tests: a stage where real servers run against the test's data."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.factories import World, world
from tests.integrity.support import Stage

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

sqlite_only = pytest.mark.skipif(
    ON_POSTGRESQL, reason="SQLite's locking and files; this runs in the SQLite pass of make test"
)
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only")


@pytest.fixture
def stage(transactional_db, tmp_path) -> Stage:
    """Committed data and a place to serve it; every server started here dies with the test."""
    stage = Stage(tmp_path)
    yield stage
    stage.close()


@pytest.fixture
def tw(transactional_db) -> World:
    """The personas, committed, so servers and other connections see them."""
    return world()
