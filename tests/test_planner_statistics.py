"""The worker keeps the query planner's statistics fresh; the first refresh makes them exist."""

from django.db import connection

from techalign.core.db import refresh_planner_statistics
from tests.factories import advance, world


def _analysed_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        else:
            cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        return {row[0] for row in cursor.fetchall()}


def test_refreshing_the_statistics_samples_the_process_tables(transactional_db):
    advance(world(), "planning")
    refresh_planner_statistics()
    assert {"requirements_requirement", "requirements_scenario", "plans_item"} <= (
        _analysed_tables()
    )
