"""Saving the requirement's form as it was shown changes nothing: no new version, no audit
event, and an approved plan is neither re-revisioned nor asks to be confirmed."""

import pytest

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.plans.selectors import current_revision
from techalign.requirements import services
from tests.factories import advance

FIELDS = ["title", "user_stories", "business_process", "planned_dev_start_on", "planned_launch_on"]


def test_saving_the_form_unchanged_writes_nothing(w):
    req = advance(w, "aligning")
    as_shown = {f: getattr(req, f) for f in FIELDS}
    version, revision = req.version, current_revision(req).number
    events = AuditEvent.objects.count()
    services.update_requirement(requirement=req, actor=w.ming, version=version, **as_shown)
    req.refresh_from_db()
    assert req.version == version and req.status == "aligning"
    assert current_revision(req).number == revision
    assert AuditEvent.objects.count() == events


def test_an_unchanged_save_on_a_stale_version_is_still_refused(w):
    req = advance(w, "handed_off")
    as_shown = {f: getattr(req, f) for f in FIELDS}
    with pytest.raises(Refused) as refused:
        services.update_requirement(
            requirement=req, actor=w.ming, version=req.version - 1, **as_shown
        )
    assert refused.value.code == "conflict.stale_version"


def test_one_changed_field_among_unchanged_ones_is_the_only_change(w):
    req = advance(w, "handed_off")
    as_shown = {f: getattr(req, f) for f in FIELDS}
    services.update_requirement(
        requirement=req,
        actor=w.ming,
        version=req.version,
        **{**as_shown, "title": "部分退款（新）"},
    )
    event = AuditEvent.objects.order_by("-seq").first()
    assert set(event.summary["after"]) == {"title"}
