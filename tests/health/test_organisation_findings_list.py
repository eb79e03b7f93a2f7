"""The organisation's findings list reads a page of requirements without counting them all:
it shows the same requirements, newest first, as the stored findings the reader may see,
whether it walks the requirements (the whole list, a common rule) or starts from the findings
(a rare rule); a hostile page number reads as the first page."""

import re

import pytest

from techalign.health import views
from techalign.health.selectors import Scope, stored_findings
from techalign.requirements.models import Requirement
from tests.factories import advance
from tests.health.test_pages import _production_change, client_for


def listed(client, query: str = "") -> list[str]:
    page = client.get(f"/health/?{query}")
    assert page.status_code == 200
    return re.findall(r'<h2><span><a href="/r/(REQ-\d+)/"', page.content.decode())


def expected(user, **chosen) -> list[str]:
    ids = stored_findings(Scope(), user=user).filter(**chosen).values("requirement_id")
    return [r.key for r in Requirement.objects.filter(pk__in=ids).order_by("-number")]


@pytest.fixture
def organisation(w):
    reqs = [advance(w, step) for step in ("finalized", "planning", "finalized", "aligning")]
    for req in reqs[::2]:
        _production_change(w, req)
    # A private one that only its own teams see, with findings of its own.
    Requirement.objects.filter(pk=reqs[2].pk).update(is_private=True)
    return reqs


@pytest.mark.parametrize("dense_rule", [0, 10**9], ids=["walked", "from-findings"])
@pytest.mark.parametrize("who", ["ming", "lei", "charlie"])
def test_the_list_shows_what_the_reader_may_see_newest_first(
    w, organisation, monkeypatch, dense_rule, who
):
    monkeypatch.setattr(views, "GROUPS_PER_PAGE", 100)
    monkeypatch.setattr(views, "DENSE_RULE", dense_rule)
    user = getattr(w, who)
    client = client_for(user)
    listed(client)  # the first view refreshes the stored findings
    assert listed(client) == expected(user)
    assert listed(client, "rule=TA113") == expected(user, code="TA113")
    assert listed(client, "severity=error") == expected(user, severity="error")
    if who == "charlie":
        assert organisation[2].key not in listed(client)


def test_pages_follow_one_another_without_a_total(w, organisation, monkeypatch):
    monkeypatch.setattr(views, "GROUPS_PER_PAGE", 1)
    client = client_for(w.ming)
    listed(client)
    everyone = expected(w.ming)
    pages = [listed(client, f"page={n}") for n in range(1, len(everyone) + 1)]
    assert [key for page in pages for key in page] == everyone
    last = client.get(f"/health/?page={len(everyone)}").content.decode()
    assert "page=" + str(len(everyone) - 1) in last and f"page={len(everyone) + 1}" not in last


@pytest.mark.parametrize("page", ["", "abc", "-3", "0", "²", "1e9", "9" * 40])
def test_a_hostile_page_number_reads_as_the_first_page(w, organisation, page):
    client = client_for(w.ming)
    assert listed(client, f"page={page}") == listed(client)


def test_a_page_past_the_end_is_empty_with_a_way_back(w, organisation):
    text = client_for(w.ming).get("/health/?page=999").content.decode()
    assert "No findings." in text and "page=998" in text
