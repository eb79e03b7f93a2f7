"""TA120: an ask to a related party written fewer than `ask_days_before_due` working days (5 by
default) before its due date. When the ask was written is the revision in which its item's
component, ask or due date last changed; other edits of the item do not move it."""

import datetime as dt

from django.utils import timezone, translation

from techalign.health.base import Severity, add_working_days, working_days_between
from techalign.health.models import HealthSettings
from techalign.health.selectors import requirement_findings
from techalign.plans import services as plans
from techalign.plans.models import Revision
from tests.factories import advance


def found(req, **kwargs):
    return [f for f in requirement_findings(req, **kwargs) if f.code == "TA120"]


def test_an_ask_due_in_two_working_days_is_flagged_naming_the_party(w):
    req = advance(w, "planning")
    today = timezone.localdate()
    due = add_working_days(today, 2)
    plans.update_item(
        requirement=req, actor=w.lei, based_on=3, item_key="I-2", ask="明天上线前改完", due_on=due
    )

    (finding,) = found(req)

    assert finding.severity == Severity.WARNING and finding.subject == "I-2"
    assert w.payments.pk in finding.teams
    assert finding.details["days"] == working_days_between(today, due) == 2
    assert finding.details["minimum"] == 5
    with translation.override("en"):
        assert f"the ask to {w.payments.name} was written on {today.isoformat()}" in (
            finding.message
        )
    with translation.override("zh-hans"):
        assert f"对 {w.payments.name} 的诉求" in finding.message


def test_asks_written_well_ahead_are_not_flagged(w):
    req = advance(w, "planning")  # every ask is due in 30 days
    assert found(req) == []


def test_the_threshold_is_an_organisation_setting(w):
    req = advance(w, "planning")
    due = add_working_days(timezone.localdate(), 2)
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-2", due_on=due)
    HealthSettings.objects.create(pk=1, ask_days_before_due=2)
    assert found(req) == []


def test_editing_an_item_without_touching_its_ask_keeps_when_it_was_written(w):
    req = advance(w, "planning")
    due = add_working_days(timezone.localdate(), 3)
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-2", due_on=due)
    # The ask and due date were written three weeks ago, in revision 4.
    Revision.objects.filter(plan__requirement=req, number=4).update(
        created_at=timezone.now() - dt.timedelta(days=21)
    )
    plans.update_item(requirement=req, actor=w.jun, based_on=4, item_key="I-2", description="细")
    assert found(req) == []

    plans.update_item(requirement=req, actor=w.jun, based_on=5, item_key="I-2", ask="改了诉求")
    (finding,) = found(req)
    assert finding.details["written"] == timezone.localdate()
