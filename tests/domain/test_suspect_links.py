"""Suspect links (存疑): when the PM changes a scenario's text after hand-off, it needs
acknowledging again and every item covering it is suspect until a DEV confirms or edits it;
approval and finalizing are refused meanwhile, naming what is missing."""

import pytest

from techalign.core.errors import Refused
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.plans.models import SuspectLink
from techalign.requirements import services as requirements
from techalign.requirements.models import Scenario, Status
from tests.domain.support import current, revision_count, status_of
from tests.factories import advance, rewrite_scenario, sign_all


def scenario(req, key: str) -> Scenario:
    return req.scenarios.get(number=int(key[2:]))


def suspect_keys(req) -> dict[str, list[str]]:
    marks = selectors.suspect_by_item(req, current(req))
    return {key: sorted(m.scenario.key for m in found) for key, found in marks.items()}


def submit(req, actor):
    plans.submit_for_review(
        requirement=req, actor=actor, revision_number=current(req).number, confirm=True
    )


def test_a_scenario_edit_after_hand_off_marks_exactly_the_covering_items_with_the_diff(w):
    req = advance(w, "in_review")

    rewrite_scenario(w, req, "S-2", title="部分退款到余额", acceptance_criteria="到账 1 分钟内")

    assert suspect_keys(req) == {"I-2": ["S-2"]}
    mark = SuspectLink.objects.get()
    assert mark.before == {"title": "场景 2", "acceptance_criteria": ""}
    assert mark.after == {"title": "部分退款到余额", "acceptance_criteria": "到账 1 分钟内"}
    assert (mark.marked_by, mark.cleared_at) == (w.ming, None)
    assert scenario(req, "S-2").acknowledged_at is None
    assert scenario(req, "S-1").acknowledged_at is not None


def test_an_item_covering_two_changed_scenarios_carries_both_marks(w):
    req = advance(w, "planning", scenarios=4)  # I-1 covers S-1 and S-4

    rewrite_scenario(w, req, "S-1", description="按订单行退款")
    rewrite_scenario(w, req, "S-4", description="退款后重算优惠")

    assert suspect_keys(req) == {"I-1": ["S-1", "S-4"]}


def test_a_second_edit_keeps_the_first_before_in_the_diff(w):
    req = advance(w, "planning")

    rewrite_scenario(w, req, "S-2", description="第一稿")
    rewrite_scenario(w, req, "S-2", description="第二稿")

    mark = SuspectLink.objects.get()
    assert (mark.before, mark.after) == ({"description": ""}, {"description": "第二稿"})


def test_a_priority_change_alone_marks_no_item(w):
    req = advance(w, "planning")

    rewrite_scenario(w, req, "S-2", priority="P0")

    assert suspect_keys(req) == {}
    assert not SuspectLink.objects.exists()


def test_a_scenario_edit_before_hand_off_marks_nothing(w):
    req = advance(w, "draft")

    rewrite_scenario(w, req, "S-2", description="还在起草")

    assert not SuspectLink.objects.exists()


def test_approval_is_refused_naming_the_unacknowledged_scenario_and_the_suspect_items(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")
    submit(req, w.lei)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.qiang)

    assert refused.value.code == "plan.scenarios_unacknowledged"
    assert refused.value.details["scenarios"] == ["S-2"]
    assert "lei" in refused.value.message
    codes = {g.code: g.details for g in selectors.approval_gaps(req, current(req))}
    assert codes["plan.items_suspect"] == {"items": ["I-2"], "scenarios": ["S-2"]}
    assert status_of(req) == Status.IN_REVIEW


