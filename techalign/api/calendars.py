"""Calendars and the slot finder: a person's calendar sources, working hours, working days (with
where each day's kind came from), and meeting slots for a requirement or a meeting."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from techalign.api.common import (
    ERRORS,
    PRECONDITION_ERRORS,
    Body,
    actor,
    etag,
    if_match,
    listed,
    listing,
    not_modified,
)
from techalign.calendars import selectors, services, workdays
from techalign.calendars.invitations import absolute, feed_token
from techalign.calendars.models import CalendarSource, WorkingHours
from techalign.calendars.slots import SlotSearch, alignment_deadline, find_slots
from techalign.core.errors import Refused
from techalign.meetings.selectors import access_meeting
from techalign.org.selectors import get_users
from techalign.requirements.selectors import get_requirement

router = Router(tags=["calendars"])


class SourceOut(Schema):
    id: int
    kind: str
    name: str
    display_url: str
    caldav_username: str
    is_active: bool
    fetch_status: str
    fetch_error: str
    fetched_at: dt.datetime | None
    next_fetch_at: dt.datetime | None
    busy_intervals: int
    version: int

    @staticmethod
    def resolve_busy_intervals(obj: CalendarSource) -> int:
        return len(obj.busy or [])


class UploadIn(Body):
    name: str = Field(default="", max_length=100)
    ics: str = Field(min_length=1, max_length=5 * 1024 * 1024)


class FeedIn(Body):
    name: str = Field(default="", max_length=100)
    url: str = Field(min_length=1, max_length=2000)


class CalDavIn(Body):
    name: str = Field(default="", max_length=100)
    url: str = Field(min_length=1, max_length=2000)
    username: str = Field(default="", max_length=200)
    password: str = Field(
        default="",
        max_length=2000,
        description="A password or a token; stored encrypted and never returned.",
    )


class SourcePatchIn(Body):
    name: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=2000)
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=2000)
    is_active: bool | None = None


class HoursOut(Schema):
    time_zone: str
    starts: dt.time
    ends: dt.time
    break_starts: dt.time | None
    break_ends: dt.time | None
    weekdays: list[int]
    feed_url: str


class HoursIn(Body):
    starts: dt.time
    ends: dt.time
    break_starts: dt.time | None = None
    break_ends: dt.time | None = None
    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5], max_length=7)
    time_zone: str | None = Field(default=None, max_length=64)

    @field_validator("starts", "ends", "break_starts", "break_ends")
    @classmethod
    def _wall_clock(cls, value: dt.time | None) -> dt.time | None:
        """Hours are wall-clock times in `time_zone`: an offset has no meaning there (and the
        database cannot store one)."""
        if value is not None and value.tzinfo is not None:
            raise ValueError("a time of day without an offset; time_zone gives the zone")
        return value


class DayOut(Schema):
    on: dt.date
    is_workday: bool
    source: str
    source_label: str
    name: str


class SlotQuery(Schema):
    duration: int | None = Field(default=None, ge=5, le=720, description="minutes")
    count: int = Field(default=5, ge=1, le=50)
    days: int = Field(default=14, ge=1, le=366, description="horizon")
    notice: int = Field(default=120, ge=0, le=60 * 24 * 30, description="minutes")
    buffer: int = Field(default=0, ge=0, le=240, description="minutes around busy time")
    optional: list[str] = Field(default_factory=list, max_length=200)


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    missing: list[str]
    optional_available: list[str]
    late: bool = Field(description="starts after the alignment deadline")


class BlockerOut(Schema):
    username: str
    sole_blocker: int
    unavailable: int


class SlotsOut(Schema):
    suits_everyone: bool
    required: list[str]
    optional: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime
    deadline: dt.date | None = Field(
        description="last day to align: planned development start minus the TA111 lead time"
    )
    why_none: str | None = Field(
        description="outside_working_hours or everyone_busy when no slot suits everyone"
    )
    slots: list[SlotOut]
    blockers: list[BlockerOut]


def _source(request: HttpRequest, source_id: int) -> CalendarSource:
    return selectors.access_source(actor(request), source_id)


def source_etag(source: CalendarSource) -> str:
    """The source's version (what If-Match compares) and a digest of its last fetch, which
    background fetches change without moving the version."""
    fetch = f"{source.fetch_status}|{source.fetch_error}|{source.fetched_at}|{source.next_fetch_at}"
    fetch += f"|{len(source.busy or [])}"
    return etag("v", source.version, hashlib.sha256(fetch.encode()).hexdigest()[:12])


def _hours(
    request: HttpRequest, user, response: HttpResponse, hours: WorkingHours | None = None
) -> HoursOut | HttpResponse:
    """The working hours as read (or as just written), with their ETag; their version moves
    with the time zone and the feed key too, so it covers the whole answer."""
    hours = hours or WorkingHours.objects.filter(user=user).first() or WorkingHours(user=user)
    if unchanged := not_modified(request, response, etag("v", hours.version)):
        return unchanged
    token = feed_token(user, hours.feed_key) if hours.pk else ""
    return HoursOut(
        time_zone=user.time_zone,
        starts=hours.starts,
        ends=hours.ends,
        break_starts=hours.break_starts,
        break_ends=hours.break_ends,
        weekdays=hours.weekdays,
        feed_url=absolute(f"/calendars/feed/{user.pk}/{token}.ics") if token else "",
    )


@router.get("/sources", response={200: listing(SourceOut), **ERRORS})
def list_sources(request: HttpRequest):
    """Your calendar sources with their last fetch status and error; secrets are never shown."""
    return listed(selectors.sources_of(actor(request)).defer(None).defer("ics_text"))


@router.post("/sources/upload", response={201: SourceOut, **ERRORS})
def upload_source(request: HttpRequest, body: UploadIn):
    """Add an ICS file's text; a malformed file is refused with the reason."""
    me = actor(request)
    return Status(201, services.add_upload(actor=me, user=me, name=body.name, content=body.ics))


