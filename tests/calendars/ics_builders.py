"""Small ICS builders for the calendar tests: real RFC 5545 text, written by hand."""

from __future__ import annotations

import datetime as dt


def calendar(*events: str, timezones: str = "") -> str:
    body = "".join(events)
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//techalign tests//EN\r\n"
        f"{timezones}{body}END:VCALENDAR\r\n"
    )
    return text


def event(uid: str, start: str, end: str, *extra: str, summary: str = "busy") -> str:
    """`start`/`end` are property suffixes, e.g. ":20261207T010000Z" or
    ";TZID=Asia/Shanghai:20261207T090000"."""
    lines = [
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART{start}",
        f"DTEND{end}",
        f"SUMMARY:{summary}",
        *extra,
    ]
    return "BEGIN:VEVENT\r\n" + "".join(line + "\r\n" for line in lines) + "END:VEVENT\r\n"


def utc(value: dt.datetime) -> str:
    return ":" + value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def busy_at(uid: str, start: dt.datetime, end: dt.datetime, *extra: str) -> str:
    return event(uid, utc(start), utc(end), *extra)
