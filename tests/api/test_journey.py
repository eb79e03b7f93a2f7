"""The five steps end to end through the REST API, signed in as each persona in turn."""

import datetime as dt

from techalign.audit.models import AuditEvent
from techalign.plans.models import Baseline, Revision


def _refused(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


def test_a_requirement_goes_from_draft_to_baseline_and_through_a_change(w, as_):
    ming, lei, qiang = as_("ming"), as_("lei"), as_("qiang")

    # Step 1: the PM drafts, writes scenarios, hands off; the DEV acknowledges or asks.
    created = ming.post(
        "/requirements",
        {
            "lead_team": "order",
            "title": "订单部分退款",
            "lead_dev": "lei",
            "user_stories": "作为买家…",
        },
    )
    assert created.status_code == 201, created.content
    key = created.json()["key"]
    for title in ["部分退款", "并发退款", "渠道失败重试"]:
        assert (
            ming.post(
                f"/requirements/{key}/scenarios", {"title": title, "priority": "P0"}
            ).status_code
            == 201
        )
    assert ming.post(f"/requirements/{key}/hand-off").json()["status"] == "handed_off"
    asked = lei.post(
        f"/requirements/{key}/questions", {"body": "可退余额包含运费吗？", "scenario": "S-1"}
    )
    assert asked.json()["stage"] == "hand_off"
    _refused(
        lei.post(f"/requirements/{key}/scenarios/S-1/acknowledge"), 409, "scenario.open_questions"
    )
    proposed = ming.post(f"/requirements/{key}/questions/Q-1/propose", {"body": "不含运费"})
    assert proposed.json()["state"] == "proposed"
    _refused(
        lei.post(f"/requirements/{key}/scenarios/S-1/acknowledge"), 409, "scenario.open_questions"
    )
    accepted = lei.post(f"/requirements/{key}/questions/Q-1/accept", {})
    assert accepted.json()["state"] == "accepted" and accepted.json()["answer"] == "不含运费"
    for s in ["S-1", "S-2", "S-3"]:
        assert lei.post(f"/requirements/{key}/scenarios/{s}/acknowledge").status_code == 200
    detail = lei.get(f"/requirements/{key}").json()
    assert detail["status"] == "planning" and detail["step"] == 2
    assert [a["action"] for a in detail["next_actions"]] == ["write_plan"]

    # Step 2: DEVs write the plan; a PM may not; a stale write is refused with the number.
    _refused(
        ming.post(
            f"/requirements/{key}/plan/items",
            {"based_on": 0, "component": "order-service", "kind": "api_change", "title": "x"},
        ),
        403,
        "role.not_allowed",
    )
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    items = [("order-service", ["S-1", "S-2"]), ("refund-api", ["S-1"]), ("ledger", ["S-3"])]
    for n, (component, scenarios) in enumerate(items):
        made = lei.post(
            f"/requirements/{key}/plan/items",
            {
                "based_on": n,
                "component": component,
                "kind": "api_change",
                "title": f"改 {component}",
                "description": "**加字段** `refundable`",
                "ask": "支持部分退款" if component != "order-service" else "",
                "due_on": due,
                "scenarios": scenarios,
            },
        )
        assert made.status_code == 201, made.content
    stale = _refused(
        lei.post(
            f"/requirements/{key}/plan/items",
            {"based_on": 1, "component": "ledger", "kind": "data", "title": "y"},
        ),
        409,
        "plan.stale_revision",
    )
    assert stale["details"]["current"] == "3"
    plan = lei.get(f"/requirements/{key}/plan").json()
    assert plan["revision"] == 3 and plan["uncovered"] == []
    assert [p["team"] for p in plan["related_parties"]] == ["order", "finance", "payments"]
    assert lei.post(f"/requirements/{key}/plan/submit", {"revision": 3}).status_code == 200

    # Review: the author may not approve; the tech lead approves revision 3.
    reviewed = {"revision": 3, "content_hash": plan["content_hash"]}
    _refused(lei.post(f"/requirements/{key}/plan/approve", reviewed), 403, "role.not_allowed")
    approved = qiang.post(f"/requirements/{key}/plan/approve", {**reviewed, "comment": "LGTM"})
    assert approved.status_code == 200, approved.content

    # Step 3: the meeting needs every party's PM and DEV; the PM may not present.
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0)
    when = {"starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=1)).isoformat()}
    missing = _refused(
        ming.post(
            f"/requirements/{key}/meetings",
            {**when, "required": ["ming", "lei", "hua", "jun", "li"]},
        ),
        409,
        "meeting.invitees_missing",
    )
    assert "财务组" in missing["message"]
    _refused(
        ming.post(f"/requirements/{key}/meetings", {**when, "presenter": "ming"}),
        409,
        "meeting.presenter_not_dev",
    )
    meeting = ming.post(f"/requirements/{key}/meetings", when)
    assert meeting.status_code == 201, meeting.content
    assert {i["username"] for i in meeting.json()["invitees"]} == {
        "ming",
        "lei",
        "hua",
        "jun",
        "li",
        "wei",
    }

    # Step 4: minutes, a blocking question, sign-offs on the exact revision and hash.
    m = f"/requirements/{key}/meetings/M-1"
    assert lei.post(f"{m}/attendance", {"username": "hua", "attended": True}).status_code == 200
    assert lei.post(f"{m}/decisions", {"text": "退款走异步"}).status_code == 201
    assert (
        lei.post(
            f"{m}/action-items", {"text": "补充时序图", "owner": "lei", "due_on": due}
        ).status_code
        == 201
    )
    blocking = as_("hua").post(
        f"/requirements/{key}/questions",
        {"body": "退款接口幂等键？", "item": "I-2", "meeting": "M-1", "is_blocking": True},
    )
    assert blocking.status_code == 201
    content_hash = lei.get(f"/requirements/{key}/plan").json()["content_hash"]
    sign = {"revision": 3, "content_hash": content_hash}
    # Nobody signs before the meeting is held, and it is not held before it starts.
    _refused(
        as_("jun").post(f"/requirements/{key}/sign-offs", {**sign, "team": "payments"}),
        409,
        "signoff.meeting_not_held",
    )
    _refused(lei.post(f"{m}/held"), 409, "meeting.not_started")
    began = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(microsecond=0)
    moved = lei.post(
        f"{m}/reschedule",
        {"starts_at": began.isoformat(), "ends_at": (began + dt.timedelta(hours=1)).isoformat()},
        if_match=lei.get(m)["ETag"],
    )
    assert moved.status_code == 200, moved.content
    _refused(lei.post(f"{m}/held"), 409, "meeting.attendance_missing")
    for username in ["ming", "lei", "jun", "li", "wei"]:
        attended = {"username": username, "attended": username != "wei"}
        assert lei.post(f"{m}/attendance", attended).status_code == 200
    held = lei.post(f"{m}/held")
    assert held.status_code == 200, held.content
    assert held.json()["status"] == "held" and held.json()["held_revision"] == 3
    for persona, team in [("ming", "order"), ("lei", "order"), ("jun", "payments")]:
        assert (
            as_(persona).post(f"/requirements/{key}/sign-offs", {**sign, "team": team}).status_code
            == 201
        )
    _refused(
        as_("jun").post(f"/requirements/{key}/sign-offs", {**sign, "team": "finance"}),
        403,
        "role.not_party_member",
    )

    # Step 5: finalize explains what is missing, then succeeds.
    body = _refused(
        ming.post(f"/requirements/{key}/finalize", sign), 409, "finalize.blocking_questions"
    )
    assert "Q-2" in body["message"]
    lei.post(f"/requirements/{key}/questions/Q-2/answer", {"answer": "用退款单号"})
    # Proposed is not closed: hua, who asked, accepts it.
    _refused(ming.post(f"/requirements/{key}/finalize", sign), 409, "finalize.blocking_questions")
    _refused(
        lei.post(f"/requirements/{key}/questions/Q-2/accept", {}), 403, "question.not_asker_side"
    )
    accepted = as_("hua").post(f"/requirements/{key}/questions/Q-2/accept", {})
    assert accepted.status_code == 200, accepted.content
    # Finance's DEV missed the meeting: its tech lead's waiver, with the reason, stands in.
    body = _refused(
        ming.post(f"/requirements/{key}/finalize", sign), 409, "finalize.party_not_aligned"
    )
    assert body["details"]["parties"] == ["财务组 DEV"]
    waiver = qiang.post(f"/requirements/{key}/waivers", {"team": "finance", "reason": "封账周"})
    assert waiver.status_code == 201, waiver.content
    assert waiver.json()["team"] == "finance" and waiver.json()["recorded_by"] == "qiang"
    body = _refused(
        ming.post(f"/requirements/{key}/finalize", sign), 409, "finalize.signoffs_missing"
    )
    assert "财务组" in body["message"]
    as_("wei").post(f"/requirements/{key}/sign-offs", {**sign, "team": "finance"})
    final = ming.post(f"/requirements/{key}/finalize", sign)
    assert final.status_code == 201, final.content
    assert final.json()["version"] == 1 and final.json()["content_hash"] == content_hash
    assert [w["team"] for w in final.json()["waivers"]] == ["finance"]

    # After the baseline: direct edits refused; a change request found in testing reopens it.
    _refused(
        lei.post(
            f"/requirements/{key}/plan/items",
            {"based_on": 3, "component": "ledger", "kind": "data", "title": "y"},
        ),
        409,
        "requirement.baselined",
    )
    change = lei.post(
        f"/requirements/{key}/change-requests",
        {
            "title": "总账增加冲正",
            "reason": "提测时发现",
            "phase_found": "testing",
            "affected_teams": ["finance"],
            "root_cause": "scenario_not_covered",
            "cause_scenario": "S-3",
        },
    )
    assert change.status_code == 201 and change.json()["cost_weight"] == 15
    etag = lei.get(f"/requirements/{key}/plan")["ETag"]
    assert etag.startswith('"r3-')  # the revision, then the marks of reviews and sign-offs
    edited = lei.patch(
        f"/requirements/{key}/plan/items/I-3", {"ask": "支持部分退款与冲正"}, if_match=etag
    )
    assert edited.status_code == 200, edited.content
    lei.post(f"/requirements/{key}/plan/submit", {"revision": 4})
    r4 = lei.get(f"/requirements/{key}/plan").json()["content_hash"]
    qiang.post(f"/requirements/{key}/plan/approve", {"revision": 4, "content_hash": r4})
    plan = lei.get(f"/requirements/{key}/plan").json()
    assert plan["missing_signoffs"] == ["order", "finance"]
    sign = {"revision": 4, "content_hash": plan["content_hash"]}
    lei.post(f"/requirements/{key}/sign-offs", {**sign, "team": "order"})
    ming.post(f"/requirements/{key}/sign-offs", {**sign, "team": "order"})
    as_("li").post(f"/requirements/{key}/sign-offs", {**sign, "team": "finance"})
    body = _refused(
        ming.post(f"/requirements/{key}/finalize", sign), 409, "finalize.signer_missing"
    )
    assert "DEV" in body["message"] and "财务组" in body["message"]  # the PM only confirms
    as_("wei").post(f"/requirements/{key}/sign-offs", {**sign, "team": "finance"})
    v2 = ming.post(f"/requirements/{key}/finalize", sign).json()
    assert v2["version"] == 2
    assert {(s["team"], s["role"], s["revision"]) for s in v2["signoffs"]} == {
        ("order", "PM", 4),
        ("order", "DEV", 4),
        ("payments", "DEV", 3),  # untouched by the change: its sign-off on r3 stands
        ("finance", "DEV", 4),
        ("finance", "PM", 4),
    }

    # Schedule milestones per party, and the whole story is in the audit log.
    etag = as_("jun").get(f"/requirements/{key}/milestones")["ETag"]
    milestone = {"team": "payments", "kind": "joint_debugging", "due_on": due}
    planned = as_("jun").put(f"/requirements/{key}/milestones", milestone, if_match=etag)
    assert planned.status_code == 200, planned.content
    stale = as_("hua").put(f"/requirements/{key}/milestones", milestone, if_match=etag)
    _refused(stale, 412, "conflict.stale_version")
    assert Baseline.objects.filter(requirement__number=int(key[4:])).count() == 2
    assert Revision.objects.filter(plan__requirement__number=int(key[4:])).count() == 4
    actions = [
        e["action"] for e in ming.get(f"/requirements/{key}/audit", limit=200).json()["items"]
    ]
    for expected in [
        "requirement.handed_off",
        "plan.approved",
        "meeting.scheduled",
        "plan.signed_off",
        "plan.finalized",
        "change.opened",
    ]:
        assert expected in actions
    assert AuditEvent.objects.filter(outcome="refused").count() >= 6
