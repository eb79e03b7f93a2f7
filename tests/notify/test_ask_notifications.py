"""Parties hear early: an ask written or changed for a team reaches that team's PMs and DEVs at
once (inbox, email, chat), with the ask, its due date and a link to the item; the actor is not
told; a Markdown import that changes several asks of one team tells each person once; and the
inbox lists the asks to my teams on plans not yet finalized."""

import datetime as dt

from django.utils import translation

from techalign.notify.models import Delivery, Notification
from techalign.plans import services as plans
from techalign.plans.markdown import export_plan, import_plan, parse, render
from techalign.web.selectors import asks_to_my_teams, my_work
from tests.factories import advance, make_component
from tests.notify.conftest import give_emails

ASK = "plan.ask_written"


def asks_heard(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, event=ASK).order_by("id"))


def test_writing_the_plan_tells_each_asked_party_not_the_lead_team(
    w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req = advance(w, "planning")

    for person in (w.jun, w.hua):
        [heard] = asks_heard(person)
        assert heard.requirement == req
        assert heard.params["team"] == str(w.payments)
        assert [a["item"] for a in heard.params["asks"]] == ["I-2"]
    assert [n.params["team"] for n in asks_heard(w.wei)] == [str(w.finance)]
    assert asks_heard(w.lei) == [] and asks_heard(w.ming) == [] and asks_heard(w.charlie) == []


def test_changing_an_ask_tells_the_party_with_ask_due_date_and_link(
    w, django_capture_on_commit_callbacks
):
    req = advance(w, "planning")
    due = dt.date(2027, 3, 15)

    with django_capture_on_commit_callbacks(execute=True):
        plans.update_item(
            requirement=req,
            actor=w.lei,
            based_on=3,
            item_key="I-2",
            ask="退款接口支持部分金额",
            due_on=due,
        )

    [heard] = asks_heard(w.jun)
    assert heard.url.endswith(f"/r/{req.key}/plan/#item-I-2")
    with translation.override("en"):
        title, body = heard.shown()
    assert title == f"Ask to {w.payments} on {req.key}"
    assert "I-2" in body and "退款接口支持部分金额" in body and "due 2027-03-15" in body
    assert heard.url in body
    with translation.override("zh-hans"):
        zh_title, zh_body = heard.shown()
    assert zh_title != title and "2027-03-15" in zh_body
    assert len(asks_heard(w.hua)) == 1
    assert asks_heard(w.wei) == []  # finance's ask did not change


def test_changes_that_leave_the_ask_alone_tell_nobody(w, django_capture_on_commit_callbacks):
    req = advance(w, "planning")

    with django_capture_on_commit_callbacks(execute=True):
        plans.update_item(
            requirement=req, actor=w.lei, based_on=3, item_key="I-2", description="细节"
        )
        plans.update_item(requirement=req, actor=w.lei, based_on=4, item_key="I-1", ask="x")

    assert Notification.objects.filter(event=ASK).count() == 0


def test_the_actor_is_not_told_but_their_teammates_are(w, django_capture_on_commit_callbacks):
    req = advance(w, "planning")

    with django_capture_on_commit_callbacks(execute=True):
        plans.update_item(requirement=req, actor=w.jun, based_on=3, item_key="I-2", ask="自己改")

    assert asks_heard(w.jun) == []
    assert len(asks_heard(w.hua)) == 1


def test_a_new_party_hears_of_the_item_added_on_its_component(
    w, django_capture_on_commit_callbacks
):
    req = advance(w, "planning")
    promo = make_component("promo-api", w.elsewhere, name="营销接口")

    with django_capture_on_commit_callbacks(execute=True):
        plans.add_item(
            requirement=req,
            actor=w.lei,
            based_on=3,
            component=promo,
            kind="config",
            title="发券",
            ask="退款后收回优惠券",
        )

    [heard] = asks_heard(w.charlie)
    assert heard.params["asks"][0]["item"] == "I-4"
    assert heard.params["asks"][0]["due"] == ""


def test_one_import_changing_three_asks_of_a_team_tells_each_person_once(
    w, django_capture_on_commit_callbacks, smtp
):
    req = advance(w, "planning")
    for n in (4, 5):
        plans.add_item(
            requirement=req,
            actor=w.lei,
            based_on=n - 1,
            component=w.refund_api,
            kind="api_change",
            title=f"退款 {n}",
        )
    give_emails(w.jun, w.hua, w.wei)
    doc = parse(export_plan(req))
    for entry in doc.items:
        if entry.component == "refund-api":
            entry.ask = f"{entry.key} 的新诉求"
            entry.due_on = dt.date(2027, 4, 1)

    with django_capture_on_commit_callbacks(execute=True):
        import_plan(actor=w.lei, text=render(doc), requirement=req)

    for person in (w.jun, w.hua):
        [heard] = asks_heard(person)
        assert [a["item"] for a in heard.params["asks"]] == ["I-2", "I-4", "I-5"]
        assert all(a["due"] == "2027-04-01" for a in heard.params["asks"])
    assert asks_heard(w.wei) == []
    emails = Delivery.objects.filter(event=ASK, medium=Delivery.Medium.EMAIL)
    assert sorted(d.recipient for d in emails) == sorted([w.jun.email, w.hua.email])


def test_the_inbox_lists_asks_to_my_teams_until_the_plan_is_finalized(w):
    req = advance(w, "planning")

    for person in (w.jun, w.hua):
        asks = my_work(person).asks
        assert [(a.revision.plan.requirement, a.key, a.ask) for a in asks] == [
            (req, "I-2", "请支持部分退款")
        ]
    assert [a.key for a in asks_to_my_teams(w.wei)] == ["I-3"]
    assert asks_to_my_teams(w.lei).count() == 0  # the lead team asks, it is not asked
    assert asks_to_my_teams(w.charlie).count() == 0

    final = advance(w, "finalized")
    assert final.plan.current_revision.items.filter(owner_team=w.payments).exists()
    assert [a.revision.plan.requirement for a in asks_to_my_teams(w.jun)] == [req]
