from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse


def healthz(request):
    """Liveness and readiness: the database answers and every migration is applied.

    Strangers (load balancers, probes) learn only that; where the database lives and which
    migrations are pending is for signed-in staff.
    """
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    body = {
        "status": "ok" if not pending else "migrations_pending",
        "database": {"reachable": True},
        "migrations": {"applied": not pending},
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        body["database"].update(
            vendor=connection.vendor, name=str(connection.settings_dict["NAME"])
        )
        body["migrations"]["pending"] = [f"{m.app_label}.{m.name}" for m, _ in pending]
    return JsonResponse(body, status=200)
