"""Step 2, writing the plan: only the lead team's DEVs edit items, every edit is a new immutable
revision, and an edit based on an older revision is refused rather than lost."""

import pytest

from techalign.core.errors import Refused
from techalign.plans import services as plans
from techalign.plans.models import Plan
from techalign.plans.selectors import related_parties
from techalign.requirements import services as requirements
from techalign.requirements.models import Status
from tests.domain.support import current, due, revision_count, status_of
from tests.factories import advance, make_component


def add_order_item(req, actor, based_on, **fields):
    spec = {
        "component": None,
        "kind": "api_change",
        "title": "订单页展示退款进度",
        "scenario_keys": ["S-1"],
        **fields,
    }
    return plans.add_item(requirement=req, actor=actor, based_on=based_on, **spec)


def test_lead_dev_adds_an_item_as_a_new_revision(w):
    req = advance(w, "planning")
    before = current(req)

    item = add_order_item(req, w.fang, 3, component=w.order_service)

    assert item.key == "I-4"
    assert item.owner_team == w.order
    revision = current(req)
    assert revision.number == 4 and revision.author == w.fang
    assert [i["key"] for i in revision.content["items"]] == ["I-1", "I-2", "I-3", "I-4"]
    assert revision.content_hash != before.content_hash
    before.refresh_from_db()
    assert before.items.count() == 3  # the earlier revision is untouched


EDITS = {
    "add": lambda w, req, actor: add_order_item(req, actor, 3, component=w.order_service),
    "update": lambda w, req, actor: plans.update_item(
        requirement=req, actor=actor, based_on=3, item_key="I-1", title="PM 改的"
    ),
    "remove": lambda w, req, actor: plans.remove_item(
        requirement=req, actor=actor, based_on=3, item_key="I-1"
    ),
}


@pytest.mark.parametrize("edit", EDITS)
def test_pm_cannot_write_plan_items(w, edit):
    req = advance(w, "planning")
    before = current(req)

    with pytest.raises(Refused) as refused:
        EDITS[edit](w, req, w.ming)

    assert refused.value.code == "role.not_allowed"
    assert refused.value.details["user"] == "ming"
    assert revision_count(req) == 3  # nothing written
    assert current(req).content_hash == before.content_hash


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("qiang", "role.not_allowed"),
        ("arch", "role.not_allowed"),
        # DEVs of other teams write only their own team's section (test_party_sections.py).
        ("jun", "item.other_party"),
        ("charlie", "item.other_party"),
    ],
)
def test_only_lead_team_devs_may_add_items_on_lead_components(w, persona, code):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        EDITS["add"](w, req, getattr(w, persona))

    assert refused.value.code == code
    assert revision_count(req) == 3


def test_items_cannot_be_written_before_the_hand_off(w):
    req = advance(w, "draft")

    with pytest.raises(Refused) as refused:
        add_order_item(req, w.lei, 0, component=w.order_service)

    assert refused.value.code == "requirement.wrong_step"
    assert revision_count(req) == 0


def test_an_item_edit_based_on_an_older_revision_is_refused_with_the_current_number(w):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        plans.update_item(requirement=req, actor=w.fang, based_on=2, item_key="I-1", title="旧")

    assert refused.value.code == "plan.stale_revision"
    assert refused.value.details == {"current": 3, "based_on": 2}
    assert revision_count(req) == 3
    assert current(req).items.get(number=1).title == "改 order-service"


def test_the_second_of_two_devs_editing_the_same_revision_is_refused(w):
    req = advance(w, "planning")
    add_order_item(req, w.lei, 3, component=w.order_service, title="lei 的条目")

    with pytest.raises(Refused) as refused:
        add_order_item(req, w.fang, 3, component=w.order_service, title="fang 的条目")

    assert refused.value.code == "plan.stale_revision"
    assert refused.value.details["current"] == 4
    assert [i.title for i in current(req).items.filter(number__gt=3)] == ["lei 的条目"]


def test_an_item_edit_without_a_base_revision_is_refused(w):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        plans.remove_item(requirement=req, actor=w.lei, based_on=None, item_key="I-1")

    assert refused.value.code == "plan.stale_revision"
    assert revision_count(req) == 3


def test_updating_an_item_keeps_its_key_and_the_other_items(w):
    req = advance(w, "planning")

    item = plans.update_item(
        requirement=req,
        actor=w.fang,
        based_on=3,
        item_key="I-2",
        ask="请支持按金额部分退款",
        scenario_keys=["S-2", "S-3"],
    )

    assert item.key == "I-2"
    content = current(req).content["items"]
    assert content[1]["ask"] == "请支持按金额部分退款"
    assert content[1]["scenarios"] == ["S-2", "S-3"]
    assert [i["title"] for i in content] == ["改 order-service", "改 refund-api", "改 ledger"]


def test_removing_an_item_leaves_the_earlier_revision_intact_and_never_reuses_its_key(w):
    req = advance(w, "planning")

    plans.remove_item(requirement=req, actor=w.lei, based_on=3, item_key="I-3")
    item = add_order_item(req, w.lei, 4, component=w.order_service)

    assert item.key == "I-4"
    assert [i["key"] for i in current(req).content["items"]] == ["I-1", "I-2", "I-4"]
    assert req.plan.revisions.get(number=3).items.count() == 3


def test_editing_an_item_that_is_not_in_the_plan_is_refused(w):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-7", title="x")

    assert refused.value.code == "item.not_found"
    assert refused.value.details == {"item": "I-7", "revision": 3}
    assert revision_count(req) == 3


def test_an_item_covering_an_unknown_scenario_is_refused(w):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        add_order_item(req, w.lei, 3, component=w.order_service, scenario_keys=["S-1", "S-9"])

    assert refused.value.code == "item.unknown_scenario"
    assert refused.value.details["scenarios"] == ["S-9"]
    assert revision_count(req) == 3
    assert Plan.objects.get(requirement=req).next_item_number == 4  # no number used up


def test_an_item_on_another_teams_component_makes_that_team_a_related_party(w):
    req = advance(w, "planning")
    coupons = make_component("coupon-api", w.elsewhere, name="优惠券接口")
    add_order_item(req, w.lei, 3, component=coupons, ask="退款时退回优惠券", due_on=due())

    assert {t.code for t in related_parties(req)} == {"payments", "finance", "marketing"}


def test_a_new_scenario_is_a_new_revision_but_not_plan_authorship(w):
    req = advance(w, "planning")

    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")

    revision = current(req)
    assert revision.number == 4
    assert revision.change_kind == "scenarios"
    assert [s["key"] for s in revision.content["scenarios"]] == ["S-1", "S-2", "S-3", "S-4"]
    assert status_of(req) == Status.PLANNING


def test_a_scenario_added_through_an_object_read_before_the_last_item_edit_is_a_new_revision(w):
    """An import applies many edits through one requirement object; each must see the last."""
    req = advance(w, "planning")
    current(req)  # the object now holds the plan as of revision 3
    add_order_item(req, w.lei, 3, component=w.order_service)

    requirements.add_scenario(requirement=req, actor=w.ming, title="场景 4")

    assert [r.number for r in Plan.objects.get(requirement=req).revisions.all()] == [1, 2, 3, 4, 5]
    assert len(current(req).content["items"]) == 4
