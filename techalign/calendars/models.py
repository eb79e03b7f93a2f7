"""Where people's time comes from: calendar sources, working hours, holidays and company days.

A source keeps the last good ICS text it received and the busy intervals expanded from it, so
a slot search never parses a calendar: it reads the cached intervals.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The largest calendar text read (upload, feed or CalDAV); see calendars.ics for the other bounds.
ICS_LIMIT = 1024 * 1024


def new_feed_key() -> str:
    return secrets.token_urlsafe(24)


def monday_to_friday() -> list[int]:
    return [1, 2, 3, 4, 5]


class CalendarSource(models.Model):
    """One calendar of one person: an uploaded file, a feed URL, or a CalDAV collection."""

    class Kind(models.TextChoices):
        UPLOAD = "upload", _("Uploaded ICS file")
        FEED = "feed", _("ICS feed URL")
        CALDAV = "caldav", _("CalDAV")

    class FetchStatus(models.TextChoices):
        NEVER = "never", _("Not fetched yet")
        OK = "ok", _("OK")
        ERROR = "error", _("Error")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_sources"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    # Shown back to the user: the URL without credentials or query string.
    display_url = models.CharField(_("address"), max_length=500, blank=True)
    caldav_username = models.CharField(_("CalDAV user"), max_length=200, blank=True)
    # Fernet token of {"url": ..., "password": ...}; never rendered, see calendars.sealing.
    sealed_secret = models.TextField(blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Goes up with every change its owner makes (not with background fetches): the ETag, and
    # the compare-and-set token of every edit.
    version = models.PositiveIntegerField(default=1)
    # The last good calendar text received; busy time is re-expanded from it without a fetch.
    ics_text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    fetch_status = models.CharField(
        _("last fetch"), max_length=10, choices=FetchStatus.choices, default=FetchStatus.NEVER
    )
    fetch_error = models.TextField(_("last error"), blank=True)
    fetch_error_code = models.CharField(max_length=60, blank=True)
    fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_fetch_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The busy-time cache: merged [start, end) pairs in UTC epoch seconds, valid for
    # [busy_from, busy_until) and for the content whose hash is busy_hash.
    busy = models.JSONField(default=list, blank=True)
    busy_from = models.DateTimeField(null=True, blank=True)
    busy_until = models.DateTimeField(null=True, blank=True)
    busy_hash = models.CharField(max_length=64, blank=True)
    busy_time_zone = models.CharField(max_length=64, blank=True)
    expanded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "name", "id"]
        verbose_name = _("calendar source")
        verbose_name_plural = _("calendar sources")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_remote(self) -> bool:
        return self.kind in {self.Kind.FEED, self.Kind.CALDAV}


# Defaults as functions, not fixed times: Django's check fields.W161 takes a fixed time within
# ten seconds of the clock for a mistaken `now()`, so `check --deploy` failed when it ran at
# 09:00 or 18:00 in the server's time zone.
def nine_o_clock() -> dt.time:
    return dt.time(9, 0)


def six_in_the_evening() -> dt.time:
    return dt.time(18, 0)


class WorkingHours(models.Model):
    """When a person works, in their own time zone (User.time_zone). Absent: 09:00-18:00,
    Monday to Friday, no break."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    starts = models.TimeField(_("work starts"), default=nine_o_clock)
    ends = models.TimeField(_("work ends"), default=six_in_the_evening)
    break_starts = models.TimeField(_("break starts"), null=True, blank=True)
    break_ends = models.TimeField(_("break ends"), null=True, blank=True)
    # ISO weekdays, Monday = 1.
    weekdays = models.JSONField(_("working weekdays"), default=monday_to_friday)
    # The feed key signs the private meeting-feed URL; replacing it revokes the old URL.
    feed_key = models.CharField(max_length=64, default=new_feed_key)
    # Goes up with every change (0: never set, as when there is no row): the ETag, and the
    # compare-and-set token of every edit.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.user}: {self.starts:%H:%M}-{self.ends:%H:%M}"


class HolidayPolicy(models.Model):
    """Organisation-wide: whether public holidays and make-up working days apply. One row."""

    use_public_holidays = models.BooleanField(_("observe public holidays"), default=True)
    country = models.CharField(_("country"), max_length=2, default="CN")
    # The version of the whole company calendar, this policy and the company days: goes up
    # with every change to either (0: never set, as when there is no row). Its ETag.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("holiday policy")
        verbose_name_plural = _("holiday policy")

    def __str__(self) -> str:
        return str(_("Holiday policy"))


class CompanyDay(models.Model):
    """An admin-entered day: a company day off, or an extra working day. Overrides the rest."""

    on = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("is a working day"), default=False)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["on"]
        verbose_name = _("company day")
        verbose_name_plural = _("company days")

    def __str__(self) -> str:
        return f"{self.on} {self.name}"
