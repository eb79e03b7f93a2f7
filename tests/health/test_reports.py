"""Each report's figures on a small known history: three requirements of the order team,
walked through the services at set moments in 2025.

    REQ  hand-off  ack    submit  approve  schedule  meeting  finalize  dev start  change
    A    03-03     03-05  03-10   03-11    03-12     03-17    03-18     03-24      design, 03-25
    B    04-01     04-02  04-06   04-08    04-09     04-14    04-20     04-15      testing, 05-10
    C    05-05     05-08  05-09   05-12    05-13     05-19    05-15     06-02      —

B has a fourth scenario, out of scope. Its meeting is one working day before development
starts (TA111), and its change was found in testing (TA113).
"""

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from techalign.health.clock import clock_at
from techalign.health.reports import Period, build_report, p90
from techalign.health.selectors import Scope
from techalign.meetings.services import schedule_meeting
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from tests.factories import sign_all

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def at(month, day, hour=10):
    return dt.datetime(2025, month, day, hour, tzinfo=SHANGHAI)


def walk(w, clock, days, *, dev_start, out_of_scope=False):
    """One requirement through the five steps, each step at its day of `days`."""
    hand_off, ack, submit, approve, schedule, meeting, final = days
    clock.set(at(*hand_off))
    req = requirements.create_requirement(
        actor=w.ming,
        lead_team=w.order,
        title="退款",
        lead_dev=w.lei,
        planned_dev_start_on=dev_start,
    )
    for n in range(1, 5 if out_of_scope else 4):
        requirements.add_scenario(requirement=req, actor=w.ming, title=f"场景 {n}")
    requirements.hand_off(requirement=req, actor=w.ming)
    clock.set(at(*ack))
    for scenario in req.scenarios.all():
        requirements.acknowledge_scenario(scenario=scenario, actor=w.lei)
    clock.set(at(*submit, hour=9))
    for n, component in enumerate([w.order_service, w.refund_api, w.ledger], start=1):
        plans.add_item(
            requirement=req,
            actor=w.lei,
            based_on=selectors.current_revision(req).number if n > 1 else 0,
            component=component,
            kind="api_change",
            title=f"改 {component.key}",
            ask="请支持",
            due_on=dev_start,
            scenario_keys=[f"S-{n}"],
        )
    if out_of_scope:
        requirements.mark_out_of_scope(
            scenario=req.scenarios.get(number=4), actor=w.ming, reason="下期"
        )
    clock.set(at(*submit))
    revision = selectors.current_revision(req)
    plans.submit_for_review(requirement=req, actor=w.lei, revision_number=revision.number)
    clock.set(at(*approve))
    plans.approve_revision(revision=revision, actor=w.qiang)
    clock.set(at(*schedule))
    start = at(*meeting, hour=14)
    schedule_meeting(
        requirement=req, actor=w.ming, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    clock.set(at(*final))
    sign_all(w, req)
    plans.finalize(
        requirement=req,
        actor=w.ming,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )
    return req


@pytest.fixture
def history(w):
    with clock_at(at(1, 1)) as clock:
        a = walk(
            w,
            clock,
            [(3, 3), (3, 5), (3, 10), (3, 11), (3, 12), (3, 17), (3, 18)],
            dev_start=dt.date(2025, 3, 24),
        )
        b = walk(
            w,
            clock,
            [(4, 1), (4, 2), (4, 6), (4, 8), (4, 9), (4, 14), (4, 20)],
            dev_start=dt.date(2025, 4, 15),
            out_of_scope=True,
        )
        walk(
            w,
            clock,
            [(5, 5), (5, 8), (5, 9), (5, 12), (5, 13), (5, 19), (5, 15)],
            dev_start=dt.date(2025, 6, 2),
        )
        for req, phase, when in [(a, "design", (3, 25)), (b, "testing", (5, 10))]:
            clock.set(at(*when))
            plans.open_change_request(
                requirement=req,
                actor=w.ming,
                title="补充",
                reason="漏了",
                phase_found=phase,
                affected_teams=[w.payments],
            )
    return w


def rows(report):
    return {row[0]: row[1:] for row in report.rows}


def test_coverage_at_approval(history):
    report = build_report("coverage", Scope(team=history.order), YEAR)
    by_month = rows(report)
    # approvals, scenarios, covered, out of scope, uncovered, coverage %
    assert by_month["2025-03"] == [1, 3, 3, 0, 0, 100.0]
    assert by_month["2025-04"] == [1, 4, 3, 1, 0, 75.0]
    assert by_month["2025-06"] == [0, 0, 0, 0, 0, None]
    assert by_month["total"] == [3, 10, 9, 1, 0, 90.0]


def test_lead_time_per_step_median_and_p90(history):
    report = build_report("lead-time", Scope(team=history.order), YEAR)
    by_step = {row[0]: row[2:] for row in report.rows}  # requirements, median, p90
    assert by_step == {
        "hand_off": [3, 2.0, 3.0],
        "plan": [3, 4.0, 5.0],
        "review": [3, 2.0, 3.0],
        "meeting": [3, 1.0, 1.0],
        "alignment": [3, 6.0, 11.0],
        "total": [3, 15.0, 19.0],
    }


def test_percentile_is_the_nearest_rank():
    assert p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 9
    assert p90([5]) == 5 and p90([]) is None


def test_share_finalized_before_development_started(history):
    report = build_report("finalized-before-dev", Scope(team=history.order), YEAR)
    by_month = rows(report)
    assert by_month["2025-03"] == [1, 1, 100.0]
    assert by_month["2025-04"] == [1, 0, 0.0]
    assert by_month["total"] == [3, 2, 66.7]
    assert [d[0] for d in report.details] == ["REQ-2"]


def test_realignment_rate(history):
    report = build_report("realignment", Scope(team=history.order), YEAR)
    assert rows(report)["total"] == [3, 2, 66.7]
    assert [(d[0], d[2]) for d in report.details] == [("REQ-1", 1), ("REQ-2", 1)]


def test_change_requests_by_phase_with_weighted_cost(history):
    report = build_report("change-cost", Scope(team=history.order), YEAR)
    by_phase = {row[0]: row[2:] for row in report.rows}  # changes, weight, cost, share
    assert by_phase["design"] == [1, 3, 3, 16.7]
    assert by_phase["testing"] == [1, 15, 15, 83.3]
    assert by_phase["production"] == [0, 100, 0, 0.0]
    assert by_phase["total"] == [2, None, 18, 100.0]
    assert len(report.charts) == 2 and "<polyline" in report.charts[0]


def test_findings_over_time(history):
    report = build_report("findings", Scope(team=history.order), YEAR)
    by_month = rows(report)
    codes = [c.key for c in report.columns[3:]]
    april = dict(zip(codes, by_month["2025-04"][2:], strict=True))
    assert by_month["2025-04"][:2] == [0, 1] and april["TA111"] == 1
    may = dict(zip(codes, by_month["2025-05"][2:], strict=True))
    assert by_month["2025-05"][:2] == [0, 1] and may["TA113"] == 1
    assert by_month["total"][:2] == [0, 2]
    # Payments leads nothing but was named in B's late change.
    payments = build_report("findings", Scope(team=history.payments), YEAR)
    assert rows(payments)["total"][:2] == [0, 1]


def test_a_team_sees_only_the_requirements_it_leads(history):
    report = build_report("coverage", Scope(team=history.payments), YEAR)
    assert rows(report)["total"] == [0, 0, 0, 0, 0, None]


def test_reports_as_csv_svg_and_json_from_the_command(history):
    out = io.StringIO()
    call_command(
        "report",
        "change-cost",
        "--team",
        "order",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--format",
        "csv",
        stdout=out,
    )
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert table[0] == ["phase", "name", "changes", "weight", "weighted_cost", "cost_share_pct"]
    assert table[-1] == ["total", "", "2", "", "18", "100.0"]
    out = io.StringIO()
    call_command(
        "report",
        "coverage",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--format",
        "svg",
        stdout=out,
    )
    assert out.getvalue().startswith("<svg") and "<title" in out.getvalue()
    out = io.StringIO()
    call_command(
        "report",
        "realignment",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--format",
        "json",
        "--language",
        "en",
        stdout=out,
    )
    body = json.loads(out.getvalue())
    assert body["rows"][-1] == {"month": "total", "baselined": 3, "realigned": 2, "rate_pct": 66.7}
    assert body["headline"]["Re-alignment rate"] == "66.7%"
