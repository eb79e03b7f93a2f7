"""A PM of the lead team cancels a requirement the business no longer wants, before its
baseline and with a reason: its scheduled meetings go with it (invitees told), the lead team
and the parties hear why, and nothing more can be done on it."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from techalign.audit.models import AuditEvent
from techalign.core.errors import Refused
from techalign.meetings.models import Meeting
from techalign.notify.models import Notification
from techalign.org.models import User
from techalign.org.services import issue_token
from techalign.requirements import services as requirements
from techalign.requirements.models import Requirement, Status
from techalign.web.selectors import my_work
from tests.factories import advance, open_change


def about(row) -> Requirement:
    """The requirement a row of My work is about."""
    if isinstance(row, Requirement):
        return row
    if hasattr(row, "requirement"):
        return row.requirement
    if hasattr(row, "meeting"):
        return row.meeting.requirement
    return row.revision.plan.requirement


def waiting_on(user, req) -> int:
    work = my_work(user)
    return sum(about(row) == req for name in work.totals for row in getattr(work, name))


def cancel(req, actor, reason="业务方不再需要部分退款。"):
    return requirements.cancel_requirement(requirement=req, actor=actor, reason=reason)


def test_the_lead_pm_cancels_an_aligning_requirement_with_its_meeting(
    w, django_capture_on_commit_callbacks
):
    req = advance(w, "aligning")
    meeting = req.meetings.get(status=Meeting.Status.SCHEDULED)
    version = req.version
    User.objects.filter(pk=w.hua.pk).update(language="zh-hans")  # told in their language
    Notification.objects.all().delete()
    assert waiting_on(w.lei, req) and waiting_on(w.hua, req)

    with django_capture_on_commit_callbacks(execute=True):
        cancel(req, w.ming, "  业务方不再需要部分退款。 ")

    req.refresh_from_db()
    assert req.status == Status.CANCELLED and req.version > version
    assert req.cancel_reason == "业务方不再需要部分退款。" and req.cancelled_at is not None
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    event = AuditEvent.objects.get(action="requirement.cancelled")
    assert event.actor == w.ming and event.requirement_id == req.pk
    assert event.summary == {
        "from": "aligning",
        "reason": "业务方不再需要部分退款。",
        "meetings": [meeting.key],
    }
    assert AuditEvent.objects.filter(action="meeting.cancelled", target_id=str(meeting.pk)).exists()
    told = set(
        Notification.objects.filter(event="requirement.cancelled").values_list(
            "recipient__username", flat=True
        )
    )
    # The lead team's DEVs and the parties' PMs and DEVs; not the PM who cancelled it.
    assert {"lei", "fang", "hua", "jun", "li", "wei"} <= told and "ming" not in told
    assert Notification.objects.filter(event="meeting.cancelled", recipient=w.hua).exists()
    told_hua = Notification.objects.get(event="requirement.cancelled", recipient=w.hua)
    assert told_hua.title == f"{req} 已取消"
    assert (
        told_hua.body
        == f"{w.ming} 取消了该需求，不再需要任何人处理。原因：业务方不再需要部分退款。"
    )
    # It leaves My work: nothing is asked of anyone on it any more.
    assert waiting_on(w.lei, req) == waiting_on(w.hua, req) == 0


@pytest.mark.parametrize("step", ["draft", "handed_off", "planning", "in_review", "approved"])
def test_every_step_before_the_baseline_can_be_cancelled(w, step):
    req = cancel(advance(w, step), w.ming)
    assert req.status == Status.CANCELLED


def _refused(req, actor, reason="不要了") -> Refused:
    status = req.status
    with pytest.raises(Refused) as refused:
        cancel(req, actor, reason)
    req.refresh_from_db()
    assert req.status == status  # nothing written; the attempt is audited as refused
    attempt = AuditEvent.objects.filter(action="requirement.cancelled").latest("seq")
    assert attempt.outcome == AuditEvent.Outcome.REFUSED
    return refused.value


def test_only_a_pm_of_the_lead_team_cancels(w):
    req = advance(w, "planning")
    for someone in (w.lei, w.qiang, w.hua, w.charlie):
        refusal = _refused(req, someone)
        assert refusal.code == "role.not_allowed", someone
        assert "cancel the requirement" in refusal.message


def test_a_reason_is_needed(w):
    req = advance(w, "planning")
    for empty in ("", "   \n"):
        refusal = _refused(req, w.ming, empty)
        assert refusal.code == "requirement.cancel_reason_required"
        assert req.key in refusal.message
    assert _refused(req, w.ming, "长" * 20_001).code == "input.too_long"


def test_a_baselined_requirement_changes_through_a_change_request_instead(w):
    req = advance(w, "finalized")
    refusal = _refused(req, w.ming)
    assert refusal.code == "requirement.baselined" and "v1" in refusal.message
    open_change(w, req, affected=[w.payments])
    req.refresh_from_db()
    assert req.status == Status.PLANNING  # reopened, but the baseline stands
    assert _refused(req, w.ming).code == "requirement.baselined"


def test_a_cancelled_requirement_takes_no_further_step(w):
    req = cancel(advance(w, "planning"), w.ming)
    assert _refused(req, w.ming).code == "requirement.wrong_step"
    with pytest.raises(Refused) as refused:
        requirements.add_scenario(requirement=req, actor=w.ming, title="再加一个")
    assert refused.value.code == "requirement.wrong_step"


def test_the_api_cancels_and_answers_a_refusal_in_the_callers_language(w):
    req = advance(w, "approved")
    client = Client()
    dev = {"Authorization": f"Bearer {issue_token(actor=None, user=w.lei)[1]}"}
    pm = {"Authorization": f"Bearer {issue_token(actor=None, user=w.ming)[1]}"}
    url = f"/api/v1/requirements/{req.key}/cancel"

    refused = client.post(
        url,
        {"reason": "不要了"},
        content_type="application/json",
        headers=dev | {"Accept-Language": "zh-hans"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "role.not_allowed"
    assert "取消需求" in refused.json()["message"]
    assert (
        client.post(url, {"reason": ""}, content_type="application/json", headers=pm).status_code
        == 422
    )

    done = client.post(url, {"reason": "业务调整"}, content_type="application/json", headers=pm)
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "业务调整"
    assert body["cancelled_at"] and body["next_actions"] == []
    assert Requirement.objects.get(pk=req.pk).status == Status.CANCELLED
    again = client.post(url, {"reason": "业务调整"}, content_type="application/json", headers=pm)
    assert again.status_code == 409 and again.json()["code"] == "requirement.wrong_step"


def test_the_command_line_cancels_with_the_same_gates(w, capsys):
    req = advance(w, "handed_off")
    with pytest.raises(CommandError) as refused:
        call_command(
            "requirement",
            "cancel",
            req.key,
            "--reason",
            "不要了",
            "--as",
            "lei",
            "--language",
            "zh-hans",
        )
    assert refused.value.returncode == 1 and "取消需求" in str(refused.value)
    req.refresh_from_db()
    assert req.status == Status.HANDED_OFF

    call_command("requirement", "cancel", str(req.number), "--reason", "不要了", "--as", "ming")
    assert capsys.readouterr().out.strip() == f"{req.key}: cancelled"
    req.refresh_from_db()
    assert req.status == Status.CANCELLED and req.cancel_reason == "不要了"
