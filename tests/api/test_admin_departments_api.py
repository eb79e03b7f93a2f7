"""Departments and the organisation policy through the administration API: an administrator
creates, renames and removes empty departments and changes the cost-of-change policy, each
change audited; everyone else is refused naming the administrator role, and a stale ETag is
refused without writing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from techalign.audit.models import AuditEvent
from techalign.org.models import Department, OrgPolicy
from tests.api.conftest import Api

A = "/admin"


def _done(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome="done").order_by("seq"))


def test_an_administrator_creates_and_renames_a_department_audited(w, ada, admin):
    created = admin.post(f"{A}/departments", {"code": "ops", "name": "运维部"})
    assert created.status_code == 201, created.content
    assert created["ETag"] == '"v1"'
    assert created.json() == {"code": "ops", "name": "运维部", "teams": [], "version": 1}
    renamed = admin.patch(f"{A}/departments/ops", {"name": "运维中心"}, if_match='"v1"')
    assert renamed.status_code == 200, renamed.content
    assert renamed["ETag"] == '"v2"'
    assert Department.objects.get(code="ops").name == "运维中心"
    saved = _done("department.saved")
    assert [e.actor for e in saved] == [ada, ada]
    assert saved[1].summary["changes"] == {"name": ["运维部", "运维中心"]}


def test_a_stale_etag_renames_nothing(w, admin):
    admin.patch(f"{A}/departments/fin", {"name": "财经部"}, if_match='"v1"')
    stale = admin.patch(f"{A}/departments/fin", {"name": "金融部 2"}, if_match='"v1"')
    assert stale.status_code == 412
    assert stale.json()["code"] == "conflict.stale_version"
    assert Department.objects.get(code="fin").name == "财经部"
    unconditional = admin.patch(f"{A}/departments/fin", {"name": "x"})
    assert unconditional.status_code == 428


def test_only_an_empty_department_is_removed(w, ada, admin):
    refused = admin.delete(f"{A}/departments/fin", if_match='"v1"')
    assert refused.status_code == 409
    assert refused.json()["code"] == "org.department_not_empty"
    assert "payments" in refused.json()["message"]
    admin.post(f"{A}/departments", {"code": "ops", "name": "运维部"})
    stale = admin.delete(f"{A}/departments/ops", if_match='"v7"')
    assert stale.status_code == 412
    assert Department.objects.filter(code="ops").exists()
    removed = admin.delete(f"{A}/departments/ops", if_match='"v1"')
    assert removed.status_code == 204
    assert not Department.objects.filter(code="ops").exists()
    [event] = _done("department.removed")
    assert event.actor == ada and event.summary == {"code": "ops", "name": "运维部"}


def test_moving_a_team_to_another_department_is_a_team_edit(w, admin):
    moved = admin.patch(f"{A}/teams/payments", {"department": "trade"}, if_match='"v1"')
    assert moved.status_code == 200, moved.content
    listed = admin.get(f"{A}/departments").json()["items"]
    assert "payments" in next(d for d in listed if d["code"] == "trade")["teams"]


def test_an_administrator_changes_the_organisation_policy_with_its_etag(w, ada, admin):
    read = admin.get(f"{A}/org-policy")
    assert read.status_code == 200 and read["ETag"] == '"v1"'
    assert read.json()["cost_curve"]["production"] == 100
    changed = admin.put(
        f"{A}/org-policy",
        {"cost_per_extra_party": "0.5", "cost_curve": {"production": 60}},
        if_match='"v1"',
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"v2"'
    body = changed.json()
    assert body["cost_curve"]["production"] == 60 and body["cost_curve"]["testing"] == 15
    policy = OrgPolicy.objects.get()
    assert policy.cost_per_extra_party == Decimal("0.50")
    assert policy.cost_weight("production") == 60
    [event] = _done("org_policy.updated")
    assert event.actor == ada
    assert event.summary["changes"]["cost_per_extra_party"] == ["1.00", "0.50"]
    stale = admin.put(f"{A}/org-policy", {"cost_per_extra_party": "2"}, if_match='"v1"')
    assert stale.status_code == 412
    assert OrgPolicy.objects.get().cost_per_extra_party == Decimal("0.50")


def test_an_unknown_phase_is_refused(w, admin):
    refused = admin.put(f"{A}/org-policy", {"cost_curve": {"lunch": 3}}, if_match='"v1"')
    assert refused.status_code == 422
    assert not OrgPolicy.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"{A}/departments", None),
        ("post", f"{A}/departments", {"code": "ops", "name": "运维部"}),
        ("patch", f"{A}/departments/fin", {"name": "财经部"}),
        ("delete", f"{A}/departments/growth", None),
        ("get", f"{A}/org-policy", None),
        ("put", f"{A}/org-policy", {"cost_per_extra_party": "0"}),
    ],
)
def test_anyone_but_an_administrator_is_refused(w, method, path, body):
    lead_pm = Api(w.ming, "en")
    if method == "get":
        response = lead_pm.get(path)
    elif method == "delete":
        response = lead_pm.delete(path, if_match='"v1"')
    else:
        response = getattr(lead_pm, method)(path, body, if_match='"v1"')
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "org.admin_required"
    assert response.json()["details"]["roles"] == ["ADMIN"]
    assert Department.objects.filter(code="fin").get().name == "金融部"
    assert not Department.objects.filter(code="ops").exists()
    assert Department.objects.filter(code="growth").exists()
    assert not OrgPolicy.objects.exists()
