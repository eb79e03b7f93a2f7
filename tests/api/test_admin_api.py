"""The administration API: an administrator scripts teams, roles, people, the service catalog
and the company calendar through the same audited services as the /manage/ pages; everyone else
is refused naming the administrator role, and edits need the ETag the client read."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from techalign.audit.models import AuditEvent
from techalign.calendars.models import CompanyDay, HolidayPolicy
from techalign.org import services
from techalign.org.models import Component, Membership, Role, Team, User
from tests.api.conftest import Api
from tests.factories import grant, make_user

A = "/admin"


def _done(action: str, actor: User | None = None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(action=action, outcome="done").order_by("seq")
    return list(events.filter(actor=actor) if actor else events)


def _refused_for_not_admin(response) -> None:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "org.admin_required"
    assert body["details"]["roles"] == ["ADMIN"]
    assert body["details"]["role_names"] == ["Administrator"]
    assert "Only an administrator may" in body["message"]


# --- teams ---------------------------------------------------------------------------------------


def test_an_administrator_creates_a_team_and_it_is_audited(w, ada, admin):
    response = admin.post(
        f"{A}/teams", {"code": "risk", "name": "风控组", "department": "fin", "is_committee": False}
    )

    assert response.status_code == 201
    assert response["ETag"] == '"v1"'
    assert response.json() == {
        "code": "risk",
        "name": "风控组",
        "department": "fin",
        "is_committee": False,
        "version": 1,
    }
    assert Team.objects.get(code="risk").department.code == "fin"
    [event] = _done("team.saved", ada)
    assert event.summary["created"] is True


def test_creating_a_team_with_a_code_in_use_or_an_unknown_department_is_refused(w, admin):
    taken = admin.post(f"{A}/teams", {"code": "order", "name": "抢", "department": "fin"})
    assert taken.status_code == 422
    assert taken.json()["details"]["field"] == "code"
    assert Team.objects.get(code="order").name == "订单组"

    unknown = admin.post(f"{A}/teams", {"code": "risk", "name": "风控组", "department": "nope"})
    assert unknown.status_code == 404
    assert not Team.objects.filter(code="risk").exists()


def test_renaming_a_team_needs_the_etag_of_the_team_as_read(w, ada, admin):
    read = admin.get(f"{A}/teams/order")
    assert read.status_code == 200 and read["ETag"] == '"v1"'

    renamed = admin.patch(
        f"{A}/teams/order", {"name": "交易订单组", "department": "fin"}, if_match=read["ETag"]
    )
    assert renamed.status_code == 200, renamed.content
    assert renamed["ETag"] == '"v2"'
    assert renamed.json()["name"] == "交易订单组"
    assert renamed.json()["department"] == "fin"
    assert renamed.json()["is_committee"] is False  # not sent: unchanged
    [event] = _done("team.saved", ada)
    assert event.summary["changes"]["name"] == ["订单组", "交易订单组"]

    stale = admin.patch(f"{A}/teams/order", {"name": "旧"}, if_match=read["ETag"])
    assert stale.status_code == 412
    assert stale.json()["code"] == "conflict.stale_version"
    assert stale.json()["details"]["current"] == "2"
    missing = admin.patch(f"{A}/teams/order", {"name": "旧"})
    assert missing.status_code == 428
    assert Team.objects.get(code="order").name == "交易订单组"


def test_a_change_made_on_the_manage_page_outdates_the_etag_a_script_read(w, ada, admin):
    etag = admin.get(f"{A}/teams/payments")["ETag"]
    services.save_team(
        actor=ada, code="payments", name="支付中台", department=w.payments.department
    )

    stale = admin.patch(f"{A}/teams/payments", {"is_committee": True}, if_match=etag)

    assert stale.status_code == 412
    assert Team.objects.get(code="payments").is_committee is False


def test_a_stale_etag_is_refused_even_when_the_edit_would_change_nothing(w, ada, admin):
    etag = admin.get(f"{A}/teams/payments")["ETag"]
    services.save_team(
        actor=ada, code="payments", name="支付中台", department=w.payments.department
    )

    same = admin.patch(f"{A}/teams/payments", {"name": "支付中台"}, if_match=etag)

    assert same.status_code == 412


def test_members_are_listed_granted_and_revoked_by_role_code(w, ada, admin):
    members = admin.get(f"{A}/teams/order/members").json()
    assert members["count"] == 4
    assert [(m["username"], m["role"]) for m in members["items"]] == [
        ("fang", "DEV"),
        ("lei", "DEV"),
        ("ming", "PM"),
        ("qiang", "TECH_LEAD"),
    ]

    granted = admin.post(f"{A}/teams/order/members", {"username": "jun", "role": "ARCHITECT"})
    assert granted.status_code == 201
    assert granted.json() == {
        "username": "jun",
        "display_name": "",
        "role": "ARCHITECT",
        "is_active": True,
    }
    assert Membership.objects.filter(user=w.jun, team=w.order, role=Role.ARCHITECT).exists()
    assert [e.summary["role"] for e in _done("role.granted", ada)] == ["ARCHITECT"]

    again = admin.post(f"{A}/teams/order/members", {"username": "jun", "role": "ARCHITECT"})
    assert again.status_code == 201
    assert len(_done("role.granted", ada)) == 1  # held already: nothing changed

    revoked = admin.delete(f"{A}/teams/order/members/jun/ARCHITECT")
    assert revoked.status_code == 204
    assert not Membership.objects.filter(user=w.jun, team=w.order, role=Role.ARCHITECT).exists()
    assert len(_done("role.revoked", ada)) == 1


def test_granting_to_an_inactive_person_or_an_unknown_role_is_refused(w, admin):
    User.objects.filter(pk=w.charlie.pk).update(is_active=False)

    inactive = admin.post(f"{A}/teams/order/members", {"username": "charlie", "role": "DEV"})
    assert inactive.status_code == 409
    assert inactive.json()["code"] == "token.user_inactive"

    unknown_role = admin.post(f"{A}/teams/order/members", {"username": "jun", "role": "BOSS"})
    assert unknown_role.status_code == 422
    unknown_person = admin.post(f"{A}/teams/order/members", {"username": "nobody", "role": "DEV"})
    assert unknown_person.status_code == 404
    assert not Membership.objects.filter(team=w.order, user__username="charlie").exists()


def test_the_last_administrator_keeps_the_role(w, ada, admin):
    refused = admin.delete(f"{A}/teams/committee/members/ada/ADMIN")

    assert refused.status_code == 409
    assert refused.json()["code"] == "org.last_admin"
    assert Membership.objects.filter(user=ada, role=Role.ADMIN).exists()


def test_someone_without_the_administrator_role_is_refused_and_nothing_is_written(w, as_):
    lead = as_("qiang")
    before = AuditEvent.objects.filter(outcome="done").count()

    _refused_for_not_admin(lead.get(f"{A}/teams"))
    _refused_for_not_admin(lead.get(f"{A}/teams/order/members"))
    _refused_for_not_admin(lead.post(f"{A}/teams", {"code": "x", "name": "X", "department": "fin"}))
    _refused_for_not_admin(lead.patch(f"{A}/teams/order", {"name": "改"}, if_match='"v1"'))
    _refused_for_not_admin(
        lead.post(f"{A}/teams/order/members", {"username": "qiang", "role": "ADMIN"})
    )
    _refused_for_not_admin(lead.delete(f"{A}/teams/order/members/lei/DEV"))

    assert not Team.objects.filter(code="x").exists()
    assert Team.objects.get(code="order").name == "订单组"
    assert Membership.objects.filter(user=w.lei, team=w.order, role=Role.DEV).exists()
    assert not Membership.objects.filter(user=w.qiang, role=Role.ADMIN).exists()
    assert AuditEvent.objects.filter(outcome="done").count() == before


def test_the_refusal_is_in_the_callers_language(w):
    refused = Api(w.qiang, "zh-hans").get(f"{A}/people")

    assert refused.status_code == 403
    assert refused.json()["details"]["roles"] == ["ADMIN"]
    assert "管理员" in refused.json()["message"]


# --- people --------------------------------------------------------------------------------------


def test_an_administrator_adds_a_person_who_has_no_password_yet(ada, admin):
    response = admin.post(
        f"{A}/people", {"username": "xiaoyu", "display_name": "小雨", "email": "xy@example.com"}
    )

    assert response.status_code == 201
    assert response["ETag"] == '"v1"'
    assert response.json() == {
        "username": "xiaoyu",
        "display_name": "小雨",
        "email": "xy@example.com",
        "is_active": True,
        "version": 1,
        "roles": [],
    }
    person = User.objects.get(username="xiaoyu")
    assert not person.has_usable_password()
    assert len(_done("user.saved", ada)) == 1


def test_a_person_with_a_user_name_in_use_or_a_bad_email_is_refused(w, admin):
    taken = admin.post(f"{A}/people", {"username": "lei", "display_name": "冒名"})
    assert taken.status_code == 422
    assert User.objects.get(username="lei").display_name == ""

    bad = admin.post(f"{A}/people", {"username": "xiaoyu", "email": "not-an-address"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "input.invalid"
    assert not User.objects.filter(username="xiaoyu").exists()


def test_deactivating_and_reactivating_a_person_needs_their_etag(w, ada, admin):
    read = admin.get(f"{A}/people/jun")
    assert read.json()["roles"] == [{"team": "payments", "role": "DEV"}]

    off = admin.patch(f"{A}/people/jun", {"is_active": False}, if_match=read["ETag"])
    assert off.status_code == 200, off.content
    assert off.json()["is_active"] is False
    assert User.objects.get(username="jun").is_active is False
    assert _done("user.saved", ada)[0].summary["changes"] == {"is_active": ["True", "False"]}

    stale = admin.patch(f"{A}/people/jun", {"is_active": True}, if_match=read["ETag"])
    assert stale.status_code == 412
    assert User.objects.get(username="jun").is_active is False

    inactive = admin.get(f"{A}/people", is_active="false").json()
    assert [p["username"] for p in inactive["items"]] == ["jun"]

    on = admin.patch(f"{A}/people/jun", {"is_active": True}, if_match=off["ETag"])
    assert on.status_code == 200
    assert User.objects.get(username="jun").is_active is True


def test_an_administrator_cannot_deactivate_themselves(ada, admin):
    etag = admin.get(f"{A}/people/ada")["ETag"]

    refused = admin.patch(f"{A}/people/ada", {"is_active": False}, if_match=etag)

    assert refused.status_code == 409
    assert refused.json()["code"] == "org.deactivate_self"
    assert User.objects.get(username="ada").is_active is True


def test_people_are_searched_and_paged(w, admin):
    found = admin.get(f"{A}/people", q="AN", limit=1).json()

    assert found["count"] == 2  # fang and qiang
    assert [p["username"] for p in found["items"]] == ["fang"]


def test_people_are_refused_to_someone_without_the_administrator_role(w, as_):
    lead = as_("ming")

    _refused_for_not_admin(lead.get(f"{A}/people"))
    _refused_for_not_admin(lead.get(f"{A}/people/jun"))
    _refused_for_not_admin(lead.post(f"{A}/people", {"username": "xiaoyu"}))
    _refused_for_not_admin(lead.patch(f"{A}/people/jun", {"is_active": False}, if_match='"v1"'))

    assert not User.objects.filter(username="xiaoyu").exists()
    assert User.objects.get(username="jun").is_active is True


# --- components ----------------------------------------------------------------------------------


def test_an_administrator_adds_a_component_and_moves_it_to_another_team(w, ada, admin):
    created = admin.post(
        f"{A}/components",
        {"key": "risk-engine", "name": "风控引擎", "kind": "service", "owner_team": "order"},
    )
    assert created.status_code == 201
    assert created.json()["owner_team"] == "order"

    moved = admin.patch(
        f"{A}/components/risk-engine", {"owner_team": "payments"}, if_match=created["ETag"]
    )
    assert moved.status_code == 200, moved.content
    assert moved.json() == {
        "key": "risk-engine",
        "name": "风控引擎",
        "kind": "service",
        "owner_team": "payments",
        "description": "",
        "version": 2,
    }
    assert Component.objects.get(key="risk-engine").owner_team == w.payments
    events = _done("component.saved", ada)
    assert [e.summary["created"] for e in events] == [True, False]
    assert events[1].summary["changes"] == {"owner_team": ["订单组", "支付组"]}

    stale = admin.patch(f"{A}/components/risk-engine", {"name": "旧"}, if_match=created["ETag"])
    assert stale.status_code == 412
    assert Component.objects.get(key="risk-engine").name == "风控引擎"


def test_a_component_key_in_use_or_an_unknown_owner_is_refused(w, admin):
    taken = admin.post(f"{A}/components", {"key": "ledger", "name": "抢", "owner_team": "order"})
    assert taken.status_code == 422
    etag = admin.get(f"{A}/components/ledger")["ETag"]
    unknown = admin.patch(f"{A}/components/ledger", {"owner_team": "nope"}, if_match=etag)
    assert unknown.status_code == 404
    ledger = Component.objects.get(key="ledger")
    assert (ledger.name, ledger.owner_team) == ("总账", w.finance)


def test_components_are_refused_to_someone_without_the_administrator_role(w, as_):
    dev = as_("lei")

    _refused_for_not_admin(dev.get(f"{A}/components"))
    _refused_for_not_admin(dev.get(f"{A}/components/ledger"))
    _refused_for_not_admin(
        dev.post(f"{A}/components", {"key": "x", "name": "X", "owner_team": "order"})
    )
    _refused_for_not_admin(
        dev.patch(f"{A}/components/ledger", {"owner_team": "order"}, if_match='"v1"')
    )

    assert Component.objects.get(key="ledger").owner_team == w.finance


# --- the company calendar ------------------------------------------------------------------------

DAY = dt.date(2026, 12, 28)


def test_the_company_calendar_is_edited_with_one_etag(w, ada, admin):
    fresh = admin.get(f"{A}/company-calendar")
    assert fresh.status_code == 200
    assert fresh["ETag"] == '"v0"'
    assert fresh.json() == {"use_public_holidays": True, "country": "CN", "version": 0, "days": []}

    policy = admin.put(
        f"{A}/company-calendar/policy", {"use_public_holidays": False}, if_match=fresh["ETag"]
    )
    assert policy.status_code == 200, policy.content
    assert policy["ETag"] == '"v1"'
    assert HolidayPolicy.objects.get().use_public_holidays is False

    day = admin.put(f"{A}/company-calendar/days/{DAY}", {"name": "年会"}, if_match=policy["ETag"])
    assert day.status_code == 200, day.content
    assert day["ETag"] == '"v2"'
    assert day.json()["days"] == [{"on": "2026-12-28", "name": "年会", "is_working_day": False}]
    listed = admin.get("/calendars/days", start=str(DAY), end=str(DAY)).json()["items"]
    assert listed[0]["is_workday"] is False and listed[0]["source"] == "company"

    removed = admin.delete(f"{A}/company-calendar/days/{DAY}", if_match=day["ETag"])
    assert removed.status_code == 204
    assert not CompanyDay.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(actor=ada).order_by("seq")] == [
        "calendar.holiday_policy_set",
        "calendar.company_day_set",
        "calendar.company_day_removed",
    ]


def test_a_stale_calendar_etag_fails_the_precondition_and_changes_nothing(w, ada, admin):
    etag = admin.get(f"{A}/company-calendar")["ETag"]
    admin.put(f"{A}/company-calendar/days/{DAY}", {"name": "年会"}, if_match=etag)

    stale_day = admin.put(
        f"{A}/company-calendar/days/{DAY + dt.timedelta(days=1)}", {"name": "团建"}, if_match=etag
    )
    stale_policy = admin.put(
        f"{A}/company-calendar/policy", {"use_public_holidays": False}, if_match=etag
    )
    stale_removal = admin.delete(f"{A}/company-calendar/days/{DAY}", if_match=etag)

    for stale in (stale_day, stale_policy, stale_removal):
        assert stale.status_code == 412
        assert stale.json()["code"] == "conflict.stale_version"
        assert stale.json()["details"]["current"] == "1"
    assert list(CompanyDay.objects.values_list("name", flat=True)) == ["年会"]
    assert HolidayPolicy.objects.get().use_public_holidays is True


def test_the_stale_calendar_refusal_names_the_company_calendar_in_chinese(w, ada, admin):
    etag = admin.get(f"{A}/company-calendar")["ETag"]
    admin.put(f"{A}/company-calendar/days/{DAY}", {"name": "年会"}, if_match=etag)

    stale = Api(ada, "zh-hans").put(
        f"{A}/company-calendar/policy", {"use_public_holidays": False}, if_match=etag
    )

    assert stale.status_code == 412
    assert "公司日历" in stale.json()["message"]


def test_removing_a_day_that_is_not_there_is_not_found(ada, admin):
    etag = admin.get(f"{A}/company-calendar")["ETag"]

    missing = Api(ada, "zh-hans").delete(f"{A}/company-calendar/days/{DAY}", if_match=etag)

    assert missing.status_code == 404
    assert missing.json()["code"] == "access.not_found"
    assert "公司特殊日 2026-12-28" in missing.json()["message"]


def test_the_company_calendar_is_refused_to_someone_without_the_administrator_role(w, as_):
    pm = as_("hua")

    _refused_for_not_admin(pm.get(f"{A}/company-calendar"))
    _refused_for_not_admin(
        pm.put(f"{A}/company-calendar/policy", {"use_public_holidays": False}, if_match='"v0"')
    )
    _refused_for_not_admin(
        pm.put(f"{A}/company-calendar/days/{DAY}", {"name": "放假"}, if_match='"v0"')
    )
    _refused_for_not_admin(pm.delete(f"{A}/company-calendar/days/{DAY}", if_match='"v0"'))

    assert not CompanyDay.objects.exists()
    assert not HolidayPolicy.objects.exists()


# --- lists answer in a bounded number of queries -------------------------------------------------


def _count_queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert call().status_code == 200
    return len(queries)


def test_the_lists_do_not_query_per_row(w, admin):
    lists = [f"{A}/teams", f"{A}/teams/order/members", f"{A}/people", f"{A}/components"]
    admin.get(f"{A}/teams")  # the token's first use is recorded once
    small = {path: _count_queries(lambda p=path: admin.get(p)) for path in lists}
    for n in range(30):
        person = make_user(f"extra{n}")
        grant(person, w.order, Role.DEV, Role.PM)
        team = Team.objects.create(code=f"t{n}", name=f"T{n}", department=w.order.department)
        Component.objects.create(key=f"c{n}", name=f"C{n}", owner_team=team)

    large = {path: _count_queries(lambda p=path: admin.get(p)) for path in lists}

    assert large == small
