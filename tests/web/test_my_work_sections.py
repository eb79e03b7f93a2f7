"""My work shows the first rows of each kind with the count of them all; the rest are one link
away, a page at a time. Over years a PM's teams are asked for hundreds of items."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from techalign.plans import selectors as plan_selectors
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from techalign.web import selectors
from techalign.web.selectors import (
    blocking_questions_on_my_plans,
    count_my_work,
    my_work,
    scenarios_to_acknowledge,
    work_section,
)
from techalign.web.views import home
from tests.factories import advance, grow


@pytest.fixture
def asks(w):
    """The asks to the payments team (hua is its PM): one from the plan, more from its items."""
    grow(w, advance(w, "planning"), scenarios=0, items=9)
    found = list(work_section(w.hua, "asks"))
    assert len(found) >= 4
    return found


def _section(page: str, slug: str) -> str:
    part = page[page.index(f'id="inbox-{slug}"') :]
    return part[: part.index("</section>")]


def _links(html: str) -> list[str]:
    return re.findall(r'href="(/r/[^"]+#item-[^"]+)"', html)


def test_each_kind_shows_its_first_rows_and_counts_them_all(w, asks, monkeypatch):
    monkeypatch.setattr(selectors, "INBOX_ROWS", 2)
    work = my_work(w.hua)
    assert work.asks == asks[:2]  # the most urgent first, in the whole list's order
    assert work.totals["asks"] == len(asks)
    assert work.total == count_my_work(w.hua)  # the navigation bar's count agrees


def test_the_inbox_links_to_the_whole_list_a_page_at_a_time(w, asks, as_user, monkeypatch):
    monkeypatch.setattr(selectors, "INBOX_ROWS", 2)
    monkeypatch.setattr(home, "SECTION_PAGE_SIZE", 3)
    client = as_user(w.hua, "zh-hans")
    shown = _section(client.get(reverse("web:inbox")).content.decode(), "asks")
    assert len(_links(shown)) == 2
    assert f'<span class="count">{len(asks)}</span>' in shown
    whole = reverse("web:inbox_section", args=["asks"])
    assert f'href="{whole}"' in shown and f"查看全部 {len(asks)} 项" in shown

    first = client.get(whole)
    second = client.get(whole, {"page": 2})
    assert first.status_code == second.status_code == 200
    first_links, second_links = _links(first.content.decode()), _links(second.content.decode())
    assert len(first_links) == 3
    assert len(first_links + second_links) == len(set(first_links + second_links)) == len(asks)
    assert "查看全部" not in first.content.decode()  # the whole list links to no more
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' in second.content.decode()


def test_a_kind_that_fits_has_no_link_to_more(w, asks, as_user, monkeypatch):
    monkeypatch.setattr(selectors, "INBOX_ROWS", len(asks))
    shown = _section(as_user(w.hua).get(reverse("web:inbox")).content.decode(), "asks")
    assert len(_links(shown)) == len(asks)
    assert reverse("web:inbox_section", args=["asks"]) not in shown


def test_every_kind_has_its_page_and_no_other_does(w, as_user):
    client = as_user(w.hua)
    for slug, _name, _title in home.SECTIONS:
        response = client.get(reverse("web:inbox_section", args=[slug]))
        assert response.status_code == 200, slug
        assert f'id="inbox-{slug}"' in response.content.decode()
    assert client.get("/work/everything/").status_code == 404


def test_blocking_questions_reach_the_lead_dev_and_the_authors_of_the_current_plan(w):
    req = advance(w, "planning")
    advance(w, "planning")  # another plan, with its own lead DEV's items only
    plans.add_item(
        requirement=req,
        actor=w.fang,
        based_on=plan_selectors.current_revision(req).number,
        component=w.order_service,
        kind="api_change",
        title="补单接口",
        scenario_keys=[req.scenarios.first().key],
    )
    blocking = requirements.raise_question(
        requirement=req, actor=w.jun, body="部分退款的对账口径？", is_blocking=True
    )
    requirements.raise_question(requirement=req, actor=w.jun, body="文案确认", is_blocking=False)
    assert list(blocking_questions_on_my_plans(w.lei)) == [blocking]
    assert list(blocking_questions_on_my_plans(w.fang)) == [blocking]
    assert list(blocking_questions_on_my_plans(w.wei)) == []


def test_scenarios_to_acknowledge_reach_the_lead_dev_and_their_delegate(w):
    req = advance(w, "handed_off")
    waiting = {s.pk for s in scenarios_to_acknowledge(w.lei)}
    assert waiting == set(req.scenarios.values_list("pk", flat=True))
    assert list(scenarios_to_acknowledge(w.fang)) == []
    requirements.delegate_acknowledgement(requirement=req, actor=w.lei, delegate=w.fang)
    assert {s.pk for s in scenarios_to_acknowledge(w.fang)} == waiting
    assert list(scenarios_to_acknowledge(w.jun)) == []


def test_any_page_number_gives_a_page_and_reads_its_rows_once(w, asks, as_user):
    client = as_user(w.hua, "zh-hans")
    whole = reverse("web:inbox_section", args=["asks"])
    for page in ["abc", "0", "-1", "9" * 40, "", "\x00", "1e9"]:
        response = client.get(whole, {"page": page})
        assert response.status_code == 200, page
        assert len(_links(response.content.decode())) == len(asks)
    with CaptureQueriesContext(connection) as queries:
        client.get(whole)
    pages = [q["sql"] for q in queries.captured_queries if "plans_item" in q["sql"]]
    assert len(pages) == 2  # the count and the page, not the page twice


def test_the_navigation_count_stops_at_its_cap_and_says_so(w, asks, as_user, monkeypatch):
    exact = my_work(w.hua).total
    assert count_my_work(w.hua) == exact  # below the cap: exact

    with CaptureQueriesContext(connection) as whole:
        count_my_work(w.hua)
    monkeypatch.setattr(selectors, "WORK_COUNT_CAP", 3)
    monkeypatch.setattr(home, "WORK_COUNT_CAP", 3)
    with CaptureQueriesContext(connection) as capped:
        assert count_my_work(w.hua) == 4  # one past the cap is enough to say "3+"
    # Counting stops once the cap is passed, and no count sorts what it counts.
    assert len(capped) < len(whole)
    assert not any("ORDER BY" in q["sql"] and "COUNT(" in q["sql"] for q in capped)

    client = as_user(w.hua, "zh-hans")
    fragment = client.get(reverse("web:work_count")).content.decode()
    assert 'id="work-count"' in fragment and ">3+</span>" in fragment
    inbox = client.get(reverse("web:inbox")).content.decode()
    nav = inbox[inbox.index('id="work-count"') :]
    assert nav[: nav.index("</span>")].endswith(">3+")
    # The sections themselves still count everything.
    assert f'<span class="count">{len(asks)}</span>' in _section(inbox, "asks")