@router.post("/sources/feed", response={201: SourceOut, **ERRORS})
def add_feed(request: HttpRequest, body: FeedIn):
    """Subscribe to an ICS feed URL; it is fetched in the background, then every 30 minutes."""
    me = actor(request)
    return Status(201, services.add_feed(actor=me, user=me, name=body.name, url=body.url))


@router.post("/sources/caldav", response={201: SourceOut, **ERRORS})
def add_caldav(request: HttpRequest, body: CalDavIn):
    """Connect a CalDAV account: a calendar URL, the server root or a principal URL."""
    me = actor(request)
    return Status(
        201,
        services.add_caldav(
            actor=me,
            user=me,
            name=body.name,
            url=body.url,
            username=body.username,
            password=body.password,
        ),
    )


@router.get("/sources/{source_id}", response={200: SourceOut, **ERRORS})
def get_source(request: HttpRequest, source_id: int, response: HttpResponse):
    """One of your calendar sources; its ETag changes with every change you make to it."""
    source = _source(request, source_id)
    if unchanged := not_modified(request, response, source_etag(source)):
        return unchanged
    return source


@router.patch("/sources/{source_id}", response={200: SourceOut, **PRECONDITION_ERRORS})
def update_source(
    request: HttpRequest, source_id: int, body: SourcePatchIn, response: HttpResponse
):
    """Rename, re-point, re-authenticate, pause or resume a source; needs If-Match with the
    source's ETag."""
    source = services.update_source(
        actor=actor(request),
        source=_source(request, source_id),
        version=if_match(request, "v"),
        **body.model_dump(exclude_unset=True),
    )
    response["ETag"] = source_etag(source)
    return source


@router.post("/sources/{source_id}/refresh", response={200: SourceOut, **ERRORS})
def refresh_source(request: HttpRequest, source_id: int):
    """Fetch a feed or CalDAV source now and return the outcome."""
    return services.refresh_source(source=_source(request, source_id))


