"""The activity tab pages through every event, newest first, a page at a time: an "older
events" link (a plain link, loaded in place with htmx) keeps the kind filter, and a page
costs the same number of queries however long the history is."""

import re

from django.db import transaction
from django.urls import reverse

from techalign.audit.models import AuditEvent
from techalign.audit.services import record
from techalign.web.views.baselines import ACTIVITY_PAGE
from tests.factories import advance


def _note(w, req, count: int, action: str = "requirement.updated") -> None:
    """`count` more events on the requirement, written as its services write them."""
    for n in range(count):
        with transaction.atomic():
            record(actor=w.ming, target=req, action=action, summary={"n": n})


def _seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r'id="event-(\d+)"', page)]


def _older(page: str) -> str:
    found = re.search(r'id="activity-more".*?href="([^"#]+)', page)
    return found.group(1).replace("&amp;", "&") if found else ""


def test_more_than_300_events_are_all_reachable_newest_first(w, as_user):
    req = advance(w, "draft", scenarios=1)
    _note(w, req, 320)
    every = list(req.audit_events.order_by("-seq").values_list("seq", flat=True))
    assert len(every) > 320
    client = as_user(w.ming)
    url = reverse("web:activity", args=[req.key])
    seen: list[int] = []
    page = client.get(url).content.decode()
    assert "Newest events" not in page
    while True:
        seen += _seqs(page)
        older = _older(page)
        if not older:
            break
        page = client.get(url + older).content.decode()
        assert "Newest events" in page
    assert seen == every  # each event once, newest first, the oldest too


def test_the_older_link_keeps_the_kind_filter(w, as_user):
    req = advance(w, "draft", scenarios=1)
    _note(w, req, ACTIVITY_PAGE + 5, action="scenario.updated")
    _note(w, req, 3)
    client = as_user(w.ming, "zh-hans")
    url = reverse("web:activity", args=[req.key])
    first = client.get(url, {"kind": "scenario"}).content.decode()
    older = _older(first)
    assert "kind=scenario" in older and "before=" in older
    assert 'hx-get="' + older.replace("&", "&amp;") + '"' in first  # loaded in place with htmx
    second = client.get(url + older).content.decode()
    kinds = set(re.findall(r'data-kind="(\w+)"', first + second))
    assert kinds == {"scenario"}
    scenarios = AuditEvent.objects.filter(requirement_id=req.pk, action__startswith="scenario.")
    assert len(_seqs(first)) + len(_seqs(second)) == scenarios.count()
    assert "更早的动态" not in second  # the last page


def test_a_page_of_activity_does_not_query_per_event(w, as_user, django_assert_max_num_queries):
    req = advance(w, "draft", scenarios=1)
    _note(w, req, 20)
    client = as_user(w.ming)
    url = reverse("web:activity", args=[req.key])
    client.get(url)  # warm the session and the role caches
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    _note(w, req, 330)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url).content.decode()
    assert len(_seqs(page)) == ACTIVITY_PAGE
