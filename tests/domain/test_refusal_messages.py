"""Every refusal names the unmet condition with the concrete objects ("scenario S-4", "team
支付组", "revision 3"), in the user's language; every message template renders with the details
the services pass."""

import ast
import datetime as dt
import string
from pathlib import Path

import pytest
from django.utils import timezone, translation

import techalign
from techalign.core.errors import Refused
from techalign.core.refusals import REFUSALS
from techalign.meetings import services as meetings
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from tests.domain.support import current, due, has_zh_catalog
from tests.factories import advance, grant, sign_all


def refusal_of(action) -> Refused:
    with pytest.raises(Refused) as refused:
        action()
    return refused.value


def uncovered_scenario(w):
    req = advance(w, "planning")
    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4, confirm=True)
    return refusal_of(lambda: plans.approve_revision(revision=current(req), actor=w.qiang))


def pm_writing_the_plan(w):
    req = advance(w, "planning")
    return refusal_of(
        lambda: plans.remove_item(requirement=req, actor=w.ming, based_on=3, item_key="I-1")
    )


def stale_item_edit(w):
    req = advance(w, "planning")
    return refusal_of(
        lambda: plans.remove_item(requirement=req, actor=w.lei, based_on=2, item_key="I-1")
    )


def ask_missing(w):
    req = advance(w, "planning")
    plans.add_item(
        requirement=req,
        actor=w.lei,
        based_on=3,
        component=w.refund_api,
        kind="new_api",
        title="退款查询",
        scenario_keys=["S-2"],
    )
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=4, confirm=True)
    return refusal_of(lambda: plans.approve_revision(revision=current(req), actor=w.qiang))


def owner_moved(w):
    req = advance(w, "in_review")
    w.ledger.owner_team = w.elsewhere
    w.ledger.save()
    return refusal_of(lambda: plans.approve_revision(revision=current(req), actor=w.qiang))


def own_revision(w):
    req = advance(w, "in_review")
    grant(w.lei, w.order, "TECH_LEAD")
    return refusal_of(lambda: plans.approve_revision(revision=current(req), actor=w.lei))


def _schedule(w, req, **kwargs):
    start = timezone.now() + dt.timedelta(days=2)
    return meetings.schedule_meeting(
        requirement=req,
        actor=w.ming,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        **kwargs,
    )


def meeting_before_approval(w):
    req = advance(w, "in_review")
    return refusal_of(lambda: _schedule(w, req))


def invitees_missing(w):
    req = advance(w, "approved")
    return refusal_of(lambda: _schedule(w, req, required=[w.ming, w.lei, w.hua, w.li, w.wei]))


def pm_presenting(w):
    req = advance(w, "approved")
    return refusal_of(lambda: _schedule(w, req, presenter=w.ming))


def below_minimum(w):
    req = advance(w, "aligning")
    return refusal_of(
        lambda: meetings.remove_invitee(meeting=req.meetings.get(), actor=w.ming, user=w.jun)
    )


def _sign(req, actor, team, number=None, content_hash=None):
    revision = current(req)
    return plans.sign_off(
        requirement=req,
        actor=actor,
        team=team,
        revision_number=number or revision.number,
        content_hash=content_hash or revision.content_hash,
    )


def outsider_signing(w):
    req = advance(w, "aligning")
    return refusal_of(lambda: _sign(req, w.charlie, w.payments))


def stale_sign_off(w):
    req = advance(w, "aligning")
    return refusal_of(lambda: _sign(req, w.jun, w.payments, number=2))


def wrong_hash(w):
    req = advance(w, "aligning")
    return refusal_of(lambda: _sign(req, w.jun, w.payments, content_hash="ab" * 32))


def _finalize(req, actor):
    revision = current(req)
    return plans.finalize(
        requirement=req,
        actor=actor,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )


def signoff_missing(w):
    req = advance(w, "aligning")
    sign_all(w, req, teams=[w.order, w.finance])
    return refusal_of(lambda: _finalize(req, w.ming))


def signoff_rejected(w):
    req = advance(w, "aligning")
    sign_all(w, req, teams=[w.order, w.finance])
    revision = current(req)
    plans.sign_off(
        requirement=req,
        actor=w.hua,
        team=w.payments,
        revision_number=3,
        content_hash=revision.content_hash,
        approve=False,
        reason="排期不够",
    )
    return refusal_of(lambda: _finalize(req, w.ming))


