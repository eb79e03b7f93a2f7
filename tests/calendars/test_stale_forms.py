"""The calendar and notification pages send the version they showed: a form older than what it
edits is refused with the reason, and nothing is overwritten."""

import re

from django.test import Client

from techalign.calendars import services
from techalign.calendars.models import CalendarSource, WorkingHours
from techalign.notify.models import Preference
from techalign.notify.services import set_preference

STALE = "was changed by someone else"


def client_for(user) -> Client:
    """A signed-in browser of `user`, who reads English (the assertions quote English text)."""
    type(user).objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


def shown_version(html: str, form: str) -> str:
    """The hidden version of the form that posts `form`."""
    found = re.search(rf'value="{form}"><input type="hidden" name="version" value="(\d+)"', html)
    assert found, f"no version in the {form} form"
    return found.group(1)


HOURS = {"form": "hours", "starts": "10:00", "ends": "19:00", "weekdays": ["1", "2", "3"]}


def test_the_working_hours_form_saves_as_of_the_version_it_showed(w):
    page = client_for(w.lei)
    version = shown_version(page.get("/calendars/").content.decode(), "hours")
    assert page.post("/calendars/", {**HOURS, "version": version}).status_code == 302
    assert WorkingHours.objects.get(user=w.lei).starts.hour == 10
    assert shown_version(page.get("/calendars/").content.decode(), "hours") != version


def test_a_stale_working_hours_form_is_refused_and_overwrites_nothing(w):
    page = client_for(w.lei)
    version = shown_version(page.get("/calendars/").content.decode(), "hours")
    services.set_working_hours(
        actor=w.lei, user=w.lei, starts=WorkingHours().starts, ends=WorkingHours().ends
    )  # in another tab, meanwhile

    answer = page.post("/calendars/", {**HOURS, "version": version})

    assert answer.status_code == 412 and STALE in answer.content.decode()
    assert WorkingHours.objects.get(user=w.lei).starts.hour == 9


def test_a_form_without_its_version_is_refused(w):
    answer = client_for(w.lei).post("/calendars/", HOURS)
    assert answer.status_code == 422 and not WorkingHours.objects.filter(user=w.lei).exists()


def test_pausing_or_removing_a_source_changed_since_the_page_showed_it_is_refused(w):
    source = services.add_feed(actor=w.lei, user=w.lei, name="work", url="https://c.example/w")
    page = client_for(w.lei)
    shown = page.get("/calendars/").content.decode()
    version = re.search(r'name="version" value="(\d+)"><button>Pause', shown).group(1)
    services.update_source(actor=w.lei, source=source, name="office")  # meanwhile

    paused = page.post(f"/calendars/sources/{source.pk}/pause/", {"version": version})
    removed = page.post(f"/calendars/sources/{source.pk}/remove/", {"version": version})

    for answer in (paused, removed):
        assert answer.status_code == 412 and STALE in answer.content.decode()
    source.refresh_from_db()
    assert source.is_active and source.name == "office"
    current = {"version": source.version}
    assert page.post(f"/calendars/sources/{source.pk}/pause/", current).status_code == 302
    source.refresh_from_db()
    assert not source.is_active
    removed = page.post(f"/calendars/sources/{source.pk}/remove/", {"version": source.version})
    assert removed.status_code == 302 and not CalendarSource.objects.filter(pk=source.pk).exists()


def test_a_stale_preferences_form_is_refused_and_overwrites_nothing(w):
    page = client_for(w.lei)
    version = shown_version(page.get("/notifications/").content.decode(), "preferences")
    set_preference(actor=w.lei, user=w.lei, event="meeting.invited", chat=False)  # meanwhile
    # The form as shown: every box ticked, but e-mail for questions unticked.
    boxes = {
        f"{event}:{medium}": "on"
        for event in ("meeting.invited", "question.asked")
        for medium in ("in_app", "email", "chat")
    }
    del boxes["question.asked:email"]

    answer = page.post("/notifications/", {"form": "preferences", "version": version, **boxes})

    assert answer.status_code == 412 and STALE in answer.content.decode()
    assert not Preference.objects.get(user=w.lei, event="meeting.invited").chat
    assert not Preference.objects.filter(user=w.lei, event="question.asked").exists()


def test_the_preferences_form_saves_every_change_at_once(w):
    page = client_for(w.lei)
    version = shown_version(page.get("/notifications/").content.decode(), "preferences")
    boxes = {"meeting.invited:in_app": "on", "question.asked:chat": "on"}

    answer = page.post("/notifications/", {"form": "preferences", "version": version, **boxes})

    assert answer.status_code == 302
    stored = {p.event: (p.in_app, p.email, p.chat) for p in Preference.objects.filter(user=w.lei)}
    assert stored["meeting.invited"] == (True, False, False)
    assert stored["question.asked"] == (False, False, True)
    assert shown_version(page.get("/notifications/").content.decode(), "preferences") == str(
        int(version) + 1
    )


def test_changing_the_time_zone_on_the_preferences_page_makes_an_open_hours_form_stale(w):
    page = client_for(w.lei)
    version = shown_version(page.get("/calendars/").content.decode(), "hours")
    saved = page.post("/preferences/", {"language": "en", "time_zone": "Europe/Berlin"})
    assert saved.status_code == 302
    w.lei.refresh_from_db()
    assert w.lei.time_zone == "Europe/Berlin"
    stale = page.post("/calendars/", {**HOURS, "version": version})
    assert STALE in stale.content.decode()
    assert WorkingHours.objects.get(user=w.lei).starts.hour != 10
