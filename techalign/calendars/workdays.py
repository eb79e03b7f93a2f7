"""Which days are working days, and where that answer came from.

In order of precedence:
1. a company day entered by an admin (a day off, or an extra working day);
2. the official schedule from the chinesecalendar package: public holidays and the make-up
   working days (调休) on weekends. Its data ends with the year it was released for, and a later
   year raises NotImplementedError;
3. for such a year, the rule-computed holidays of the `holidays` package (no make-up days: those
   are announced each year and cannot be computed);
4. plain weekdays.
With the org's holiday policy off, only 1 and 4 apply.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import dataclass

import chinese_calendar
import holidays as holiday_rules
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from techalign.calendars.models import CompanyDay, HolidayPolicy


class Source:
    COMPANY = "company"
    OFFICIAL = "chinesecalendar"
    RULES = "holidays"
    WEEKDAY = "weekday"


SOURCE_LABELS = {
    Source.COMPANY: _("company calendar"),
    Source.OFFICIAL: _("official schedule (chinesecalendar)"),
    Source.RULES: _("rule-computed holidays (holidays package)"),
    Source.WEEKDAY: _("weekday rule"),
}


@dataclass(frozen=True)
class DayInfo:
    on: dt.date
    is_workday: bool
    source: str
    name: str = ""

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.source])


def policy() -> HolidayPolicy:
    found = HolidayPolicy.objects.first()
    return found or HolidayPolicy()


@functools.lru_cache(maxsize=4096)
def _official(on: dt.date) -> tuple[bool, str] | None:
    """(is_workday, holiday name) from the official schedule, or None when the package has no
    data for that year."""
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(on)
    except NotImplementedError:
        return None
    return not is_holiday, _in_reader_language(name or "")


def _in_reader_language(official_name: str) -> str:
    """The official schedule names holidays in English and in Chinese; use the reader's."""
    if not official_name or not translation.get_language().lower().startswith("zh"):
        return official_name
    from chinese_calendar.constants import Holiday

    chinese: dict[str, str] = {h.value: h.chinese for h in Holiday}
    return chinese.get(official_name, official_name)


def _rule_holidays(country: str, year: int) -> dict[dt.date, str]:
    """Holidays by rule, named in the reader's language where the package has it."""
    wanted = "zh_CN" if translation.get_language().lower().startswith("zh") else "en_US"
    return _rule_holidays_in(country, year, wanted)


@functools.lru_cache(maxsize=64)
def _rule_holidays_in(country: str, year: int, language: str) -> dict[dt.date, str]:
    supported = holiday_rules.country_holidays(country).supported_languages
    if language not in supported:
        return dict(holiday_rules.country_holidays(country, years=year).items())
    return dict(holiday_rules.country_holidays(country, years=year, language=language).items())


def official_coverage(on: dt.date) -> bool:
    """Whether the official schedule covers this day's year."""
    return _official(dt.date(on.year, 1, 1)) is not None


class Calendar:
    """Day kinds over a range, with the company days loaded once."""

    def __init__(
        self, first: dt.date, last: dt.date, *, holiday_policy: HolidayPolicy | None = None
    ) -> None:
        self.policy = holiday_policy or policy()
        self.company = {d.on: d for d in CompanyDay.objects.filter(on__gte=first, on__lte=last)}

    def day(self, on: dt.date) -> DayInfo:
        company = self.company.get(on)
        if company is not None:
            return DayInfo(on, company.is_working_day, Source.COMPANY, company.name)
        if self.policy.use_public_holidays:
            if self.policy.country == "CN":
                official = _official(on)
                if official is not None:
                    is_workday, name = official
                    # Named days are holidays or make-up working days (调休); the rest follow
                    # the weekday rule, and say so.
                    if name or is_workday != (on.isoweekday() < 6):
                        return DayInfo(on, is_workday, Source.OFFICIAL, name)
                    return DayInfo(on, is_workday, Source.WEEKDAY)
            holiday = _rule_holidays(self.policy.country, on.year).get(on)
            if holiday:
                return DayInfo(on, False, Source.RULES, holiday)
        return DayInfo(on, on.isoweekday() < 6, Source.WEEKDAY)


def days(first: dt.date, last: dt.date) -> list[DayInfo]:
    """Every day from `first` to `last` inclusive, with its kind and source."""
    calendar = Calendar(first, last)
    return [calendar.day(first + dt.timedelta(n)) for n in range((last - first).days + 1)]


def _weekdays_between(start: dt.date, end: dt.date) -> int:
    """Monday to Friday in [start, end), for start <= end."""
    weeks, rest = divmod((end - start).days, 7)
    first = start.weekday()
    return weeks * 5 + sum(1 for offset in range(rest) if (first + offset) % 7 < 5)


class WorkingDays:
    """Counts working days by the company calendar: public holidays and make-up working days
    (调休) as the holiday policy says, and the company days over both.

    Make one per request or per health evaluation: it reads the policy once and each year's
    company days once (one query per year touched), however many spans it counts. A year is
    kept as its exceptions to the weekday rule, so counting a span costs two bisections."""

    def __init__(self) -> None:
        self.policy = policy()
        # year -> (weekdays off, weekend days worked), each sorted.
        self._years: dict[int, tuple[list[dt.date], list[dt.date]]] = {}

    def _exceptions(self, year: int) -> tuple[list[dt.date], list[dt.date]]:
        if year not in self._years:
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
            calendar = Calendar(first, last, holiday_policy=self.policy)
            off: list[dt.date] = []
            worked: list[dt.date] = []
            for n in range((last - first).days + 1):
                on = first + dt.timedelta(n)
                is_workday = calendar.day(on).is_workday
                if is_workday != (on.weekday() < 5):
                    (worked if is_workday else off).append(on)
            self._years[year] = (off, worked)
        return self._years[year]

    def is_workday(self, on: dt.date) -> bool:
        off, worked = self._exceptions(on.year)
        if on.weekday() < 5:
            return not _holds(off, on)
        return _holds(worked, on)

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days in [start, end); negative when `end` is before `start`."""
        if end < start:
            return -self.between(end, start)
        count = _weekdays_between(start, end)
        for year in range(start.year, end.year + 1):
            off, worked = self._exceptions(year)
            count -= _count_in(off, start, end)
            count += _count_in(worked, start, end)
        return count

    def add(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start` (before it for negative `days`); always
        a working day when `days` is not zero, whatever day `start` is."""
        step = 1 if days >= 0 else -1
        current, remaining = start, abs(days)
        while remaining:
            current += dt.timedelta(days=step)
            remaining -= self.is_workday(current)
        return current


def _holds(days_sorted: list[dt.date], on: dt.date) -> bool:
    at = bisect.bisect_left(days_sorted, on)
    return at < len(days_sorted) and days_sorted[at] == on


def _count_in(days_sorted: list[dt.date], start: dt.date, end: dt.date) -> int:
    return bisect.bisect_left(days_sorted, end) - bisect.bisect_left(days_sorted, start)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in [start, end) by the company calendar; for one count (reuse a
    WorkingDays for many)."""
    return WorkingDays().between(start, end)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """`days` working days after `start` by the company calendar; for one date (reuse a
    WorkingDays for many)."""
    return WorkingDays().add(start, days)
