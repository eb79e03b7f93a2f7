"""Working days: official Chinese holidays and make-up days, the rule-computed fallback for years
the official data does not cover, company days, and the org switch that turns holidays off."""

import datetime as dt

import pytest

from techalign.calendars import services, workdays
from techalign.calendars.workdays import Source
from techalign.core.errors import Refused
from tests.factories import grant

D = dt.date


@pytest.fixture
def admin(w):
    grant(w.charlie, w.elsewhere, "ADMIN")
    return w.charlie


def day(on: dt.date) -> workdays.DayInfo:
    (info,) = workdays.days(on, on)
    return info


def test_official_holidays_and_make_up_working_days_come_from_chinesecalendar(w):
    national_day = day(D(2026, 10, 1))
    assert (national_day.is_workday, national_day.source) == (False, Source.OFFICIAL)
    assert national_day.name == "National Day"
    make_up = day(D(2026, 2, 14))  # a Saturday worked for the Spring Festival (调休)
    assert (make_up.is_workday, make_up.source) == (True, Source.OFFICIAL)
    plain_monday = day(D(2026, 11, 30))
    assert (plain_monday.is_workday, plain_monday.source) == (True, Source.WEEKDAY)


def test_a_year_without_official_data_falls_back_to_rule_computed_holidays(w):
    # The official data ends with the year it was published for; 2030 is far beyond it.
    assert not workdays.official_coverage(D(2030, 1, 1))
    new_year = day(D(2030, 1, 1))
    assert (new_year.is_workday, new_year.source) == (False, Source.RULES)
    assert "source" not in new_year.source_label and "holidays" in new_year.source_label
    assert day(D(2030, 1, 2)).is_workday


def test_company_days_override_and_the_policy_switch_turns_holidays_off(w, admin):
    services.set_company_day(actor=admin, on=D(2026, 12, 24), name="年会")
    services.set_company_day(actor=admin, on=D(2026, 10, 2), name="值班", is_working_day=True)
    assert (day(D(2026, 12, 24)).is_workday, day(D(2026, 12, 24)).source) == (False, Source.COMPANY)
    assert day(D(2026, 10, 2)).is_workday
    services.set_holiday_policy(actor=admin, use_public_holidays=False)
    assert (day(D(2026, 10, 1)).is_workday, day(D(2026, 10, 1)).source) == (True, Source.WEEKDAY)
    assert not day(D(2026, 2, 14)).is_workday  # no make-up Saturday without the official data
    assert not day(D(2026, 12, 24)).is_workday  # company days still apply


def test_only_an_admin_changes_the_holiday_policy(w):
    with pytest.raises(Refused) as refused:
        services.set_holiday_policy(actor=w.ming, use_public_holidays=False)
    assert refused.value.code == "org.admin_required"
