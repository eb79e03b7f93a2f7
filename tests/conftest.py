"""Shared fixtures, and what the test run sets up around them."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models.sql.compiler import SQLCompiler

from techalign.core.answers import kept_answers
from tests.factories import World, advance, grow, world


def pytest_report_header(config: pytest.Config) -> str:
    """Name the database the run uses: make test runs the suite on SQLite and on PostgreSQL."""
    db = settings.DATABASES["default"]
    vendor = db["ENGINE"].rsplit(".", 1)[-1]
    where = f"{db['HOST']}:{db['PORT']}" if db.get("HOST") else db["NAME"] or "memory"
    return f"database: {vendor} at {where}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs the suite twice, on SQLite then on PostgreSQL. A test marked
    `one_database` checks nothing the database changes (how a browser draws the pages, a
    server on a SQLite file of its own): the PostgreSQL pass skips it, saying so, instead of
    spending minutes on the same answer."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="does not depend on the database: run in the SQLite pass")
    for item in items:
        if item.get_closest_marker("one_database"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_answer_kept_by_another_test():
    """Each test's database starts over, ids and audit sequence numbers too, so an ETag can
    come back with another body: answers kept by an earlier test must not serve this one."""
    kept_answers.clear()


@pytest.fixture
def compiles(monkeypatch):
    """The model of each query Django turns into SQL from here on (prepared queries do not)."""
    calls = []
    original = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        calls.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return calls


@pytest.fixture
def w(db) -> World:
    return world()


# Real Chromium, one per test process, shared by the browser tests of every folder: a second
# sync Playwright in the same process refuses to start inside the first one's event loop.
# Playwright's sync API runs an event loop in the test thread; Django refuses database access
# from such a thread unless told it is safe, which it is here (one test thread, one server).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=["small", "large"])
def sized(request, w):
    """A requirement in planning, as made and with 20 more scenarios and 15 more items: what
    a page or answer reads must not grow with it (query-count tests)."""
    req = advance(w, "planning")
    if request.param == "large":
        grow(w, req, scenarios=20, items=15)
    return req
