"""A small CalDAV (RFC 4791) reader: find the user's calendars, fetch events in a time range.

Given a calendar collection URL it reads that calendar; given the server root or a principal
URL it discovers every event calendar under the user's calendar-home-set. The events of all
of them are merged into one VCALENDAR text, which the busy cache expands like any other ICS.
"""

from __future__ import annotations

import base64
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import icalendar

from techalign.calendars import ics
from techalign.calendars.http import HttpFailure, request

NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav"}

PROPFIND = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:resourcetype/><d:current-user-principal/><c:calendar-home-set/>
  <c:supported-calendar-component-set/></d:prop>
</d:propfind>"""

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><c:calendar-data/></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">
    <c:time-range start="{start}" end="{end}"/>
  </c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>"""


class CalDavError(Exception):
    """`code` is a refusal code (calendar.caldav_auth_failed / calendar.caldav_failed)."""

    def __init__(self, code: str, **details: Any) -> None:
        self.code = code
        self.details = details
        super().__init__(code, details)


class Client:
    def __init__(self, url: str, username: str, password: str, timeout: float) -> None:
        self.url = url
        self.username = username
        self.timeout = timeout
        if username:
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.auth = f"Basic {token}"
        else:
            # A bare token (no user name) is sent as a bearer token.
            self.auth = f"Bearer {password}" if password else ""

    def _send(self, method: str, url: str, body: bytes, depth: str) -> ET.Element:
        headers = {"Content-Type": "application/xml; charset=utf-8", "Depth": depth}
        if self.auth:
            headers["Authorization"] = self.auth
        try:
            answer = request(method, url, body=body, headers=headers, timeout=self.timeout)
        except HttpFailure as failure:
            if failure.status in {401, 403}:
                raise CalDavError(
                    "calendar.caldav_auth_failed",
                    server=self.url,
                    user=self.username or "(token)",
                    status=failure.status,
                ) from None
            raise CalDavError(
                "calendar.caldav_failed", server=self.url, problem=failure.problem
            ) from None
        if answer.status != 207:
            raise CalDavError(
                "calendar.caldav_failed",
                server=self.url,
                problem=f"{method} answered HTTP {answer.status}, not 207",
            )
        try:
            return ET.fromstring(answer.body)
        except ET.ParseError as error:
            raise CalDavError(
                "calendar.caldav_failed", server=self.url, problem=f"unreadable XML answer: {error}"
            ) from None

    def _responses(
        self, method: str, url: str, body: bytes, depth: str
    ) -> Iterator[tuple[str, list[ET.Element]]]:
        for response in self._send(method, url, body, depth).findall("d:response", NS):
            href = urljoin(url, response.findtext("d:href", "", NS))
            props = [
                p
                for s in response.findall("d:propstat", NS)
                if "200" in (s.findtext("d:status", "", NS))
                for p in s.findall("d:prop", NS)
            ]
            yield href, props

    @staticmethod
    def _find(props: list[ET.Element], path: str) -> ET.Element | None:
        for prop in props:
            found = prop.find(path, NS)
            if found is not None:
                return found
        return None

    def _is_event_calendar(self, props: list[ET.Element]) -> bool:
        if self._find(props, "d:resourcetype/c:calendar") is None:
            return False
        components = self._find(props, "c:supported-calendar-component-set")
        if components is None:
            return True
        return any(c.get("name") == "VEVENT" for c in components.findall("c:comp", NS))

    def calendars(self) -> list[str]:
        """URLs of the event calendars the configured URL leads to."""
        (_href, props), *_rest = list(self._responses("PROPFIND", self.url, PROPFIND, "0")) or [
            (self.url, [])
        ]
        if self._is_event_calendar(props):
            return [self.url]
        home = self._find(props, "c:calendar-home-set/d:href")
        if home is None:
            principal = self._find(props, "d:current-user-principal/d:href")
            if principal is None:
                raise CalDavError(
                    "calendar.caldav_failed",
                    server=self.url,
                    problem="no calendar, principal or calendar home at this URL",
                )
            principal_url = urljoin(self.url, principal.text or "")
            found = list(self._responses("PROPFIND", principal_url, PROPFIND, "0"))
            home = self._find(found[0][1], "c:calendar-home-set/d:href") if found else None
            if home is None:
                raise CalDavError(
                    "calendar.caldav_failed",
                    server=self.url,
                    problem="the principal has no calendar-home-set",
                )
        home_url = urljoin(self.url, home.text or "")
        return [
            href
            for href, props in self._responses("PROPFIND", home_url, PROPFIND, "1")
            if href.rstrip("/") != home_url.rstrip("/") and self._is_event_calendar(props)
        ]

    def events(self, calendar_url: str, start: dt.datetime, end: dt.datetime) -> list[str]:
        """The calendar-data of every event overlapping [start, end)."""
        body = REPORT.format(
            start=f"{start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
            end=f"{end.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
        ).encode()
        return [
            data.text or ""
            for _href, props in self._responses("REPORT", calendar_url, body, "1")
            if (data := self._find(props, "c:calendar-data")) is not None
        ]


def fetch(
    url: str,
    username: str,
    password: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    timeout: float = 10.0,
) -> str:
    """Every event of the user's CalDAV calendars in [start, end), as one VCALENDAR text.

    Raises ics.IcsError when the server sends more or larger calendars than ics reads."""
    client = Client(url, username, password, timeout)
    merged = icalendar.Calendar()
    merged.add("PRODID", "-//techalign//caldav import//EN")
    merged.add("VERSION", "2.0")
    zones: set[str] = set()
    events = 0
    for calendar_url in client.calendars():
        for text in client.events(calendar_url, start, end):
            # A server's answer is bounded like any calendar before it is parsed.
            ics.inspect(text)
            try:
                part = icalendar.Calendar.from_ical(text)
            except ValueError:
                continue  # one broken event must not hide the others
            events += len(part.subcomponents)
            ics.require_few_events(events)
            for component in part.subcomponents:
                if component.name == "VTIMEZONE":
                    if str(component.get("TZID")) in zones:
                        continue
                    zones.add(str(component.get("TZID")))
                if component.name in {"VTIMEZONE", "VEVENT"}:
                    merged.add_component(component)
    merged_text: str = merged.to_ical().decode()
    return merged_text
