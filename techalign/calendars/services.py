"""Writes on calendars: sources (upload, feed, CalDAV), their background refresh, working hours,
the holiday policy and company days.

Remote sources are fetched in the background; a failed fetch keeps the last good calendar and
its busy time, stores the error for the owner to see, and retries with backoff.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from techalign.audit.services import record, transition
from techalign.calendars import busy, caldav, ics
from techalign.calendars.http import HttpFailure, request, require_outside_url
from techalign.calendars.models import CalendarSource, CompanyDay, HolidayPolicy, WorkingHours
from techalign.calendars.sealing import redact_url, seal, unseal
from techalign.core import bounds
from techalign.core.errors import Refused
from techalign.core.versions import compare_and_set
from techalign.org.models import User
from techalign.org.permissions import is_admin
from techalign.org.services import require_admin

Kind = CalendarSource.Kind


def can_manage(actor: Any, user: User) -> bool:
    """A person manages their own calendars; an administrator anyone's."""
    return getattr(actor, "pk", None) == user.pk or is_admin(actor)


def _require_manager(actor: Any, user: User) -> None:
    if not can_manage(actor, user):
        raise Refused("calendar.not_owner", owner=str(user))


def can_edit_company_calendar(actor: Any) -> bool:
    """Administrators set the holiday policy and the company's own days."""
    return is_admin(actor)


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    if not url.lower().startswith(("http://", "https://")):
        raise Refused("calendar.bad_url", url=redact_url(url) or "''")
    require_outside_url(url)
    return url


def _expand_if_changed(source: CalendarSource, text: str | bytes) -> busy.Expansion | None:
    """Parse and expand a calendar text received for a source, unless it is the one already
    expanded (None). Runs before any write transaction; raises IcsError for a bad text."""
    text = ics.decode(text)
    if busy.digest(text) == source.content_hash == source.busy_hash:
        return None
    return busy.expand_text(text, busy.zone_of(source.user))


def _store_ics(source: CalendarSource, text: str | bytes, expansion: busy.Expansion | None) -> None:
    """Store a calendar text that was read, with the busy time expanded from it (short)."""
    text = ics.decode(text)
    digest = busy.digest(text)
    source.ics_text, source.content_hash = text, digest
    CalendarSource.objects.filter(pk=source.pk).update(ics_text=text, content_hash=digest)
    if expansion is not None:
        busy.store_expansion(source, expansion)


def _read_upload(user: User, content: str | bytes) -> busy.Expansion | ics.IcsError:
    """Parse and expand an uploaded file outside any transaction: the expansion, or why the
    file cannot be read (refused later, inside the service's transaction)."""
    try:
        return busy.expand_text(content, busy.zone_of(user))
    except ics.IcsError as error:
        return error


def _accept_upload(
    source: CalendarSource, content: str | bytes, read: busy.Expansion | ics.IcsError
) -> None:
    """Store an uploaded file read by `_read_upload`, or refuse (and so roll back) it."""
    if isinstance(read, ics.IcsError):
        raise Refused("calendar.ics_invalid", name=source.name, problem=read.problem)
    _store_ics(source, content, read)


def _schedule_refresh(source: CalendarSource) -> None:
    from techalign.calendars.tasks import refresh_source_task

    transaction.on_commit(lambda: refresh_source_task.enqueue(source.pk))


def _compare_and_set(source: CalendarSource, seen: int | None, **changes: Any) -> None:
    """Write the owner's changes and bump the version in one update, only if the version is
    still `seen` (None: whatever it is); zero rows means someone changed the source first."""
    compare_and_set(source, seen, kind=_("Calendar source"), ref=source.name, **changes)


def add_upload(*, actor: User, user: User, name: str, content: str | bytes) -> CalendarSource:
    """Add an uploaded ICS file as a calendar source; a malformed file, or one past the bounds
    of calendars.ics, is refused, not stored. The file is read before the write transaction."""
    return _add_upload(
        actor=actor, user=user, name=name, content=content, read=_read_upload(user, content)
    )


