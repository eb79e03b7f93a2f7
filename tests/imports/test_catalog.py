"""Backstage catalog import: the mapping, dry run, idempotence, and bad files with their lines."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.org.catalog import ImportProblems, apply_changes, backstage_changes
from techalign.org.models import Component, Department, Team
from tests.factories import make_user

ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: trade
spec:
  type: department
  profile:
    displayName: 交易部
  children: [order]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: order
spec:
  type: team
  profile: {displayName: 订单组}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: fin
spec:
  type: department
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  annotations:
    techalign.io/committee: "false"
spec:
  type: team
  parent: group:default/fin
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: arch-committee
  annotations:
    techalign.io/committee: "true"
spec:
  type: team
  parent: trade
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ming
spec: {}
"""

SERVICES = """\
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: refunds
  title: 退款系统
spec:
  owner: group:default/payments
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: refund-service
  description: Refunds, full and partial.
spec:
  type: service
  owner: payments
  system: refunds
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: refund-api
spec:
  type: openapi
  owner: group:payments
  system: system:default/refunds
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Order-Web
spec:
  type: website
  owner: order
"""


def run(*args):
    out = io.StringIO()
    call_command("import_catalog", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "catalog-info.yaml").write_text(ORG)
    (tmp_path / "refunds").mkdir()
    (tmp_path / "refunds" / "catalog-info.yaml").write_text(SERVICES)
    (tmp_path / "refunds" / "ci.yaml").write_text("stages: [build]\n")  # not a catalog file
    return tmp_path


def test_a_dry_run_prints_the_changes_and_writes_nothing(db, catalog):
    out = run(str(catalog), "--dry-run")
    assert "create team payments (name=payments, department_code=fin, is_committee=False)" in out
    assert "create component refund-service (name=refund-service, kind=service" in out
    assert "[" + str(catalog / "refunds" / "catalog-info.yaml") + ":9]" in out
    assert "User ming skipped" in out
    assert out.endswith("dry run, nothing written: 9 to create, 0 to update, 0 unchanged\n")
    assert not Team.objects.exists() and not Component.objects.exists()


def test_groups_systems_components_and_apis_map_onto_the_org(db, catalog):
    out = run(str(catalog))
    assert out.endswith("9 created, 0 updated, 0 unchanged\n")
    order = Team.objects.get(code="order")
    assert order.name == "订单组" and order.department.name == "交易部"  # parent via children
    assert Team.objects.get(code="payments").department.code == "fin"
    assert Team.objects.get(code="arch-committee").is_committee
    refunds = Component.objects.get(key="refunds")
    assert (refunds.kind, refunds.name, refunds.owner_team.code) == (
        "system",
        "退款系统",
        "payments",
    )
    service = Component.objects.get(key="refund-service")
    assert service.system == refunds and service.description == "Refunds, full and partial."
    assert Component.objects.get(key="refund-api").kind == "api"
    web = Component.objects.get(key="order-web")  # names are case-insensitive in Backstage
    assert web.kind == "frontend" and web.owner_team == order
    assert AuditEvent.objects.filter(action="org.component_created").count() == 4


def test_importing_twice_changes_nothing(db, catalog):
    run(str(catalog))
    events = AuditEvent.objects.count()
    assert run(str(catalog)).endswith("0 created, 0 updated, 9 unchanged\n")
    assert AuditEvent.objects.count() == events


def test_a_new_owner_in_the_file_updates_the_component(db, catalog):
    run(str(catalog))
    path = catalog / "refunds" / "catalog-info.yaml"
    path.write_text(SERVICES.replace("  owner: payments\n", "  owner: order\n"))
    out = run(str(path), "--dry-run")
    assert "update component refund-service: owner_code: payments -> order" in out
    run(str(path))
    assert Component.objects.get(key="refund-service").owner_team.code == "order"


def test_an_existing_team_keeps_its_department_without_a_parent(db, catalog):
    run(str(catalog))
    path = catalog / "more.yaml"
    path.write_text(ORG.split("---\n")[3].replace("  parent: group:default/fin\n", ""))
    assert run(str(path)).endswith("0 created, 0 updated, 1 unchanged\n")


def problems_of(text, name="catalog-info.yaml"):
    with pytest.raises(ImportProblems) as raised:
        backstage_changes([(name, text)])
    return [str(p) for p in raised.value.problems]


def test_an_unknown_owner_is_reported_with_its_line(db):
    text = SERVICES.replace("  owner: order\n", "  owner: nobody\n")
    assert problems_of(ORG + "---\n" + text) == [
        "catalog-info.yaml:85: spec.owner nobody of order-web is not a known team"
    ]


def test_every_problem_is_reported_at_once_and_nothing_is_written(db, catalog):
    bad = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: lonely\n"
        "spec:\n  type: service\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: orphan\n"
        "spec:\n  type: team\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: x\n"
        "spec:\n  owner: user:ming\n  system: nowhere\n---\n"
        "kind: Component\nmetadata:\n  name: y\n"
    )
    assert problems_of(bad) == [
        "catalog-info.yaml:1: Component lonely has no spec.owner",
        "catalog-info.yaml:8: team orphan has no department: set spec.parent to a Group of "
        "type department (or to a team that has one)",
        "catalog-info.yaml:20: spec.owner of x must be a Group (a team), not user:ming",
        "catalog-info.yaml:23: not a Backstage entity (apiVersion backstage.io/v1alpha1 expected)",
    ]
    with pytest.raises(CommandError) as raised:
        (catalog / "bad.yaml").write_text(bad)
        run(str(catalog / "bad.yaml"), str(catalog))
    assert "nothing imported" in str(raised.value)
    assert not Department.objects.exists()


def test_invalid_yaml_and_duplicates_name_their_lines(db):
    assert problems_of("apiVersion: backstage.io/v1alpha1\nkind: [Group\n") == [
        "catalog-info.yaml:3: not valid YAML: expected ',' or ']', but got '<stream end>'"
    ]
    twice = ORG.split("---\n")[2]
    assert problems_of(twice + "---\n" + twice) == [
        "catalog-info.yaml:8: Group fin is already defined as Group at catalog-info.yaml:1"
    ]


def test_names_that_cannot_be_codes_are_refused(db):
    text = ORG.split("---\n")[2].replace("name: fin", "name: " + "f" * 51)
    (problem,) = problems_of(text)
    assert problem.startswith("catalog-info.yaml:4: Group name ")


def test_only_an_administrator_may_apply_an_import(w):
    changes = backstage_changes([("c.yaml", ORG)])
    with pytest.raises(Refused) as refused:
        apply_changes(actor=make_user("nobody"), changes=changes, source="backstage")
    assert refused.value.code == "org.admin_required"
    assert not Department.objects.filter(code="trade2").exists()


def test_a_missing_path_is_a_usage_error(db, tmp_path):
    with pytest.raises(CommandError) as raised:
        run(str(tmp_path / "missing.yaml"))
    assert raised.value.returncode == 2
