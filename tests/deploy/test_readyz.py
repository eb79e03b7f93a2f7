"""/readyz: a load balancer sends traffic to a node only while it can serve."""

from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from tests.factories import make_user
from tests.integrity.support import Stage, free_port


def test_a_migrated_node_with_its_database_is_ready(db):
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert response["Cache-Control"] == "no-store"


def test_pending_migrations_make_the_node_unready_without_naming_them_to_strangers(db):
    MigrationRecorder.Migration.objects.filter(app="plans").delete()

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "migrations_pending"}


def test_staff_see_which_migrations_are_pending(db):
    ops = Client()
    ops.force_login(make_user("ops", is_staff=True))
    MigrationRecorder.Migration.objects.filter(app="plans").delete()

    body = ops.get("/readyz").json()

    assert body["reason"] == "migrations_pending"
    assert "plans.0001_initial" in body["pending"]


def test_an_unreachable_database_makes_the_node_unready_without_saying_where_it_is(db, tmp_path):
    nowhere = f"postgres://techalign:secret@127.0.0.1:{free_port()}/techalign"

    with Stage(tmp_path).connected_to(nowhere):
        response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database_unreachable"}
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_still_answers_while_readyz_refuses(db):
    MigrationRecorder.Migration.objects.filter(app="plans").delete()

    assert Client().get("/healthz").status_code == 200
    assert Client().get("/readyz").status_code == 503
