from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse


def healthz(request):
    """Liveness and readiness: the database answers and every migration is applied."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    body = {
        "status": "ok" if not pending else "migrations_pending",
        "database": {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])},
        "migrations": {
            "applied": not pending,
            "pending": [f"{m.app_label}.{m.name}" for m, _ in pending],
        },
    }
    return JsonResponse(body, status=200)
