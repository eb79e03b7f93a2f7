"""`techalign slots REQ-n|REQ-n/M-k`: find meeting slots from the invitees' calendars.

Exit status: 0 when slots suit every required invitee, 1 when only partial slots exist,
2 when there is no slot at all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from techalign.calendars.selectors import slot_target
from techalign.calendars.slots import SlotSearch, alignment_deadline, find_slots
from techalign.core.errors import Refused
from techalign.org.models import User

UNITS = {"m": 60, "h": 3600, "d": 86400}


def span(text: str) -> dt.timedelta:
    """ "90", "90m", "2h" or "1d"; bare numbers are minutes."""
    match = re.fullmatch(r"(\d+)([mhd]?)", text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 45m, 2h or 1d")
    return dt.timedelta(seconds=int(match[1]) * UNITS[match[2] or "m"])


def as_json(search: SlotSearch) -> dict[str, object]:
    def who(users: Iterable[User]) -> list[str]:
        return [u.username for u in users]

    return {
        "suits_everyone": search.suits_everyone,
        "required": who(search.required),
        "optional": who(search.optional),
        "duration_minutes": int(search.duration.total_seconds() // 60),
        "from": search.starts_at.isoformat(),
        "until": search.ends_at.isoformat(),
        "deadline": search.deadline.isoformat() if search.deadline else None,
        "why_none": search.why_none,
        "slots": [
            {
                "starts_at": s.starts_at.isoformat(),
                "ends_at": s.ends_at.isoformat(),
                "missing": who(s.missing),
                "optional_available": who(s.optional_available),
                "late": s.late,
            }
            for s in search.slots
        ],
        "blockers": [
            {"user": b.user.username, "sole_blocker": b.sole_blocker, "unavailable": b.unavailable}
            for b in search.blockers
        ],
    }


class Command(BaseCommand):
    help = "Find the earliest common meeting slots for a requirement's or meeting's invitees."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="REQ-n (its minimum invitees) or REQ-n/M-k")
        parser.add_argument("--duration", type=span, help="e.g. 60m (default: the meeting's)")
        parser.add_argument("--count", type=int, default=5)
        parser.add_argument("--days", type=int, default=14, help="search horizon in days")
        parser.add_argument("--notice", type=span, default=dt.timedelta(hours=2))
        parser.add_argument("--buffer", type=span, default=dt.timedelta(0))
        parser.add_argument(
            "--from",
            dest="not_before",
            type=dt.datetime.fromisoformat,
            help="earliest start, ISO 8601",
        )
        parser.add_argument("--optional", default="", help="extra optional invitees: a,b,c")
        parser.add_argument("--tz", default=settings.TIME_ZONE, help="time zone of the output")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            target = slot_target(options["target"])
            names = [n for n in options["optional"].split(",") if n.strip()]
            extra = list(User.objects.filter(username__in=names))
            unknown = sorted(set(names) - {u.username for u in extra})
            if unknown:
                raise CommandError(f"unknown users: {', '.join(unknown)}")
            search = find_slots(
                required=target.required,
                optional=[*target.optional, *extra],
                duration=options["duration"] or target.duration,
                count=options["count"],
                horizon=dt.timedelta(days=options["days"]),
                notice=options["notice"],
                buffer=options["buffer"],
                not_before=options["not_before"],
                exclude_meeting=target.meeting,
                deadline=alignment_deadline(target.requirement),
            )
        except Refused as refusal:
            raise CommandError(refusal.message) from None
        except OverflowError:
            raise CommandError(f"--days {options['days']} is too large") from None
        if options["json"]:
            self.stdout.write(json.dumps(as_json(search), ensure_ascii=False, indent=2))
        else:
            self._print(target.label, search, ZoneInfo(options["tz"]))
        if not search.slots:
            sys.exit(2)
        if not search.suits_everyone:
            sys.exit(1)

    def _print(self, label: str, search: SlotSearch, zone: ZoneInfo) -> None:
        minutes = int(search.duration.total_seconds() // 60)
        self.stdout.write(
            f"{label}: {minutes}-minute slots for {len(search.required)} required and "
            f"{len(search.optional)} optional invitees, "
            f"{search.starts_at.astimezone(zone):%Y-%m-%d %H:%M} to "
            f"{search.ends_at.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"
        )
        if search.deadline:
            self.stdout.write(f"Alignment deadline: {search.deadline:%Y-%m-%d}")
        if not search.slots:
            self.stdout.write(
                f"No slot: no required invitee works within {search.days} days "
                "(outside working hours); widen with --days."
            )
        elif not search.suits_everyone:
            self.stdout.write(
                self.style.WARNING(
                    f"No slot suits everyone; best slots with {len(search.slots[0].missing)} "
                    "required invitee(s) missing:"
                )
            )
        for slot in search.slots:
            start = slot.starts_at.astimezone(zone)
            line = f"  {start:%Y-%m-%d %a %H:%M}-{slot.ends_at.astimezone(zone):%H:%M}"
            if slot.late:
                line += "  late"
            if slot.missing:
                line += "  missing: " + ", ".join(u.username for u in slot.missing)
            if search.optional:
                line += f"  optional {len(slot.optional_available)}/{len(search.optional)}" + (
                    ": " + ", ".join(u.username for u in slot.optional_available)
                    if slot.optional_available
                    else ""
                )
            self.stdout.write(line)
        if search.blockers:
            self.stdout.write("Who blocks most:")
            for blocker in search.blockers[:5]:
                self.stdout.write(
                    f"  {blocker.user.username}: the only one missing in {blocker.sole_blocker} "
                    f"candidate slots, unavailable in {blocker.unavailable}"
                )
