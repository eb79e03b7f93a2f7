"""PostgreSQL connections come from a per-process pool unless it is turned off; a SQLite
connection is kept between requests."""

from techalign.settings import database_from_url

URL = "postgres://techalign:secret@db.internal:5432/techalign"


def test_postgresql_uses_a_pool_sized_from_the_environment(monkeypatch):
    monkeypatch.setenv("TECHALIGN_DB_POOL_MIN_SIZE", "2")
    monkeypatch.setenv("TECHALIGN_DB_POOL_MAX_SIZE", "6")
    database = database_from_url(URL)
    assert database["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert database["CONN_HEALTH_CHECKS"] is True  # each connection is checked as it is lent
    assert database["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 6, "timeout": 10.0}


def test_the_pool_defaults_to_one_connection_kept_and_at_most_four(monkeypatch):
    for name in ["TECHALIGN_DB_POOL_MIN_SIZE", "TECHALIGN_DB_POOL_MAX_SIZE"]:
        monkeypatch.delenv(name, raising=False)
    assert database_from_url(URL)["OPTIONS"]["pool"]["min_size"] == 1
    assert database_from_url(URL)["OPTIONS"]["pool"]["max_size"] == 4


def test_a_max_size_of_zero_turns_the_pool_off_for_a_pooler_in_front(monkeypatch):
    monkeypatch.setenv("TECHALIGN_DB_POOL_MAX_SIZE", "0")
    database = database_from_url(URL)
    assert "pool" not in database.get("OPTIONS", {})
    assert database["CONN_MAX_AGE"] == 60


def test_sqlite_has_no_pool():
    assert "pool" not in database_from_url("sqlite:///tmp/x.sqlite3")["OPTIONS"]


def test_sqlite_keeps_a_connection_for_ten_minutes():
    # A served request's end closes an older one (the in-memory test database never closes).
    assert database_from_url("sqlite:///tmp/x.sqlite3")["CONN_MAX_AGE"] == 600
