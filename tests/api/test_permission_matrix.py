"""Every API operation x every kind of caller. An operation missing from ACCESS fails the suite:
new endpoints must say who may call them.

Callers: anonymous; charlie, an outsider from another department; the lead team's PM (ming),
DEV (lei) and tech lead (qiang); the payments party's PM (hua) and DEV (jun); and arch, an
architect of the technical committee. Role checks come before state checks in every service, so
a caller outside the allowed set is refused with 403 whatever step the requirement is at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.test import Client

from techalign.audit.models import AuditEvent
from techalign.meetings.services import add_action_item, waive_attendance
from techalign.org.models import Department
from techalign.plans.services import open_change_request
from techalign.requirements.models import Requirement
from techalign.requirements.services import raise_question
from tests.api.conftest import Api
from tests.factories import advance, make_user

INSIDERS = ["ming", "lei", "qiang", "hua", "jun", "arch"]
LEAD_PM = {"ming"}
LEAD_DEV = {"lei"}
ORGANISERS = {"ming", "lei"}
PAYMENTS = {"hua", "jun"}
DUE = (dt.date.today() + dt.timedelta(days=9)).isoformat()
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).replace(microsecond=0)
WHEN = {"starts_at": START.isoformat(), "ends_at": (START + dt.timedelta(hours=1)).isoformat()}


@dataclass(frozen=True)
class Access:
    """`org`: any signed-in user; `read`: whoever sees the requirement; `write`: only `allowed`."""

    kind: str
    allowed: frozenset[str] = field(default_factory=frozenset)
    body: dict | None = None
    if_match: str | None = None


def write(allowed: set[str], body: dict | None = None, if_match: str | None = None) -> Access:
    return Access("write", frozenset(allowed), body, if_match)


ORG, READ = Access("org"), Access("read")
# The caller's own calendars, notifications and channels: anyone signed in, about themselves.
OWN = Access("own")


def own(body: dict | None = None, if_match: str | None = None) -> Access:
    return Access("own", frozenset(), body, if_match)


# The notification delivery log and the administration API: administrators only.
ADMIN = Access("admin")


def admin(body: dict | None = None, if_match: str | None = None) -> Access:
    return Access("admin", frozenset(), body, if_match)


C = "/api/v1/calendars"
AD = "/api/v1/admin"
R = "/api/v1/requirements/{key}"
M = R + "/meetings/M-1"

ACCESS: dict[str, Access] = {
    "GET /api/v1/me": ORG,
    "GET /api/v1/me/action-items": OWN,
    "GET /api/v1/me/answers-to-accept": OWN,
    f"GET {C}/sources": OWN,
    f"POST {C}/sources/upload": OWN,
    f"POST {C}/sources/feed": OWN,
    f"POST {C}/sources/caldav": OWN,
    f"GET {C}/sources/{{source_id}}": OWN,
    f"PATCH {C}/sources/{{source_id}}": own({"name": "改"}, if_match="source"),
    f"DELETE {C}/sources/{{source_id}}": own(if_match="source"),
    f"POST {C}/sources/{{source_id}}/refresh": OWN,
    f"GET {C}/working-hours": OWN,
    f"PUT {C}/working-hours": own({"starts": "09:00", "ends": "18:00"}, if_match="hours"),
    f"GET {C}/days": OWN,
    f"GET {C}/slots/{{key}}": READ,
    f"GET {C}/slots/{{key}}/{{meeting}}": READ,
    "GET /api/v1/notifications": OWN,
    "POST /api/v1/notifications/read": OWN,
    "GET /api/v1/notifications/preferences": OWN,
    "PUT /api/v1/notifications/preferences": own({"event": "meeting.invited"}, "preferences"),
    "GET /api/v1/channels": OWN,
    "POST /api/v1/channels": OWN,
    "DELETE /api/v1/channels/{channel_id}": OWN,
    "GET /api/v1/deliveries": ADMIN,
    "POST /api/v1/deliveries/{delivery_id}/retry": ADMIN,
    "GET /api/v1/departments": ORG,
    "GET /api/v1/teams": ORG,
    "GET /api/v1/teams/{code}": ORG,
    "GET /api/v1/components": ORG,
    "GET /api/v1/requirements": ORG,
    "POST /api/v1/requirements": write(LEAD_PM, {"lead_team": "order", "title": "新需求"}),
    f"GET {R}": READ,
    f"PATCH {R}": write(LEAD_PM, {"title": "改"}, if_match="requirement"),
    f"POST {R}/lead-dev": write(LEAD_PM, {"username": "fang"}),
    f"POST {R}/hand-off": write(LEAD_PM),
    f"POST {R}/cancel": write(LEAD_PM, {"reason": "业务调整"}),
    f"POST {R}/scenarios": write(LEAD_PM, {"title": "新场景"}),
    f"PATCH {R}/scenarios/{{scenario}}": write(LEAD_PM, {"title": "改"}, if_match="requirement"),
    f"POST {R}/scenarios/{{scenario}}/acknowledge": write(LEAD_DEV),
    f"POST {R}/acknowledgement-delegates": write(LEAD_DEV, {"username": "fang"}),
    f"DELETE {R}/acknowledgement-delegates/{{username}}": write(LEAD_DEV),
    f"POST {R}/scenarios/{{scenario}}/out-of-scope": write(LEAD_PM, {"reason": "下期"}),
    f"DELETE {R}/scenarios/{{scenario}}/out-of-scope": write(LEAD_PM),
    f"GET {R}/questions": READ,
    f"POST {R}/risk": write({"ming", "qiang"}, {"risk": "money", "reason": "动钱"}),
    # Nothing to clear on the scene's requirement: the allowed get past the role check only.
    f"POST {R}/risk/clear": write({"ming", "qiang"}, {"reason": "不再动钱"}),
    # Anyone who can see the requirement may comment on it (outsiders of a public one too).
    f"GET {R}/comments": READ,
    f"POST {R}/comments": write({*INSIDERS, "charlie"}, {"body": "评", "scenario": "S-1"}),
    f"POST {R}/questions": write({"ming", "lei", "qiang", "hua", "jun"}, {"body": "问"}),
    # The question is the payments PM's: the other side proposes, payments' PM or DEV accepts.
    f"POST {R}/questions/{{question}}/answer": write({"ming", "lei", "jun"}, {"answer": "答"}),
    f"POST {R}/questions/{{question}}/propose": write({"ming", "lei", "jun"}, {"body": "答"}),
    f"POST {R}/questions/{{question}}/replies": write(
        {"ming", "lei", "qiang", "hua", "jun"}, {"body": "补充"}
    ),
    f"POST {R}/questions/{{question}}/accept": write(PAYMENTS, {}),
    f"POST {R}/questions/{{question}}/reject": write(PAYMENTS, {"reason": "不对"}),
    f"POST {R}/questions/{{question}}/reopen": write(PAYMENTS, {"reason": "再议"}),
    f"GET {R}/audit": READ,
    f"GET {R}/plan": READ,
    # Items: the lead team's DEVs write all; a party's DEVs their own section (I-2 is on
    # payments' refund-api, ledger is finance's); other DEVs are refused naming the owner.
    f"POST {R}/plan/items": write(
        LEAD_DEV, {"based_on": 3, "component": "ledger", "kind": "data", "title": "t"}
    ),
    f"PATCH {R}/plan/items/{{item}}": write(LEAD_DEV | {"jun"}, {"based_on": 3, "title": "t"}),
    f"DELETE {R}/plan/items/{{item}}": write(LEAD_DEV | {"jun"}, if_match="plan"),
    f"POST {R}/plan/items/{{item}}/confirm": write(LEAD_DEV | {"jun"}, {"based_on": 3}),
    f"GET {R}/plan/revisions": READ,
    f"GET {R}/plan/revisions/{{number}}": READ,
    f"POST {R}/plan/submit": write(LEAD_DEV, {"revision": 3}),
    f"POST {R}/plan/approve": write({"qiang", "arch"}, {"revision": 3, "content_hash": "0" * 64}),
    f"POST {R}/plan/request-changes": write(
        {"qiang", "arch"}, {"revision": 3, "content_hash": "0" * 64, "comment": "改"}
    ),
    f"POST {R}/plan/revisions/{{number}}/approve": write(
        {"qiang", "arch"}, {"content_hash": "0" * 64}
    ),
    f"POST {R}/plan/revisions/{{number}}/request-changes": write(
        {"qiang", "arch"}, {"content_hash": "0" * 64, "comment": "改"}
    ),
    f"POST {R}/sign-offs": write(
        PAYMENTS, {"team": "payments", "revision": 3, "content_hash": "0" * 64}
    ),
    f"POST {R}/finalize": write(
        {"ming", "lei", "qiang"}, {"revision": 3, "content_hash": "0" * 64}
    ),
    f"GET {R}/baselines": READ,
    f"GET {R}/baselines/{{version}}": READ,
    f"GET {R}/change-requests": READ,
    f"POST {R}/change-requests": write(
        {"ming", "lei", "hua", "jun"},
        {
            "title": "变",
            "reason": "因",
            "phase_found": "testing",
            "root_cause": "external",
        },
    ),
    f"POST {R}/change-requests/{{change}}/withdraw": write({"ming", "lei", "qiang"}),
    f"GET {R}/milestones": READ,
    f"PUT {R}/milestones": write(
        PAYMENTS, {"team": "payments", "kind": "test", "due_on": DUE}, if_match="requirement"
    ),
    f"GET {R}/meetings": READ,
    f"POST {R}/meetings": write(ORGANISERS, WHEN),
    f"GET {M.replace('M-1', '{meeting}')}": READ,
    f"POST {R}/meetings/{{meeting}}/reschedule": write(ORGANISERS, WHEN, if_match="meeting"),
    f"POST {R}/meetings/{{meeting}}/cancel": write(ORGANISERS),
    f"POST {R}/meetings/{{meeting}}/invitees": write(ORGANISERS, {"username": "fang"}),
    f"DELETE {R}/meetings/{{meeting}}/invitees/{{username}}": write(ORGANISERS),
    f"POST {R}/meetings/{{meeting}}/presenter": write(ORGANISERS, {"username": "fang"}),
    # Only an invitee answers their own invitation (the payments PM and DEV are invited).
    f"POST {R}/meetings/{{meeting}}/response": write(
        ORGANISERS | PAYMENTS, {"response": "declined", "note": "出差"}
    ),
    f"POST {R}/meetings/{{meeting}}/attendance": write(
        ORGANISERS | PAYMENTS, {"username": "hua", "attended": True}
    ),
    f"POST {R}/meetings/{{meeting}}/held": write(ORGANISERS | PAYMENTS),
    f"POST {R}/meetings/{{meeting}}/decisions": write(ORGANISERS | PAYMENTS, {"text": "定"}),
    f"POST {R}/meetings/{{meeting}}/action-items": write(
        ORGANISERS | PAYMENTS, {"text": "做", "owner": "jun", "due_on": DUE}
    ),
    f"POST {R}/meetings/{{meeting}}/action-items/{{item_id}}/done": write(ORGANISERS | {"jun"}),
    f"GET {R}/waivers": READ,
    # The lead team's tech lead or a committee architect excuses a party from the meeting.
    f"POST {R}/waivers": write({"qiang", "arch"}, {"team": "payments", "reason": "出差"}),
    f"POST {R}/waivers/{{waiver_id}}/withdraw": write({"qiang", "arch"}, {"reason": "会上见到了"}),
    # Process health and plans as Markdown.
    "GET /api/v1/health/rules": ORG,
    "GET /api/v1/health/findings": ORG,
    "GET /api/v1/health/reports": ORG,
    "GET /api/v1/health/reports/{name}": ORG,
    "GET /api/v1/health/settings": ORG,
    "PUT /api/v1/health/settings": Access("admin", if_match="health_settings"),
    f"GET {R}/health": READ,
    f"GET {R}/plan.md": READ,
    # Any DEV may import: each item the file adds, changes or removes must be in a section
    # the DEV writes (tests/domain/test_party_sections.py), so the refusal comes per item.
    f"POST {R}/plan.md": write(LEAD_DEV | {"jun", "charlie"}),
    # The administration API: teams, roles, people, the service catalog, the company calendar.
    f"GET {AD}/teams": ADMIN,
    f"POST {AD}/teams": admin({"code": "risk", "name": "风控组", "department": "fin"}),
    f"GET {AD}/teams/{{code}}": ADMIN,
    f"PATCH {AD}/teams/{{code}}": admin({"name": "交易订单组"}, if_match="team"),
    f"GET {AD}/teams/{{code}}/members": ADMIN,
    f"POST {AD}/teams/{{code}}/members": admin({"username": "jun", "role": "ARCHITECT"}),
    f"DELETE {AD}/teams/{{code}}/members/{{username}}/{{role}}": ADMIN,
    f"GET {AD}/people": ADMIN,
    f"POST {AD}/people": admin({"username": "xiaoyu", "display_name": "小雨"}),
    f"GET {AD}/people/{{username}}": ADMIN,
    f"PATCH {AD}/people/{{username}}": admin({"display_name": "君"}, if_match="person"),
    f"GET {AD}/components": ADMIN,
    f"POST {AD}/components": admin({"key": "risk-engine", "name": "风控", "owner_team": "order"}),
    f"GET {AD}/components/{{component}}": ADMIN,
    f"PATCH {AD}/components/{{component}}": admin({"owner_team": "payments"}, if_match="component"),
    f"GET {AD}/company-calendar": ADMIN,
    f"PUT {AD}/company-calendar/policy": admin(
        {"use_public_holidays": False}, if_match="company_calendar"
    ),
    f"PUT {AD}/company-calendar/days/{{on}}": admin({"name": "年会"}, if_match="company_calendar"),
    f"DELETE {AD}/company-calendar/days/{{on}}": admin(if_match="company_calendar"),
    f"GET {AD}/departments": ADMIN,
    f"POST {AD}/departments": admin({"code": "risk", "name": "风控部"}),
    f"GET {AD}/departments/{{department}}": ADMIN,
    f"PATCH {AD}/departments/{{department}}": admin({"name": "运维中心"}, if_match="department"),
    f"DELETE {AD}/departments/{{department}}": admin(if_match="department"),
    f"GET {AD}/org-policy": ADMIN,
    f"PUT {AD}/org-policy": admin({"cost_per_extra_party": "0.5"}, if_match="org_policy"),
}


def _operations() -> list[str]:
    schema = Client().get("/api/v1/openapi.json").json()
    return sorted(
        f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops
    )


def test_every_api_operation_is_classified(db):
    unclassified = set(_operations()) - set(ACCESS)
    assert not unclassified, f"say who may call: {sorted(unclassified)}"
    assert not set(ACCESS) - set(_operations()), "classified operations that no longer exist"


@pytest.fixture
def scene(w):
    """A baselined requirement reopened by a change request, with a meeting, a question by
    the payments PM, and an action item owned by the payments DEV."""
    req = advance(w, "finalized")
    open_change_request(
        requirement=req,
        actor=w.lei,
        title="变",
        reason="因",
        phase_found="testing",
        affected_teams=[w.payments],
    )
    question = raise_question(requirement=req, actor=w.hua, body="幂等？", item_key="I-2")
    item = add_action_item(
        meeting=req.meetings.get(), actor=w.lei, text="补图", owner=w.jun, due_on=dt.date.today()
    )
    waiver = waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="封账周")
    params = {
        "key": req.key,
        "waiver_id": str(waiver.pk),
        "scenario": "S-1",
        "question": question.key,
        "item": "I-2",
        "number": "3",
        "version": "1",
        "change": "CR-1",
        "meeting": "M-1",
        "username": "jun",
        "item_id": str(item.pk),
        "code": "order",
        "name": "coverage",
        "source_id": "999999",
        "channel_id": "999999",
        "delivery_id": "999999",
        "component": "order-service",
        "role": "DEV",
        "on": "2026-12-28",
        "department": "ops",
    }
    # A department without teams, which an administrator may remove.
    Department.objects.create(code="ops", name="运维部")
    return req, params


def _url(operation: str, params: dict) -> tuple[str, str]:
    method, path = operation.split(" ", 1)
    return method.lower(), path.format(**params)


def _call(client: Client, headers: dict, operation: str, params: dict, access: Access):
    method, url = _url(operation, params)
    if access.if_match:
        read = {
            "requirement": f"/api/v1/requirements/{params['key']}",
            "plan": f"/api/v1/requirements/{params['key']}/plan",
            "meeting": f"/api/v1/requirements/{params['key']}/meetings/M-1",
            "source": f"/api/v1/calendars/sources/{params['source_id']}",
            "hours": "/api/v1/calendars/working-hours",
            "preferences": "/api/v1/notifications/preferences",
            "health_settings": "/api/v1/health/settings",
            "team": f"/api/v1/admin/teams/{params['code']}",
            "person": f"/api/v1/admin/people/{params['username']}",
            "component": f"/api/v1/admin/components/{params['component']}",
            "company_calendar": "/api/v1/admin/company-calendar",
            "department": f"/api/v1/admin/departments/{params['department']}",
            "org_policy": "/api/v1/admin/org-policy",
        }
        # A caller who may not read the resource cannot have its ETag: send a made-up one.
        etag = client.get(read[access.if_match], headers=headers).headers.get("ETag", '"v0"')
        headers = {**headers, "If-Match": etag}
    if method in {"get", "delete"}:
        return getattr(client, method)(url, headers=headers)
    return getattr(client, method)(
        url, data=access.body or {}, headers=headers, content_type="application/json"
    )


def _callers(w, names):
    return {name: Api(getattr(w, name)) for name in names}


def _done_events() -> int:
    return AuditEvent.objects.filter(outcome="done").exclude(action__startswith="token.").count()


def test_anonymous_callers_are_refused_401(scene):
    _req, params = scene
    wrong = []
    for operation, access in sorted(ACCESS.items()):
        response = _call(Client(), {}, operation, params, access)
        if response.status_code != 401:
            wrong.append((operation, response.status_code))
    assert not wrong


def test_a_private_requirement_is_not_found_for_an_outsider(scene, w):
    req, params = scene
    Requirement.objects.filter(pk=req.pk).update(is_private=True)
    outsider = Api(w.charlie)
    before = _done_events()
    wrong = []
    for operation, access in sorted(ACCESS.items()):
        if "{key}" not in operation:
            continue
        response = _call(outsider.client, outsider.headers, operation, params, access)
        if response.status_code != 404:
            wrong.append((operation, response.status_code))
    assert not wrong
    assert _done_events() == before


def test_reads_answer_insiders_and_outsiders_of_a_public_requirement(scene, w):
    _req, params = scene
    callers = _callers(w, ["ming", "jun", "charlie"])
    wrong = []
    for operation, access in sorted(ACCESS.items()):
        if access.kind not in {"org", "read"}:
            continue
        for name, caller in callers.items():
            response = _call(caller.client, caller.headers, operation, params, access)
            if response.status_code != 200:
                wrong.append((operation, name, response.status_code))
    assert not wrong


def test_writes_refuse_everyone_outside_their_roles(scene, w):
    _req, params = scene
    callers = _callers(w, [*INSIDERS, "charlie"])
    before = _done_events()
    wrong = []
    for operation, access in sorted(ACCESS.items()):
        if access.kind != "write":
            continue
        for name, caller in callers.items():
            if name in access.allowed:
                continue
            response = _call(caller.client, caller.headers, operation, params, access)
            if response.status_code != 403:
                wrong.append((operation, name, response.status_code))
    assert not wrong
    assert _done_events() == before


def test_own_data_operations_serve_any_signed_in_caller_about_themselves(scene, w):
    _req, params = scene
    caller = Api(w.charlie)
    wrong = []
    for operation, access in sorted(ACCESS.items()):
        if access.kind != "own":
            continue
        response = _call(caller.client, caller.headers, operation, params, access)
        # Someone else's source or channel is simply not found; no role is refused here.
        if response.status_code in {401, 403} or response.status_code >= 500:
            wrong.append((operation, response.status_code))
    assert not wrong


def test_admin_operations_refuse_everyone_but_administrators(scene, w):
    _req, params = scene
    callers = _callers(w, [*INSIDERS, "charlie"])
    admin = Api(make_user("root", is_superuser=True, is_staff=True))
    before = _done_events()
    wrong = []
    for operation, access in sorted(ACCESS.items()):
        if access.kind != "admin":
            continue
        for name, caller in callers.items():
            response = _call(caller.client, caller.headers, operation, params, access)
            if response.status_code != 403:
                wrong.append((operation, name, response.status_code))
    assert _done_events() == before
    for operation, access in sorted(ACCESS.items()):
        if access.kind != "admin":
            continue
        response = _call(admin.client, admin.headers, operation, params, access)
        if response.status_code not in {200, 201, 204, 404}:
            wrong.append((operation, "admin", response.status_code, response.content[:200]))
    assert not wrong