def test_the_suspect_item_alone_still_refuses_approval(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")
    requirements.acknowledge_scenario(scenario=scenario(req, "S-2"), actor=w.lei)
    submit(req, w.lei)

    with pytest.raises(Refused) as refused:
        plans.approve_revision(revision=current(req), actor=w.qiang)

    assert refused.value.code == "plan.items_suspect"
    assert refused.value.message == (
        "Item(s) I-2 are suspect: scenario(s) S-2 they cover changed; "
        "a DEV must confirm or edit them."
    )


def test_a_dev_confirms_the_item_as_it_stands_without_a_new_revision(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")
    requirements.acknowledge_scenario(scenario=scenario(req, "S-2"), actor=w.lei)
    revisions = revision_count(req)

    plans.confirm_item(requirement=req, actor=w.fang, based_on=current(req).number, item_key="I-2")

    assert suspect_keys(req) == {}
    mark = SuspectLink.objects.get()
    assert (mark.cleared_by, mark.how) == (w.fang, SuspectLink.How.CONFIRMED)
    assert revision_count(req) == revisions
    assert selectors.approval_gaps(req, current(req)) == []
    submit(req, w.lei)
    plans.approve_revision(revision=current(req), actor=w.qiang)
    assert status_of(req) == Status.APPROVED


def test_editing_the_item_clears_its_marks(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")

    plans.update_item(
        requirement=req,
        actor=w.lei,
        based_on=current(req).number,
        item_key="I-2",
        description="退款金额按实付校验",
    )

    assert suspect_keys(req) == {}
    assert SuspectLink.objects.get().how == SuspectLink.How.EDITED


def test_editing_another_item_leaves_the_mark(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")

    plans.update_item(
        requirement=req, actor=w.lei, based_on=current(req).number, item_key="I-1", title="改"
    )

    assert suspect_keys(req) == {"I-2": ["S-2"]}


def test_removing_the_suspect_item_leaves_nothing_suspect(w):
    req = advance(w, "planning", scenarios=4)
    rewrite_scenario(w, req, "S-1")

    plans.remove_item(requirement=req, actor=w.lei, based_on=current(req).number, item_key="I-1")

    assert suspect_keys(req) == {}


@pytest.mark.parametrize(
    "persona, code",
    [("ming", "role.not_allowed"), ("qiang", "role.not_allowed"), ("charlie", "item.other_party")],
)
def test_only_a_dev_who_may_edit_the_plan_confirms(w, persona, code):
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")

    with pytest.raises(Refused) as refused:
        plans.confirm_item(
            requirement=req,
            actor=getattr(w, persona),
            based_on=current(req).number,
            item_key="I-2",
        )

    assert refused.value.code == code
    assert suspect_keys(req) == {"I-2": ["S-2"]}


def test_a_party_dev_confirms_the_items_of_their_own_section_only(w):
    """I-2 is the payments team's: its DEV confirms it; the finance DEV is refused, naming
    the owning team."""
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")

    with pytest.raises(Refused) as refused:
        plans.confirm_item(
            requirement=req, actor=w.wei, based_on=current(req).number, item_key="I-2"
        )
    assert refused.value.code == "item.other_party"
    assert refused.value.details["team"] == w.payments.name

    plans.confirm_item(requirement=req, actor=w.jun, based_on=current(req).number, item_key="I-2")
    assert suspect_keys(req) == {}


def test_confirming_an_item_that_is_not_suspect_is_refused(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")

    with pytest.raises(Refused) as refused:
        plans.confirm_item(
            requirement=req, actor=w.lei, based_on=current(req).number, item_key="I-1"
        )

    assert refused.value.code == "item.not_suspect"
    assert refused.value.details == {"item": "I-1"}


def test_confirming_from_an_older_revision_is_refused(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")

    with pytest.raises(Refused) as refused:
        plans.confirm_item(requirement=req, actor=w.lei, based_on=3, item_key="I-2")

    assert refused.value.code == "plan.stale_revision"
    assert suspect_keys(req) == {"I-2": ["S-2"]}


def test_finalize_is_refused_while_an_item_is_suspect(w):
    req = advance(w, "aligning")
    sign_all(w, req)
    # An old row written before this rule, or any path that marks without a new revision.
    SuspectLink.objects.create(
        requirement=req,
        item_number=3,
        scenario=scenario(req, "S-3"),
        before={"description": ""},
        after={"description": "新"},
        marked_by=w.ming,
        marked_at=current(req).created_at,
    )
    revision = current(req)

    with pytest.raises(Refused) as refused:
        plans.finalize(
            requirement=req,
            actor=w.ming,
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )

    assert refused.value.code == "plan.items_suspect"
    assert refused.value.details["items"] == ["I-3"]
    assert status_of(req) == Status.ALIGNING


def test_the_marks_and_the_confirmation_are_in_the_audit_log(w):
    from techalign.audit.models import AuditEvent

    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")
    plans.confirm_item(requirement=req, actor=w.lei, based_on=current(req).number, item_key="I-2")

    actions = list(
        AuditEvent.objects.filter(requirement=req).order_by("-seq").values_list("action", flat=True)
    )
    assert actions[0] == "plan.item_confirmed"
    assert "plan.items_marked_suspect" in actions[:4]


def test_who_acts_next_names_the_devs_who_may_confirm_the_suspect_items(w):
    from techalign.requirements.selectors import next_actions

    req = advance(w, "planning")
    rewrite_scenario(w, req, "S-2")
    req.refresh_from_db()

    [confirm] = [a for a in next_actions(req) if a.action == "confirm_suspect"]

    assert "I-2" in confirm.message
    assert [u.username for u in confirm.users] == ["fang", "lei"]
    plans.confirm_item(requirement=req, actor=w.lei, based_on=current(req).number, item_key="I-2")
    assert "confirm_suspect" not in [a.action for a in next_actions(req)]
