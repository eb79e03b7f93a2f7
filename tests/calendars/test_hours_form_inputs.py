"""The working-hours form with a time left empty: refused as incomplete, nothing saved."""

import re

from django.test import Client

from techalign.calendars.models import WorkingHours

HOURS = {"form": "hours", "starts": "10:00", "ends": "19:00", "weekdays": ["1", "2", "3"]}


def client_for(user) -> Client:
    """A signed-in browser of `user`, who reads English (the assertions quote English text)."""
    type(user).objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


def shown_version(html: str) -> str:
    found = re.search(r'value="hours"><input type="hidden" name="version" value="(\d+)"', html)
    assert found, "no version in the hours form"
    return found.group(1)


def test_working_hours_without_a_start_or_an_end_are_refused_and_nothing_is_saved(w):
    page = client_for(w.lei)
    version = shown_version(page.get("/calendars/").content.decode())

    for missing in ("starts", "ends"):
        form = {**HOURS, "version": version}
        answer = page.post("/calendars/", {**form, missing: ""})

        assert answer.status_code == 422, missing
        assert "incomplete" in answer.content.decode()
    assert not WorkingHours.objects.filter(user=w.lei).exists()


def test_working_hours_with_both_times_are_saved(w):
    page = client_for(w.lei)
    version = shown_version(page.get("/calendars/").content.decode())

    answer = page.post("/calendars/", {**HOURS, "version": version})

    assert answer.status_code == 302
    assert WorkingHours.objects.get(user=w.lei).ends.hour == 19
