"""Departments on the administrators' /manage/ page: added, renamed and (once empty) removed
through the audited org services; a stale rename or a department with teams is refused with
the reason, and someone who is not an administrator is refused the page."""

from __future__ import annotations

import pytest

from techalign.audit.models import AuditEvent
from techalign.org.models import DEFAULT_COST_CURVE, Department, OrgPolicy, Role, User
from tests.factories import grant, make_user


@pytest.fixture
def admin(w) -> User:
    return grant(make_user("ada", display_name="Ada"), w.committee, Role.ADMIN)


def test_an_administrator_adds_renames_and_removes_a_department(w, admin, as_user):
    browser = as_user(admin, "zh-hans")
    added = browser.post("/manage/", {"form": "department", "code": "ops", "name": "运维部"})
    assert added.status_code == 302
    page = browser.get("/manage/").content.decode()
    assert "运维部" in page and "删除部门" in page
    renamed = browser.post(
        "/manage/", {"form": "rename_department", "code": "ops", "version": 1, "name": "运维中心"}
    )
    assert renamed.status_code == 302
    assert Department.objects.get(code="ops").name == "运维中心"
    stale = browser.post(
        "/manage/", {"form": "rename_department", "code": "ops", "version": 1, "name": "旧名"}
    )
    assert stale.status_code == 412
    assert Department.objects.get(code="ops").name == "运维中心"
    removed = browser.post("/manage/", {"form": "remove_department", "code": "ops", "version": 2})
    assert removed.status_code == 302
    assert not Department.objects.filter(code="ops").exists()
    actions = list(
        AuditEvent.objects.filter(actor=admin).order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["department.saved", "department.saved", "department.removed"]


def test_a_department_with_teams_is_not_removed(w, admin, as_user):
    fin = Department.objects.get(code="fin")
    refused = as_user(admin, "zh-hans").post(
        "/manage/", {"form": "remove_department", "code": "fin", "version": fin.version}
    )
    assert refused.status_code == 409
    assert "部门 fin 下仍有团队" in refused.content.decode()
    assert Department.objects.filter(code="fin").exists()


def test_someone_not_an_administrator_adds_no_department(w, as_user):
    refused = as_user(w.ming).post("/manage/", {"form": "department", "code": "ops", "name": "x"})
    assert refused.status_code == 403
    assert not Department.objects.filter(code="ops").exists()


def _policy_post(version: int, **weights) -> dict:
    curve = dict(DEFAULT_COST_CURVE)
    curve.update(weights)
    return {
        "form": "policy",
        "version": version,
        "cost_per_extra_party": "0.5",
        **{f"weight_{phase}": weight for phase, weight in curve.items()},
    }


def test_an_administrator_changes_the_organisation_policy_on_the_page(w, admin, as_user):
    browser = as_user(admin, "zh-hans")
    page = browser.get("/manage/").content.decode()
    assert 'name="weight_production"' in page and 'name="version"' in page
    saved = browser.post("/manage/", _policy_post(1, production=60))
    assert saved.status_code == 302
    policy = OrgPolicy.objects.get()
    assert policy.cost_weight("production") == 60 and str(policy.cost_per_extra_party) == "0.50"
    stale = browser.post("/manage/", _policy_post(1, production=80))
    assert stale.status_code == 412
    assert OrgPolicy.objects.get().cost_weight("production") == 60
    assert AuditEvent.objects.filter(action="org_policy.updated", actor=admin).count() == 1
