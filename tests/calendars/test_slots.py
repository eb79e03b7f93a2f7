"""The slot finder: earliest common slots from calendars, working hours, holidays, notice and
buffers; optional invitees; the best partial slots and who blocks most; answers from the cache."""

import datetime as dt
import io
import json
import time
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from techalign.calendars import services
from techalign.calendars.models import CalendarSource
from techalign.calendars.slots import find_slots
from techalign.core.errors import Refused
from tests.calendars.ics_builders import busy_at, calendar, event
from tests.factories import advance, make_user

SH = ZoneInfo("Asia/Shanghai")
HOUR = dt.timedelta(hours=1)


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def upload(user, *events: str) -> CalendarSource:
    return services.add_upload(actor=user, user=user, name="work", content=calendar(*events))


def starts(search) -> list[dt.datetime]:
    return [s.starts_at.astimezone(SH) for s in search.slots]


MONDAY = sh(2026, 12, 7, 8, 0)


@pytest.fixture(autouse=True)
def no_lunch_break(settings):
    """These searches are about busy time, buffers and notice, over whole working days; the
    org-wide lunch break is in test_slots_step.py."""
    settings.TECHALIGN_LUNCH_BREAK = ""


def test_earliest_common_slots_skip_busy_time_and_keep_buffers(w):
    upload(w.lei, busy_at("a", sh(2026, 12, 7, 9), sh(2026, 12, 7, 11)))
    upload(w.jun, busy_at("b", sh(2026, 12, 7, 11), sh(2026, 12, 7, 12)))
    plain = find_slots(required=[w.lei, w.jun], duration=HOUR, count=3, now=MONDAY, notice=HOUR)
    assert plain.suits_everyone
    assert starts(plain) == [sh(2026, 12, 7, 12), sh(2026, 12, 7, 13), sh(2026, 12, 7, 14)]
    buffered = find_slots(
        required=[w.lei, w.jun],
        duration=HOUR,
        count=1,
        now=MONDAY,
        notice=HOUR,
        buffer=dt.timedelta(minutes=15),
    )
    assert starts(buffered) == [sh(2026, 12, 7, 12, 15)]


def test_minimum_notice_moves_the_first_slot(w):
    search = find_slots(
        required=[w.lei],
        duration=HOUR,
        count=1,
        now=sh(2026, 12, 7, 10, 5),
        notice=dt.timedelta(hours=2),
    )
    assert starts(search) == [sh(2026, 12, 7, 12, 15)]


def test_working_hours_in_each_persons_time_zone(w):
    services.set_working_hours(
        actor=w.wei, user=w.wei, starts=dt.time(9), ends=dt.time(17), time_zone="Europe/Berlin"
    )
    services.set_working_hours(
        actor=w.lei,
        user=w.lei,
        starts=dt.time(9),
        ends=dt.time(18),
        break_starts=dt.time(12),
        break_ends=dt.time(13, 30),
    )
    # Berlin 09:00 is 16:00 in Shanghai in winter; lei stops at 18:00.
    search = find_slots(required=[w.lei, w.wei], duration=HOUR, count=3, now=MONDAY, notice=HOUR)
    assert starts(search) == [sh(2026, 12, 7, 16), sh(2026, 12, 7, 17), sh(2026, 12, 8, 16)]


def test_public_holidays_weekends_and_make_up_days_are_honoured(w):
    # 1 January 2027 (rule-computed: the official data has no 2027), then a weekend.
    search = find_slots(
        required=[w.lei, w.jun],
        duration=HOUR,
        count=1,
        now=sh(2026, 12, 31, 17, 30),
        notice=dt.timedelta(0),
    )
    assert starts(search) == [sh(2027, 1, 4, 9)]
    # Saturday 14 February 2026 was an official make-up working day (调休).
    search = find_slots(
        required=[w.lei],
        duration=HOUR,
        count=1,
        now=sh(2026, 2, 13, 17, 30),
        notice=dt.timedelta(0),
    )
    assert starts(search) == [sh(2026, 2, 14, 9)]


def test_slots_are_ranked_by_how_many_optional_invitees_can_come(w):
    upload(w.hua, busy_at("h", sh(2026, 12, 7, 9), sh(2026, 12, 7, 10)))
    upload(w.fang, busy_at("f", sh(2026, 12, 7, 9), sh(2026, 12, 7, 11)))
    search = find_slots(
        required=[w.lei], optional=[w.hua, w.fang], duration=HOUR, count=3, now=MONDAY, notice=HOUR
    )
    assert starts(search) == [sh(2026, 12, 7, 11), sh(2026, 12, 7, 10), sh(2026, 12, 7, 9)]
    assert [len(s.optional_available) for s in search.slots] == [2, 1, 0]
    assert search.slots[1].optional_available == (w.hua,)


