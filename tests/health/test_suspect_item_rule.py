"""TA114: a suspect plan item left unconfirmed longer than the threshold is found."""

import datetime as dt

from django.utils import timezone

from techalign.calendars.workdays import working_days_between
from techalign.health.models import HealthSettings
from techalign.health.selectors import requirement_findings
from techalign.plans import selectors as plan_selectors
from techalign.plans import services as plans
from tests.factories import advance, rewrite_scenario


def found(req, **kwargs):
    return [f for f in requirement_findings(req, **kwargs) if f.code == "TA114"]


def test_ta114_a_mark_open_longer_than_the_threshold_is_found(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req)
    marked_on = timezone.localdate()
    later = marked_on + dt.timedelta(days=14)

    (finding,) = found(req, today=later)

    assert finding.subject == "I-2"
    assert finding.details["scenario"] == "S-2"
    assert finding.details["days"] == working_days_between(marked_on, later)
    assert finding.details["maximum"] == HealthSettings.current().suspect_link_days
    assert "I-2" in finding.message and "S-2" in finding.message
    assert found(req, today=marked_on) == []


def test_ta114_a_confirmed_item_is_not_found(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req)
    revision = plan_selectors.current_revision(req)
    plans.confirm_item(requirement=req, actor=w.lei, based_on=revision.number, item_key="I-2")

    assert found(req, today=timezone.localdate() + dt.timedelta(days=30)) == []


def test_ta114_a_mark_on_a_removed_item_is_not_found(w):
    req = advance(w, "planning")
    rewrite_scenario(w, req)
    revision = plan_selectors.current_revision(req)
    plans.remove_item(requirement=req, actor=w.lei, based_on=revision.number, item_key="I-2")

    assert found(req, today=timezone.localdate() + dt.timedelta(days=30)) == []
