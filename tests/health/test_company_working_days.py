"""Health rules, reminders and the alignment deadline count working days by the company
calendar: public holidays, make-up working days (调休) and company days.

The official schedule installed (chinesecalendar 1.11.0) ends with 2026, so the Spring Festival
with its make-up Saturdays is 2026's (holiday 15-23 February, worked Saturdays 14 and 28
February); 2027 falls back to the rule-computed holidays, which have no make-up days.
"""

import datetime as dt

import pytest
from django.utils import timezone

from techalign.calendars import services as calendars
from techalign.calendars.slots import alignment_deadline
from techalign.calendars.workdays import WorkingDays, add_working_days, working_days_between
from techalign.health.selectors import requirement_findings
from techalign.meetings.models import Meeting
from techalign.notify.services import remind_milestones
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from techalign.requirements.models import Question, Requirement
from tests.factories import advance, grant

D = dt.date
EVE = D(2026, 2, 13)  # Friday, the last working day before the Spring Festival
MAKE_UP_SATURDAY = D(2026, 2, 14)
BACK_AT_WORK = D(2026, 2, 24)  # Tuesday after the nine days off
LAST_MAKE_UP_SATURDAY = D(2026, 2, 28)


def found(req, code, **kwargs):
    return [f for f in requirement_findings(req, **kwargs) if f.code == code]


def test_the_spring_festival_is_not_counted_and_its_make_up_saturday_is(w):
    # Monday to Friday alone would count 7 (13, 16-20, 23 February).
    assert working_days_between(EVE, BACK_AT_WORK) == 2  # Friday 13 and Saturday 14
    assert working_days_between(BACK_AT_WORK, EVE) == -2
    assert add_working_days(EVE, 1) == MAKE_UP_SATURDAY
    assert add_working_days(EVE, 2) == BACK_AT_WORK
    assert add_working_days(BACK_AT_WORK, -1) == MAKE_UP_SATURDAY
    # The last 调休 Saturday is a working day; the Sunday after it is not.
    assert working_days_between(D(2026, 2, 27), D(2026, 3, 2)) == 2
    assert add_working_days(D(2026, 2, 27), 1) == LAST_MAKE_UP_SATURDAY
    assert add_working_days(LAST_MAKE_UP_SATURDAY, 1) == D(2026, 3, 2)


def test_2027_without_official_data_counts_the_rule_computed_spring_festival(w):
    # 5 February 2027 (Friday) and 8-10 February (Monday to Wednesday) are days off by rule.
    assert working_days_between(D(2027, 2, 4), D(2027, 2, 11)) == 1
    assert add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 11)


def test_company_days_override_the_official_schedule(w):
    grant(w.charlie, w.elsewhere, "ADMIN")
    calendars.set_company_day(actor=w.charlie, on=BACK_AT_WORK, name="年后团建")
    calendars.set_company_day(actor=w.charlie, on=D(2026, 2, 23), name="值班", is_working_day=True)
    assert working_days_between(EVE, D(2026, 2, 25)) == 3  # 13, 14 and the 23rd, not the 24th
    assert add_working_days(MAKE_UP_SATURDAY, 1) == D(2026, 2, 23)


def test_counting_many_spans_reads_the_calendar_once_per_year(w, django_assert_num_queries):
    with django_assert_num_queries(3):  # the policy, then 2025's and 2026's company days
        calendar = WorkingDays()
        total = sum(
            calendar.between(D(2025, 12, 1) + dt.timedelta(n), D(2026, 3, 1)) for n in range(60)
        )
    assert total > 0


def test_a_blocking_question_open_over_the_spring_festival_is_not_late(w):
    req = advance(w, "aligning")
    question = requirements.raise_question(
        requirement=req, actor=w.jun, body="幂等键？", is_blocking=True
    )
    raised_at = timezone.make_aware(dt.datetime.combine(EVE, dt.time(10)))
    Question.objects.filter(pk=question.pk).update(raised_at=raised_at)
    # 13, 14 and 24 February: three working days, the threshold, not more.
    assert found(req, "TA110", today=D(2026, 2, 25)) == []
    (finding,) = found(req, "TA110", today=D(2026, 2, 26))
    assert finding.details["days"] == 4


def test_alignment_before_the_spring_festival_counts_only_working_days_to_the_start(w):
    req = advance(w, "aligning")
    meeting_at = timezone.make_aware(dt.datetime.combine(D(2026, 2, 12), dt.time(10)))
    Meeting.objects.filter(requirement=req).update(starts_at=meeting_at)
    # Thirteen calendar days, nine weekdays, but four working days: 12, 13, 14 and 24 February.
    Requirement.objects.filter(pk=req.pk).update(planned_dev_start_on=D(2026, 2, 25))
    (finding,) = found(req, "TA111", today=D(2026, 2, 1))
    assert (finding.details["days"], finding.details["minimum"]) == (4, 5)


def test_the_alignment_deadline_steps_back_over_the_holiday(w):
    req = advance(w, "planning")
    req.planned_dev_start_on = D(2026, 2, 25)
    # Five working days before the 25th: 24, 14, 13, 12, 11 February.
    assert alignment_deadline(req) == D(2026, 2, 11)


def test_a_milestone_due_after_the_holiday_is_reminded_on_the_last_working_day_before_it(w):
    req = advance(w, "finalized")
    plans.set_milestone(
        requirement=req, actor=w.jun, team=w.payments, kind="dev_done", due_on=BACK_AT_WORK
    )
    assert remind_milestones(EVE) == 0  # the make-up Saturday comes first
    assert remind_milestones(MAKE_UP_SATURDAY) == 1


@pytest.mark.parametrize("start", [D(2026, 2, 7) + dt.timedelta(n) for n in range(7)])
def test_adding_and_counting_agree_one_day_at_a_time(w, start):
    calendar = WorkingDays()
    for days in range(-12, 13):
        end = calendar.add(start, days)
        assert calendar.is_workday(end) or days == 0
        step, current, remaining = (1 if days >= 0 else -1), start, abs(days)
        while remaining:
            current += dt.timedelta(days=step)
            remaining -= calendar.is_workday(current)
        assert end == current
        if days > 0:
            assert calendar.between(start + dt.timedelta(1), end + dt.timedelta(1)) == days
