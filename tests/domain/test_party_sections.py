"""Party sections: the items on a related party's components are that party's section. Its DEVs
write them (each edit a revision), the lead team's DEVs write every item, a DEV of another team
is refused naming the owning team, and PMs never write items."""

import pytest

from techalign.core.errors import Refused
from techalign.plans import services as plans
from techalign.plans.markdown import ItemEntry, export_plan, import_plan, parse, render
from techalign.plans.models import Item
from techalign.plans.selectors import party_team_ids
from tests.domain.support import current, due, revision_count
from tests.factories import advance, make_component

# advance(w, "planning"): I-1 on order-service (order, the lead team), I-2 on refund-api
# (payments: DEV jun, PM hua), I-3 on ledger (finance: DEV wei, PM li); revision 3.


def test_party_dev_adds_an_item_to_their_section(w):
    req = advance(w, "planning")

    item = plans.add_item(
        requirement=req,
        actor=w.jun,
        based_on=3,
        component=w.refund_api,
        kind="new_api",
        title="退款查询接口",
        ask="提供按订单查询退款的接口",
        due_on=due(20),
        scenario_keys=["S-2"],
    )

    assert item.key == "I-4" and item.owner_team == w.payments and item.author == w.jun
    revision = current(req)
    assert revision.number == 4 and revision.author == w.jun


def test_party_dev_edits_and_removes_their_items(w):
    req = advance(w, "planning")

    item = plans.update_item(
        requirement=req, actor=w.jun, based_on=3, item_key="I-2", ask="退款接口支持部分金额"
    )
    assert item.ask == "退款接口支持部分金额" and item.author == w.jun
    assert current(req).number == 4

    plans.remove_item(requirement=req, actor=w.jun, based_on=4, item_key="I-2")
    assert [i["key"] for i in current(req).content["items"]] == ["I-1", "I-3"]


def test_a_dev_may_add_an_item_on_their_own_teams_component_making_it_a_party(w):
    req = advance(w, "planning")
    promo = make_component("promo-api", w.elsewhere, name="营销接口")
    assert w.elsewhere.pk not in party_team_ids(req)

    plans.add_item(
        requirement=req, actor=w.charlie, based_on=3, component=promo, kind="config", title="x"
    )

    assert w.elsewhere.pk in party_team_ids(req)


REFUSED_EDITS = {
    # A DEV of a team with no part in the plan, on the payments item.
    "third team": ("charlie", "update", "I-2", {"ask": "x"}, "payments", "refund-api"),
    "another party's item": ("jun", "remove", "I-3", {}, "finance", "ledger"),
    "the lead team's item": ("jun", "update", "I-1", {"title": "改"}, "order", "order-service"),
    # Both the old and the new component must be in the DEV's section.
    "moved out of the section": (
        "jun",
        "update",
        "I-2",
        {"component": "ledger"},
        "finance",
        "ledger",
    ),
}


@pytest.mark.parametrize("case", REFUSED_EDITS)
def test_a_dev_outside_the_section_is_refused_naming_the_owning_team(w, case):
    persona, edit, key, fields, team, component = REFUSED_EDITS[case]
    req = advance(w, "planning")
    before = current(req).content_hash
    fields = {k: w.ledger if k == "component" else v for k, v in fields.items()}

    with pytest.raises(Refused) as refused:
        if edit == "remove":
            plans.remove_item(requirement=req, actor=getattr(w, persona), based_on=3, item_key=key)
        else:
            plans.update_item(
                requirement=req, actor=getattr(w, persona), based_on=3, item_key=key, **fields
            )

    owner = getattr(w, team)
    assert refused.value.code == "item.other_party"
    assert refused.value.details["team"] == owner.name
    assert refused.value.details["component"] == component
    assert f"in the section of team {owner.name}" in refused.value.message
    assert revision_count(req) == 3 and current(req).content_hash == before


@pytest.mark.parametrize("pm", ["hua", "ming"])
def test_pms_never_write_items_even_in_their_section(w, pm):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        plans.update_item(
            requirement=req, actor=getattr(w, pm), based_on=3, item_key="I-2", ask="x"
        )

    assert refused.value.code == "role.not_allowed"
    assert refused.value.details["team"] == w.order.name
    assert revision_count(req) == 3


def test_lead_dev_edits_a_party_item(w):
    req = advance(w, "planning")

    item = plans.update_item(
        requirement=req, actor=w.fang, based_on=3, item_key="I-3", ask="总账按日对账"
    )

    assert item.ask == "总账按日对账" and item.author == w.fang


def test_submitting_for_review_stays_with_the_lead_teams_devs(w):
    req = advance(w, "planning")

    with pytest.raises(Refused) as refused:
        plans.submit_for_review(requirement=req, actor=w.jun, revision_number=3)

    assert refused.value.code == "role.not_allowed"


def test_party_dev_imports_markdown_that_changes_only_their_section(w):
    req = advance(w, "planning")
    doc = parse(export_plan(req))
    doc.items[1].ask = "退款接口支持部分金额，并返回退款单号"
    doc.items.append(
        ItemEntry(key=None, title="退款回调", component="refund-api", kind="new_api", ask="回调")
    )

    result = import_plan(actor=w.jun, text=render(doc), requirement=req)

    assert result.revision.number == 4 and result.revision.author == w.jun
    assert result.revision.summary == "I-2 changed; I-4 added"
    again = parse(export_plan(req))
    assert [(i.key, i.owner) for i in again.items][1:] == [
        ("I-2", "payments"),
        ("I-3", "finance"),
        ("I-4", "payments"),
    ]
    assert again.items[1].ask == "退款接口支持部分金额，并返回退款单号"
    assert import_plan(actor=w.jun, text=export_plan(req), requirement=req).revision is None


@pytest.mark.parametrize("touch", ["change", "remove", "add"])
def test_party_dev_markdown_import_touching_another_section_is_refused(w, touch):
    req = advance(w, "planning")
    doc = parse(export_plan(req))
    doc.items[1].ask = "我方的改动"  # their own section: allowed on its own
    if touch == "change":
        doc.items[0].title = "改订单服务"
    elif touch == "remove":
        del doc.items[2]
    else:
        doc.items.append(ItemEntry(key=None, title="对账", component="ledger", kind="job"))

    with pytest.raises(Refused) as refused:
        import_plan(actor=w.jun, text=render(doc), requirement=req)

    assert refused.value.code == "item.other_party"
    assert refused.value.details["team"] in {w.order.name, w.finance.name}
    assert revision_count(req) == 3
    assert Item.objects.filter(revision=current(req), ask="我方的改动").count() == 0