def test_with_no_common_slot_the_answer_names_who_is_missing_and_who_blocks_most(w):
    people = [make_user(f"p{n}") for n in range(12)]
    # p0 is away all week; p1 is busy every afternoon: nobody else has a conflict.
    upload(people[0], event("away", ";VALUE=DATE:20261207", ";VALUE=DATE:20261212"))
    upload(
        people[1],
        busy_at("pm", sh(2026, 12, 7, 13), sh(2026, 12, 7, 18), "RRULE:FREQ=DAILY;COUNT=5"),
    )
    search = find_slots(
        required=people,
        duration=HOUR,
        count=3,
        now=MONDAY,
        notice=HOUR,
        horizon=dt.timedelta(days=5),
    )
    assert not search.suits_everyone
    assert [s.missing for s in search.slots] == [(people[0],)] * 3
    assert starts(search) == [sh(2026, 12, 7, 9), sh(2026, 12, 7, 10), sh(2026, 12, 7, 11)]
    assert search.blockers[0].user == people[0]
    assert search.blockers[0].sole_blocker > 0
    assert {b.user for b in search.blockers} == {people[0], people[1]}


def test_a_search_over_twenty_invitees_answers_from_the_cache(w, django_assert_max_num_queries):
    people = [make_user(f"busy{n}") for n in range(20)]
    for n, person in enumerate(people):
        events = [
            busy_at(
                f"s{n}-{k}",
                sh(2026, 12, 7, 9) + dt.timedelta(days=k, hours=n % 3),
                sh(2026, 12, 7, 10) + dt.timedelta(days=k, hours=n % 3),
            )
            for k in range(60)
        ]
        events.append(
            busy_at(
                f"w{n}",
                sh(2026, 12, 7, 15),
                sh(2026, 12, 7, 16),
                "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=200",
            )
        )
        upload(person, *events)
    expanded = dict(CalendarSource.objects.values_list("pk", "expanded_at"))
    began = time.process_time()  # CPU: a busy machine stretches only the wall clock
    with django_assert_max_num_queries(8):
        search = find_slots(required=people, duration=HOUR, count=3, now=MONDAY, notice=HOUR)
    assert time.process_time() - began < 1.0
    assert dict(CalendarSource.objects.values_list("pk", "expanded_at")) == expanded
    assert starts(search) == [sh(2026, 12, 7, 12), sh(2026, 12, 7, 13), sh(2026, 12, 7, 14)]
    # Changing a calendar refreshes its cache: now 12:00 is taken too.
    source = CalendarSource.objects.get(user=people[0])
    services.replace_upload(
        actor=people[0],
        source=source,
        content=calendar(busy_at("new", sh(2026, 12, 7, 12), sh(2026, 12, 7, 13))),
    )
    search = find_slots(required=people, duration=HOUR, count=1, now=MONDAY, notice=HOUR)
    assert starts(search) == [sh(2026, 12, 7, 13)]


def test_meetings_scheduled_in_techalign_are_busy_time(w):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    required = [i.user for i in meeting.invitees.all()]
    day = meeting.starts_at.astimezone(SH).replace(hour=8, minute=0, second=0, microsecond=0)
    search = find_slots(
        required=required,
        duration=meeting.ends_at - meeting.starts_at,
        count=10,
        now=day,
        notice=dt.timedelta(0),
        horizon=dt.timedelta(days=1),
    )
    assert all(
        s.ends_at <= meeting.starts_at or s.starts_at >= meeting.ends_at for s in search.slots
    )


def test_the_slots_command_searches_for_a_requirement_or_a_meeting(w):
    req = advance(w, "aligning")
    out = io.StringIO()
    call_command("slots", f"{req.key}/M-1", "--json", "--count", "2", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["suits_everyone"] is True and len(answer["slots"]) == 2
    assert set(answer["required"]) == {"ming", "lei", "hua", "jun", "li", "wei"}
    out = io.StringIO()
    call_command("slots", req.key, "--duration", "30m", "--count", "1", stdout=out)
    assert "30-minute slots for 6 required" in out.getvalue()


def test_a_search_without_required_invitees_is_refused(w):
    with pytest.raises(Refused) as refused:
        find_slots(required=[], duration=HOUR)
    assert refused.value.code == "slots.no_invitees"