@router.delete("/sources/{source_id}", response={204: None, **PRECONDITION_ERRORS})
def remove_source(request: HttpRequest, source_id: int):
    """Remove a source; needs If-Match with the source's ETag, so a source changed since you
    read it is not removed unseen."""
    services.remove_source(
        actor=actor(request), source=_source(request, source_id), version=if_match(request, "v")
    )
    return Status(204, None)


@router.get("/working-hours", response={200: HoursOut, **ERRORS})
def get_working_hours(request: HttpRequest, response: HttpResponse):
    """Your time zone, working hours, and the private URL of your techalign meetings feed.
    The ETag changes with every change to them."""
    return _hours(request, actor(request), response)


@router.put("/working-hours", response={200: HoursOut, **PRECONDITION_ERRORS})
def set_working_hours(request: HttpRequest, body: HoursIn, response: HttpResponse):
    """Set your working hours (and time zone); needs If-Match with their ETag."""
    me = actor(request)
    hours = services.set_working_hours(
        actor=me, user=me, version=if_match(request, "v"), **body.model_dump()
    )
    return _hours(request, me, response, hours)


@router.get("/days", response={200: listing(DayOut), **ERRORS})
def list_days(request: HttpRequest, start: dt.date, end: dt.date):
    """Working days and holidays, each with the source it came from (company calendar,
    official schedule, rule-computed holidays, weekday rule)."""
    if not dt.timedelta(0) <= end - start <= dt.timedelta(days=400):
        raise Refused("input.invalid", field="end", problem="0 to 400 days after start")
    return listed(
        DayOut(
            on=d.on,
            is_workday=d.is_workday,
            source=d.source,
            source_label=d.source_label,
            name=d.name,
        )
        for d in workdays.days(start, end)
    )


def _answer(search: SlotSearch) -> SlotsOut:
    def names(users) -> list[str]:
        return [u.username for u in users]

    return SlotsOut(
        suits_everyone=search.suits_everyone,
        required=names(search.required),
        optional=names(search.optional),
        starts_at=search.starts_at,
        ends_at=search.ends_at,
        deadline=search.deadline,
        why_none=search.why_none,
        slots=[
            SlotOut(
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                missing=names(s.missing),
                optional_available=names(s.optional_available),
                late=s.late,
            )
            for s in search.slots
        ],
        blockers=[
            BlockerOut(
                username=str(getattr(b.user, "username", b.user)),
                sole_blocker=b.sole_blocker,
                unavailable=b.unavailable,
            )
            for b in search.blockers
        ],
    )


def _search(target: selectors.SlotTarget, query: SlotQuery) -> SlotsOut:
    return _answer(
        find_slots(
            required=target.required,
            optional=[*target.optional, *get_users(query.optional)],
            duration=dt.timedelta(minutes=query.duration) if query.duration else target.duration,
            count=query.count,
            horizon=dt.timedelta(days=query.days),
            notice=dt.timedelta(minutes=query.notice),
            buffer=dt.timedelta(minutes=query.buffer),
            exclude_meeting=target.meeting,
            deadline=alignment_deadline(target.requirement),
        )
    )


@router.get("/slots/{key}", response={200: SlotsOut, **ERRORS})
def requirement_slots(request: HttpRequest, key: str, query: Query[SlotQuery]):
    """Slots for the next alignment meeting of a requirement: its minimum invitees."""
    requirement = get_requirement(actor(request), key)
    return _search(selectors.slot_target(requirement.key), query)


@router.get("/slots/{key}/{meeting}", response={200: SlotsOut, **ERRORS})
def meeting_slots(request: HttpRequest, key: str, meeting: str, query: Query[SlotQuery]):
    """Slots to move a meeting to: its required invitees, optional ones ranked."""
    found = access_meeting(get_requirement(actor(request), key), meeting)
    return _search(selectors.slot_target(f"{found.requirement.key}/{found.key}"), query)