@transition("calendar.source_added")
def _add_upload(
    *,
    actor: User,
    user: User,
    name: str,
    content: str | bytes,
    read: busy.Expansion | ics.IcsError,
) -> CalendarSource:
    _require_manager(actor, user)
    name = (name or "").strip() or str(_("Uploaded calendar"))
    if isinstance(read, ics.IcsError):
        raise Refused("calendar.ics_invalid", name=name, problem=read.problem)
    source = CalendarSource.objects.create(
        user=user,
        kind=Kind.UPLOAD,
        name=name,
        fetch_status=CalendarSource.FetchStatus.OK,
        fetched_at=timezone.now(),
    )
    _accept_upload(source, content, read)
    record(
        actor=actor,
        action="calendar.source_added",
        target=source,
        summary={"user": user.username, "kind": source.kind, "name": name},
    )
    return source


def replace_upload(*, actor: User, source: CalendarSource, content: str | bytes) -> CalendarSource:
    """Upload a new version of an uploaded calendar; its busy time is re-expanded (before the
    write transaction, as for a new upload)."""
    return _replace_upload(
        actor=actor, source=source, content=content, read=_read_upload(source.user, content)
    )


@transition("calendar.source_replaced")
def _replace_upload(
    *,
    actor: User,
    source: CalendarSource,
    content: str | bytes,
    read: busy.Expansion | ics.IcsError,
) -> CalendarSource:
    _require_manager(actor, source.user)
    if source.kind != Kind.UPLOAD:
        raise Refused("input.invalid", field="kind", problem=_("only an uploaded file is replaced"))
    _accept_upload(source, content, read)
    _compare_and_set(source, None, fetched_at=timezone.now())
    record(
        actor=actor, action="calendar.source_replaced", target=source, summary={"name": source.name}
    )
    return source


@transition("calendar.source_added")
def add_feed(*, actor: User, user: User, name: str, url: str) -> CalendarSource:
    """Subscribe to an ICS feed URL; it is fetched in the background and then periodically."""
    _require_manager(actor, user)
    url = _clean_url(url)
    source = CalendarSource.objects.create(
        user=user,
        kind=Kind.FEED,
        name=(name or "").strip() or redact_url(url)[:100],
        display_url=redact_url(url),
        sealed_secret=seal({"url": url}),
        next_fetch_at=timezone.now(),
    )
    _schedule_refresh(source)
    record(
        actor=actor,
        action="calendar.source_added",
        target=source,
        summary={"user": user.username, "kind": source.kind, "url": source.display_url},
    )
    return source


@transition("calendar.source_added")
def add_caldav(
    *, actor: User, user: User, name: str, url: str, username: str = "", password: str = ""
) -> CalendarSource:
    """Connect a CalDAV account (a password or a token); fetched in the background."""
    _require_manager(actor, user)
    url = _clean_url(url)
    source = CalendarSource.objects.create(
        user=user,
        kind=Kind.CALDAV,
        name=(name or "").strip() or redact_url(url)[:100],
        display_url=redact_url(url),
        caldav_username=username.strip(),
        sealed_secret=seal({"url": url, "password": password}),
        next_fetch_at=timezone.now(),
    )
    _schedule_refresh(source)
    record(
        actor=actor,
        action="calendar.source_added",
        target=source,
        summary={
            "user": user.username,
            "kind": source.kind,
            "url": source.display_url,
            "username": source.caldav_username,
        },
    )
    return source


