"""The plan page in sections, one per party (the lead team first), each with its asks, due dates
and who last changed it; a party DEV edits their own section from the page and nothing else."""

import re

import pytest
from django.urls import reverse

from techalign.plans import services as plans
from techalign.plans.selectors import current_revision
from tests.factories import advance, grow
from tests.web.test_actions import do


def plan_page(client, req, **query) -> str:
    return client.get(reverse("web:plan", args=[req.key]), query).content.decode()


def section_of(page: str, code: str) -> str:
    """The HTML of one section, up to the next section or the end of the items."""
    start = page.index(f'id="section-{code}"')
    rest = page[start + 1 :]
    ends = [i for i in (rest.find('id="section-'), rest.find("</section>")) if i >= 0]
    return rest[: min(ends)]


def edit_links(html: str) -> set[str]:
    return set(re.findall(r"\?edit_item=(I-\d+)#", html))


def test_items_are_grouped_in_sections_lead_team_first_with_asks_and_last_change(w, as_user):
    req = advance(w, "planning")
    plans.update_item(requirement=req, actor=w.jun, based_on=3, item_key="I-2", ask="支持部分退款")

    page = plan_page(as_user(w.ming), req)

    order = [page.index(f'id="section-{code}"') for code in ("order", "finance", "payments")]
    assert order == sorted(order)
    payments = section_of(page, "payments")
    assert "支付组" in payments and "related party" in payments
    assert "last changed by jun in revision 4" in payments
    assert 'href="#item-I-2"' in payments and "due " in payments
    assert 'id="item-I-2"' in payments and 'id="item-I-3"' not in payments
    assert "last changed by lei in revision 3" in section_of(page, "finance")
    lead = section_of(page, "order")
    assert "lead team" in lead and "last changed by lei in revision 1" in lead


def test_a_party_dev_sees_edit_controls_only_on_their_section(w, as_user):
    req = advance(w, "planning")

    page = plan_page(as_user(w.jun), req)

    assert edit_links(page) == {"I-2"}
    assert page.count("remove_item") == 1
    # The add form offers their own team's components only.
    datalist = page[page.index('id="id_component_options"') :]
    datalist = datalist[: datalist.index("</datalist>")]
    assert "refund-api" in datalist and "order-service" not in datalist
    assert "team=payments" in page


def test_the_lead_dev_and_pm_see_edit_controls_on_every_section(w, as_user):
    req = advance(w, "planning")
    for person in (w.lei, w.ming):
        assert edit_links(plan_page(as_user(person), req)) == {"I-1", "I-2", "I-3"}


def test_a_third_team_dev_sees_no_editor(w, as_user):
    req = advance(w, "planning")
    page = plan_page(as_user(w.charlie), req)
    assert edit_links(page) == set() and "add_item" not in page
    assert "question_item=" not in page  # not involved: may not raise questions here


def test_a_party_dev_edits_their_item_from_the_page(w, as_user):
    req = advance(w, "planning")
    client = as_user(w.jun)
    assert 'name="title"' in plan_page(client, req, edit_item="I-2")

    response = do(
        client,
        req,
        "update_item",
        "I-2",
        component=w.refund_api.key,
        kind="api_change",
        title="退款接口支持部分金额",
        ask="支持部分金额退款",
        due_on="2027-02-01",
        based_on=3,
    )

    assert response.status_code == 200 and "X-Refused" not in response
    assert current_revision(req).number == 4
    assert current_revision(req).author == w.jun


def test_a_party_dev_adding_on_the_lead_teams_component_is_refused_naming_it(w, as_user):
    req = advance(w, "planning")

    response = do(
        as_user(w.jun),
        req,
        "add_item",
        component=w.order_service.key,
        kind="api_change",
        title="越界",
        based_on=3,
    )

    assert response["X-Refused"] == "item.other_party"
    assert "Component order-service is in the section of team 订单组" in response.content.decode()
    assert current_revision(req).number == 3


def test_the_component_search_can_be_limited_to_a_team(w, as_user):
    client = as_user(w.jun)
    url = reverse("web:component_options")
    assert "order-service" in client.get(url, {"component": "e"}).content.decode()
    limited = client.get(url, {"component": "e", "team": "payments"}).content.decode()
    assert "refund-api" in limited and "order-service" not in limited


def test_a_party_dev_asks_a_question_from_the_item(w, as_user):
    req = advance(w, "planning")
    client = as_user(w.jun)
    link = "?question_item=I-2#questions"
    assert link in plan_page(client, req)

    page = client.get(reverse("web:requirement", args=[req.key]), {"question_item": "I-2"})
    assert re.search(r'<option value="I-2" selected>', page.content.decode())

    do(client, req, "raise_question", body="退款金额精度？", item_key="I-2")
    question = req.questions.get()
    assert question.item_key == "I-2" and question.raised_by == w.jun


def test_my_work_lists_the_asks_to_my_teams_with_due_date_and_link(w, as_user):
    req = advance(w, "planning")
    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-2", ask="退款接口支持部分金额"
    )

    page = as_user(w.hua).get(reverse("web:inbox")).content.decode()

    asks = page[page.index('id="inbox-asks"') :]
    asks = asks[: asks.index("</section>")]
    assert "Asks to my teams" in asks
    assert f'href="/r/{req.key}/plan/#item-I-2"' in asks
    assert "退款接口支持部分金额" in asks and "due " in asks
    assert "I-3" not in asks  # finance's ask is not payments'
    lead = as_user(w.lei).get(reverse("web:inbox")).content.decode()
    assert 'id="inbox-asks"' in lead and "退款接口支持部分金额" not in lead


# Bounds: the large data set's count plus one (as in test_query_counts.py; measured
# 2026-12-07, small → large: plan 37 → 39, 45 → 47 before its sections shared one reading).
@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize(("url_name", "bound"), [("web:plan", 40), ("web:inbox", 16)])
def test_a_party_devs_plan_page_and_asks_do_not_query_per_row(
    w, as_user, django_assert_max_num_queries, size, url_name, bound
):
    req = advance(w, "planning")
    if size == "large":
        grow(w, req, scenarios=10, items=12)
        advance(w, "planning")  # asks to payments in a second plan
    client = as_user(w.jun)
    url = reverse(url_name, args=[req.key] if url_name == "web:plan" else [])
    client.get(url)  # warm the session and the role caches
    with django_assert_max_num_queries(bound):
        response = client.get(url)
    assert response.status_code == 200 and "I-2" in response.content.decode()
