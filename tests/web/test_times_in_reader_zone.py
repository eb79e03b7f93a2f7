"""Every time a person reads on a page is in their own zone and names it: the same moment
reads 2026-.. 09:30 (Asia/Shanghai) for one reader and 02:30 (Europe/Berlin) for another."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from techalign.org.models import User
from techalign.plans.models import Baseline, Review, Revision
from tests.factories import advance


def _read(moment: dt.datetime, zone: str) -> str:
    """The moment as the reader in `zone` should see it."""
    return f"{moment.astimezone(zoneinfo.ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin"])
def test_the_main_pages_show_times_in_the_readers_zone_and_name_it(w, as_user, zone):
    User.objects.filter(pk=w.ming.pk).update(time_zone=zone)
    done = advance(w, "finalized")
    aligning = advance(w, "aligning")
    client = as_user(w.ming, "zh-hans")
    baseline = Baseline.objects.get(requirement=done)
    revision = Revision.objects.filter(plan__requirement=done).order_by("-number").first()
    review = Review.objects.filter(revision__plan__requirement=done).first()
    acknowledged = done.scenarios.order_by("number").first().acknowledged_at
    event = done.audit_events.order_by("-seq").first()
    meeting = aligning.meetings.get()
    pages = {
        "web:baseline": [baseline.finalized_at],
        "web:history": [revision.created_at],
        "web:plan": [review.created_at],
        "web:requirement": [acknowledged],
        "web:activity": [event.occurred_at],
    }
    for name, moments in pages.items():
        page = client.get(reverse(name, args=[done.key])).content.decode()
        for moment in moments:
            assert _read(moment, zone) in page, name
    inbox = client.get(reverse("web:inbox")).content.decode()
    assert _read(meeting.starts_at, zone) in inbox
    # Shown in the other reader's zone nowhere.
    other = "Europe/Berlin" if zone == "Asia/Shanghai" else "Asia/Shanghai"
    for name in pages:
        assert f"({other})" not in client.get(reverse(name, args=[done.key])).content.decode()