@transition("calendar.source_updated")
def update_source(
    *,
    actor: User,
    source: CalendarSource,
    name: str | None = None,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    is_active: bool | None = None,
    version: int | None = None,
) -> CalendarSource:
    """Rename, re-point, re-authenticate, pause or resume a source. A secret left out (None)
    keeps the stored one; it is never read back.

    `version` is the one the owner read: the changes (secrets included, which are re-sealed
    from what was read) are written only if nobody changed the source since."""
    _require_manager(actor, source.user)
    changes: dict[str, Any] = {}
    if name is not None and name.strip():
        changes["name"] = name.strip()[:100]
    if is_active is not None:
        changes["is_active"] = is_active
    secrets = unseal(source.sealed_secret)
    refetch = False
    if url is not None and source.is_remote:
        secrets["url"] = _clean_url(url)
        changes["display_url"] = redact_url(secrets["url"])
        refetch = True
    if password is not None and source.kind == Kind.CALDAV:
        secrets["password"] = password
        refetch = True
    if username is not None and source.kind == Kind.CALDAV:
        changes["caldav_username"] = username.strip()
        refetch = True
    if refetch:
        changes.update(
            sealed_secret=seal(secrets), next_fetch_at=timezone.now(), etag="", last_modified=""
        )
    _compare_and_set(source, version, **changes)
    source.refresh_from_db()
    if refetch or (is_active and source.is_remote):
        _schedule_refresh(source)
    record(
        actor=actor,
        action="calendar.source_updated",
        target=source,
        summary={
            k: v
            for k, v in changes.items()
            if k not in {"sealed_secret"} and not isinstance(v, dt.datetime)
        },
    )
    return source


@transition("calendar.source_removed")
def remove_source(*, actor: User, source: CalendarSource, version: int | None = None) -> None:
    """Remove a source; its busy time stops counting at once. With `version`, only the source
    as the owner read it: one changed since is refused."""
    _require_manager(actor, source.user)
    _compare_and_set(source, version)
    record(
        actor=actor,
        action="calendar.source_removed",
        target=source,
        summary={"user": source.user.username, "name": source.name},
    )
    source.delete()


def _backoff(failures: int) -> dt.timedelta:
    base = getattr(settings, "TECHALIGN_FETCH_RETRY_SECONDS", 300)
    return dt.timedelta(seconds=min(base * 2 ** max(failures - 1, 0), 6 * 3600))


def _fetch_feed(source: CalendarSource, url: str) -> str | None:
    """The feed's text, or None when the server says it has not changed since last time."""
    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if source.etag and source.content_hash:
        headers["If-None-Match"] = source.etag
    if source.last_modified and source.content_hash:
        headers["If-Modified-Since"] = source.last_modified
    timeout = getattr(settings, "TECHALIGN_FETCH_TIMEOUT", 10)
    try:
        answer = request("GET", url, headers=headers, timeout=timeout)
    except HttpFailure as failure:
        if failure.status == 304:
            return None
        raise
    source.etag = answer.headers.get("ETag", "")[:200]
    source.last_modified = answer.headers.get("Last-Modified", "")[:100]
    return answer.text()