def blocking_question(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    requirements.raise_question(requirement=req, actor=w.hua, body="?", is_blocking=True)
    return refusal_of(lambda: _finalize(req, w.ming))


def finalize_in_planning(w):
    req = advance(w, "planning")
    return refusal_of(lambda: _finalize(req, w.ming))


def baselined_edit(w):
    req = advance(w, "finalized")
    return refusal_of(lambda: requirements.add_scenario(requirement=req, actor=w.ming, title="x"))


def open_question_at_hand_off(w):
    req = advance(w, "handed_off")
    scenario = req.scenarios.get(number=2)
    requirements.raise_question(requirement=req, actor=w.lei, body="?", scenario=scenario)
    return refusal_of(lambda: requirements.acknowledge_scenario(scenario=scenario, actor=w.lei))


def milestone_for_outsider_team(w):
    req = advance(w, "finalized")
    return refusal_of(
        lambda: plans.set_milestone(
            requirement=req, actor=w.charlie, team=w.elsewhere, kind="launch", due_on=due()
        )
    )


# (builder, code, the English message). REQ-1: every test builds its own organisation.
MESSAGES = [
    (
        uncovered_scenario,
        "plan.coverage_incomplete",
        "Scenario(s) S-4 not covered by any item nor marked out of scope.",
    ),
    (
        pm_writing_the_plan,
        "role.not_allowed",
        "Only a Developer of team 订单组 may edit the technical plan; ming is not one.",
    ),
    (
        stale_item_edit,
        "plan.stale_revision",
        "The plan is at revision 3; your change was based on revision 2. "
        "Reload and apply it again.",
    ),
    (
        ask_missing,
        "item.ask_missing",
        "Item I-4 changes 退款接口 of team 支付组: state the ask to that team and a due date.",
    ),
    (
        owner_moved,
        "plan.related_party_missing",
        "Component 总账 is owned by team 营销组, which is not a related party.",
    ),
    (
        own_revision,
        "review.own_revision",
        "lei authored plan content of revision 3 and cannot review it.",
    ),
    (
        meeting_before_approval,
        "meeting.plan_not_approved",
        "The plan of REQ-1 is not approved (revision 3 is In review).",
    ),
    (invitees_missing, "meeting.invitees_missing", "Required invitees missing: 支付组 DEV."),
    (
        pm_presenting,
        "meeting.presenter_not_dev",
        "The presenter must be a DEV of the lead team 订单组; ming is not.",
    ),
    (
        below_minimum,
        "meeting.below_minimum",
        "jun is the only DEV of 支付组 invited; the minimum needs one.",
    ),
    (
        outsider_signing,
        "role.not_party_member",
        "charlie is neither a PM nor a DEV of team 支付组, so cannot sign for it.",
    ),
    (
        stale_sign_off,
        "signoff.stale_revision",
        "You are signing revision 2, but the current revision is 3.",
    ),
    (wrong_hash, "signoff.hash_mismatch", None),
    (signoff_missing, "finalize.signoffs_missing", "Not signed on revision 3 by: 支付组."),
    (signoff_rejected, "finalize.signoffs_rejected", "Revision 3 was rejected by: 支付组."),
    (blocking_question, "finalize.blocking_questions", "Blocking questions are still open: Q-1."),
    (
        finalize_in_planning,
        "requirement.wrong_step",
        'Requirement REQ-1 is at step "Planning"; finalize needs "Approved or Aligning".',
    ),
    (
        baselined_edit,
        "requirement.baselined",
        "Requirement REQ-1 has baseline v1; change it through a change request.",
    ),
    (
        open_question_at_hand_off,
        "scenario.open_questions",
        "Scenario S-2 has unanswered questions: Q-1.",
    ),
    (
        milestone_for_outsider_team,
        "milestone.not_a_party",
        "Team 营销组 has no part in baseline v1 of REQ-1.",
    ),
]
IDS = [code for _builder, code, _message in MESSAGES]


@pytest.mark.parametrize(("builder", "code", "english"), MESSAGES, ids=IDS)
def test_a_refusal_names_the_unmet_condition_in_english(w, builder, code, english):
    refused = builder(w)

    assert refused.code == code
    if english is not None:
        assert refused.message == english
    assert "{" not in refused.message


def test_a_content_hash_mismatch_shows_both_short_hashes(w):
    refused = wrong_hash(w)

    assert refused.message.startswith(
        "The content you reviewed (abababababab) is not revision 3's ("
    )
    assert refused.details["current"] in refused.message


def concrete_values(refused: Refused) -> list[str]:
    """The details a reader acts on: keys like S-4 or Q-1, team and user names, numbers."""
    values: list[str] = []
    for value in refused.details.values():
        for part in value if isinstance(value, list | tuple) else [value]:
            if isinstance(part, int | str) and not isinstance(part, bool):
                values.append(str(part))
    return values


@pytest.mark.skipif(not has_zh_catalog(), reason="no compiled zh-hans catalog yet")
@pytest.mark.parametrize(("builder", "code", "english"), MESSAGES, ids=IDS)
def test_a_refusal_reads_in_chinese_with_the_same_concrete_objects(w, builder, code, english):
    with translation.override("zh-hans"):
        refused = builder(w)
        chinese = refused.message
    with translation.override("en"):
        in_english = refused.message

    assert chinese != in_english
    for value in concrete_values(refused):
        if value.isascii() and any(ch.isalpha() for ch in value) and " " in value:
            continue  # a phrase in the details (an action, a step) is translated with the rest
        assert value in chinese, (value, chinese)


def placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_refusal_template_renders_with_its_placeholders(code):
    details = {name: f"<{name}>" for name in placeholders(REFUSALS[code].message)}

    message = Refused(code, **details).message

    assert "{" not in message and "}" not in message
    for value in details.values():
        assert value in message


def refused_calls():
    """Every `Refused("code", ...)` with a literal code in the application's source."""
    root = Path(techalign.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Refused"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                yield where, node.args[0].value, node


def test_every_raise_site_uses_a_known_code_and_passes_every_placeholder():
    problems = []
    for where, code, node in refused_calls():
        if code not in REFUSALS:
            problems.append(f"{where}: unknown code {code}")
            continue
        if any(kw.arg is None for kw in node.keywords):
            continue  # **details: checked by the rendering tests above
        missing = placeholders(REFUSALS[code].message) - {kw.arg for kw in node.keywords}
        if missing:
            problems.append(f"{where}: {code} lacks {sorted(missing)}")

    assert problems == []
