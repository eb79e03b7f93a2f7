import functools
from typing import Any

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, HttpResponse, JsonResponse


def _pending_migrations() -> list[tuple[Migration, bool]]:
    """Migrations of this code not yet applied to the database (raises if it is unreachable)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def _is_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    try:
        return user is not None and user.is_authenticated and user.is_staff
    except DatabaseError:
        # A session cookie with the database down: nobody can be recognised as staff.
        return False


def no_icon(request: HttpRequest) -> HttpResponse:
    """Our pages declare an empty icon; the admin's do not, so browsers ask for /favicon.ico
    on every admin page and log each 404 as an error. Nothing to show, said once a day."""
    response = HttpResponse(status=204)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers and every migration is applied.

    Strangers (load balancers, probes) learn only that; where the database lives and which
    migrations are pending is for signed-in staff.
    """
    pending = _pending_migrations()
    database: dict[str, Any] = {"reachable": True}
    migrations: dict[str, Any] = {"applied": not pending}
    if _is_staff(request):
        database.update(vendor=connection.vendor, name=str(connection.settings_dict["NAME"]))
        migrations["pending"] = [f"{m.app_label}.{m.name}" for m, _ in pending]
    body = {
        "status": "ok" if not pending else "migrations_pending",
        "database": database,
        "migrations": migrations,
    }
    return JsonResponse(body, status=200)


@functools.cache
def _migrations_of_this_code() -> frozenset[tuple[str, str]]:
    """Every migration on disk, read once per process (a load balancer probes often)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness for a load balancer: 200 when this node can serve, else 503 with the reason.

    Ready means the database answers and every migration of this code is applied. The reason
    is a code (`database_unreachable`, `migrations_pending`); the database error and the
    pending migrations are shown to signed-in staff only, never to anonymous probes.
    """
    body: dict[str, Any] = {"status": "ready"}
    try:
        # One query: it proves the database answers, and says what is applied.
        applied = set(MigrationRecorder(connection).applied_migrations())
        pending = sorted(_migrations_of_this_code() - applied)
    except DatabaseError as error:
        body = {"status": "unavailable", "reason": "database_unreachable"}
        if _is_staff(request):
            body["error"] = str(error).strip()
    else:
        if pending:
            body = {"status": "unavailable", "reason": "migrations_pending"}
            if _is_staff(request):
                body["pending"] = [f"{app}.{name}" for app, name in pending]
    response = JsonResponse(body, status=200 if body["status"] == "ready" else 503)
    response["Cache-Control"] = "no-store"
    return response