def refresh_source(*, source: CalendarSource) -> CalendarSource:
    """Fetch a feed or CalDAV source now and record the outcome on the source.

    Success stores the new calendar (re-expanding busy time if it changed); failure stores the
    error, keeps the last good calendar and schedules a retry with backoff."""
    source.refresh_from_db()
    if not source.is_remote:
        return source
    secrets = unseal(source.sealed_secret)
    now = timezone.now()
    code, details = "", {}
    text: str | None = None
    expansion: busy.Expansion | None = None
    try:
        if source.kind == Kind.FEED:
            text = _fetch_feed(source, secrets.get("url", ""))
        else:
            start, end = busy.cache_window(now)
            text = caldav.fetch(
                secrets.get("url", ""),
                source.caldav_username,
                secrets.get("password", ""),
                start,
                end,
                timeout=getattr(settings, "TECHALIGN_FETCH_TIMEOUT", 10),
            )
        # Parse and expand before the transaction below, which only stores the outcome.
        expansion = _expand_if_changed(source, text) if text is not None else None
    except HttpFailure as failure:
        code, details = "calendar.fetch_failed", {"name": source.name, "problem": failure.problem}
    except caldav.CalDavError as error:
        code, details = error.code, error.details
    except ics.IcsError as error:
        code, details = "calendar.ics_invalid", {"name": source.name, "problem": error.problem}
    with transaction.atomic():
        if not code and text is not None:
            _store_ics(source, text, expansion)
        if code:
            failures = source.failures + 1
            CalendarSource.objects.filter(pk=source.pk).update(
                fetch_status=CalendarSource.FetchStatus.ERROR,
                fetch_error_code=code,
                fetch_error=Refused(code, **details).message,
                fetched_at=now,
                failures=failures,
                next_fetch_at=now + _backoff(failures),
            )
        else:
            interval = dt.timedelta(minutes=getattr(settings, "TECHALIGN_FEED_REFRESH_MINUTES", 30))
            CalendarSource.objects.filter(pk=source.pk).update(
                fetch_status=CalendarSource.FetchStatus.OK,
                fetch_error_code="",
                fetch_error="",
                fetched_at=now,
                failures=0,
                next_fetch_at=now + interval,
                etag=source.etag,
                last_modified=source.last_modified,
            )
    source.refresh_from_db()
    return source


def due_sources(now: dt.datetime | None = None) -> QuerySet[CalendarSource]:
    """Active remote sources whose next fetch is due."""
    return CalendarSource.objects.filter(
        is_active=True, kind__in=[Kind.FEED, Kind.CALDAV], next_fetch_at__lte=now or timezone.now()
    )


def _hours_compare_and_set(user: User, seen: int | None, **changes: Any) -> WorkingHours:
    """Write a person's working hours and bump their version in one update, only if the
    version is still `seen` (None: whatever it is). A person without a row reads as version
    0; the row is made first, so two first writers still meet at the compare-and-set."""
    hours, _created = WorkingHours.objects.get_or_create(user=user)
    compare_and_set(hours, seen, kind=_("Working hours"), ref=user.username, **changes)
    hours.refresh_from_db()
    return hours


def _check_zone(time_zone: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused("calendar.bad_time_zone", zone=time_zone) from None


def _save_zone(user: User, time_zone: str) -> None:
    User.objects.filter(pk=user.pk).update(time_zone=time_zone)
    user.time_zone = time_zone


@transition("calendar.working_hours_set")
def set_working_hours(
    *,
    actor: User,
    user: User,
    starts: dt.time,
    ends: dt.time,
    break_starts: dt.time | None = None,
    break_ends: dt.time | None = None,
    weekdays: list[int] | None = None,
    time_zone: str | None = None,
    version: int | None = None,
) -> WorkingHours:
    """Set a person's working hours (and optionally their time zone).

    `version` is the one the caller read (0 before the first setting): an edit made on an
    older read is refused rather than overwriting the newer hours."""
    _require_manager(actor, user)
    if ends <= starts:
        raise Refused("calendar.bad_hours", problem=_("work must end after it starts"))
    if (break_starts is None) != (break_ends is None) or (
        break_starts is not None
        and break_ends is not None
        and not starts < break_starts < break_ends <= ends
    ):
        raise Refused("calendar.bad_hours", problem=_("the break must lie inside working hours"))
    days = sorted(set(weekdays if weekdays is not None else [1, 2, 3, 4, 5]))
    if not days or any(d not in range(1, 8) for d in days):
        raise Refused("calendar.bad_hours", problem=_("weekdays are 1 (Monday) to 7 (Sunday)"))
    if time_zone is not None:
        _check_zone(time_zone)
    hours = _hours_compare_and_set(
        user,
        version,
        starts=starts,
        ends=ends,
        break_starts=break_starts,
        break_ends=break_ends,
        weekdays=days,
    )
    if time_zone is not None:
        _save_zone(user, time_zone)
    record(
        actor=actor,
        action="calendar.working_hours_set",
        target=hours,
        summary={
            "user": user.username,
            "starts": starts.isoformat(),
            "ends": ends.isoformat(),
            "weekdays": days,
            "time_zone": user.time_zone,
        },
    )
    return hours


@transition("calendar.time_zone_set")
def set_time_zone(*, actor: User, user: User, time_zone: str) -> WorkingHours:
    """Set the time zone a person's working hours are read in. It is part of what the
    working-hours resource shows, so its version moves too: a form read before the change
    cannot put the older zone back."""
    _require_manager(actor, user)
    _check_zone(time_zone)
    hours = _hours_compare_and_set(user, None)
    _save_zone(user, time_zone)
    record(
        actor=actor,
        action="calendar.time_zone_set",
        target=hours,
        summary={"user": user.username, "time_zone": time_zone},
    )
    return hours


@transition("calendar.feed_key_reset")
def reset_feed_key(*, actor: User, user: User) -> WorkingHours:
    """Replace the key of the private meeting-feed URL; the old URL stops working."""
    from techalign.calendars.models import new_feed_key

    _require_manager(actor, user)
    hours = _hours_compare_and_set(user, None, feed_key=new_feed_key())
    record(
        actor=actor, action="calendar.feed_key_reset", target=hours, summary={"user": user.username}
    )
    return hours


def _bump_company_calendar(seen: int | None, **changes: Any) -> HolidayPolicy:
    """Write `changes` to the holiday policy and bump the company calendar's version in one
    update, only if the version is still `seen` (None: whatever it is): the policy and the
    company days are edited as one calendar, with one ETag."""
    policy, _created = HolidayPolicy.objects.get_or_create(pk=1)
    compare_and_set(policy, seen, kind=_("Company calendar"), ref=policy.country, **changes)
    policy.refresh_from_db()
    return policy


@transition("calendar.holiday_policy_set")
def set_holiday_policy(
    *, actor: User, use_public_holidays: bool, country: str = "CN", version: int | None = None
) -> HolidayPolicy:
    """Admin: observe public holidays and make-up working days, or not. `version` is the
    company calendar's the caller read: a calendar changed since is refused as stale."""
    require_admin(actor, _("change the holiday policy"))
    policy = _bump_company_calendar(
        version, use_public_holidays=use_public_holidays, country=country.upper()[:2]
    )
    record(
        actor=actor,
        action="calendar.holiday_policy_set",
        target=policy,
        summary={"use_public_holidays": use_public_holidays, "country": policy.country},
    )
    return policy


@transition("calendar.company_day_set")
def set_company_day(
    *,
    actor: User,
    on: dt.date,
    name: str,
    is_working_day: bool = False,
    version: int | None = None,
) -> CompanyDay:
    """Admin: a company day off (or an extra working day); it overrides every other rule.
    `version` as for `set_holiday_policy`."""
    require_admin(actor, _("change company days"))
    bounds.require_in_range("on", on)
    if not name.strip():
        raise Refused("input.invalid", field="name", problem=_("must not be empty"))
    _bump_company_calendar(version)
    day, _created = CompanyDay.objects.update_or_create(
        on=on, defaults={"name": name.strip()[:100], "is_working_day": is_working_day}
    )
    record(
        actor=actor,
        action="calendar.company_day_set",
        target=day,
        summary={"on": on.isoformat(), "name": name, "working": is_working_day},
    )
    return day


@transition("calendar.company_day_removed")
def remove_company_day(*, actor: User, day: CompanyDay, version: int | None = None) -> None:
    """Admin: remove a company day; the public calendar applies again. `version` as for
    `set_holiday_policy`."""
    require_admin(actor, _("change company days"))
    _bump_company_calendar(version)
    record(
        actor=actor,
        action="calendar.company_day_removed",
        target=day,
        summary={"on": day.on.isoformat()},
    )
    day.delete()
