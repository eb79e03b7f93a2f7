"""Who hears of what: each process event reaches the people who must act, in the inbox and by
email, as their own and their team's preferences say; the actor is not told of their own act."""

import datetime as dt

from django.utils import timezone

from techalign.notify.models import Delivery, Notification
from techalign.notify.services import mark_read, remind_milestones, set_preference
from techalign.plans import selectors as plan_selectors
from techalign.plans import services as plans
from techalign.requirements import services as requirements
from tests.factories import advance, hold_meeting, sign_all
from tests.notify.conftest import give_emails, schedule


def inbox(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("event", flat=True)
    )


def test_the_five_steps_notify_the_people_who_act_next(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        req = advance(w, "handed_off")
        scenario = req.scenarios.get(number=1)
        question = requirements.raise_question(
            requirement=req, actor=w.lei, scenario=scenario, body="部分退款是否包含运费？"
        )
        requirements.propose_answered(question=question, actor=w.ming, body="不包含")
        requirements.accept_answer(question=question, actor=w.lei)
    assert inbox(w.lei) == ["requirement.handed_off", "question.answered"]
    assert inbox(w.ming) == ["question.asked", "question.accepted"]
    handed_off = Notification.objects.get(recipient=w.lei, event="requirement.handed_off")
    assert req.key in handed_off.title and handed_off.url.endswith(f"/r/{req.key}/")

    with django_capture_on_commit_callbacks(execute=True):
        req = advance(w, "aligning")
    assert "review.requested" in inbox(w.qiang)
    assert "review.decided" in inbox(w.lei)
    assert "meeting.invited" in inbox(w.jun) and "meeting.invited" in inbox(w.ming)
    assert "meeting.invited" not in inbox(w.fang)  # not invited

    with django_capture_on_commit_callbacks(execute=True):
        hold_meeting(w, req)
    assert "signoff.requested" in inbox(w.hua) and "signoff.requested" in inbox(w.wei)

    with django_capture_on_commit_callbacks(execute=True):
        sign_all(w, req)
        revision = plan_selectors.current_revision(req)
        plans.finalize(
            requirement=req,
            actor=w.ming,
            revision_number=revision.number,
            content_hash=revision.content_hash,
        )
        plans.open_change_request(
            requirement=req,
            actor=w.jun,
            title="退款到余额",
            reason="财务要求",
            phase_found="testing",
            affected_teams=[w.payments],
        )
    assert "plan.finalized" in inbox(w.li) and "plan.finalized" not in inbox(w.ming)
    assert "change.opened" in inbox(w.hua) and "change.opened" in inbox(w.lei)
    assert "change.opened" not in inbox(w.wei)  # finance is not affected


def test_milestone_reminders_are_sent_once_per_due_date(w, django_capture_on_commit_callbacks):
    req = advance(w, "finalized")
    today = timezone.localdate()
    plans.set_milestone(
        requirement=req,
        actor=w.jun,
        team=w.payments,
        kind="dev_done",
        due_on=today - dt.timedelta(days=1),
    )
    plans.set_milestone(
        requirement=req,
        actor=w.wei,
        team=w.finance,
        kind="dev_done",
        due_on=today + dt.timedelta(days=1),
    )
    plans.set_milestone(
        requirement=req,
        actor=w.lei,
        team=w.order,
        kind="dev_done",
        due_on=today + dt.timedelta(days=10),
    )
    assert remind_milestones(today) == 2
    assert remind_milestones(today) == 0
    assert inbox(w.jun) == ["milestone.overdue"] and inbox(w.hua) == ["milestone.overdue"]
    assert inbox(w.wei) == ["milestone.due"]
    assert "milestone.due" not in inbox(w.lei)


def test_preferences_of_the_person_then_the_team_choose_the_media(
    w, django_capture_on_commit_callbacks
):
    give_emails()
    set_preference(actor=w.jun, user=w.jun, event="meeting.invited", email=False)
    set_preference(actor=w.li, team=w.finance, event="meeting.invited", in_app=False, email=False)
    set_preference(actor=w.wei, user=w.wei, event="meeting.invited", email=True, in_app=True)
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        schedule(w, req)
    emailed = set(
        Delivery.objects.filter(event="meeting.invited", medium="email").values_list(
            "recipient", flat=True
        )
    )
    assert emailed == {
        "ming@example.test",
        "lei@example.test",
        "hua@example.test",
        "wei@example.test",
    }
    assert "meeting.invited" in inbox(w.jun)  # jun kept the inbox, dropped email
    assert "meeting.invited" not in inbox(w.li)  # finance's default: neither
    assert "meeting.invited" in inbox(w.wei)  # wei's own choice beats the team's


def test_reading_the_inbox(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        advance(w, "handed_off")
    assert mark_read(actor=w.lei) == 1
    assert not Notification.objects.filter(recipient=w.lei, read_at__isnull=True).exists()
    assert mark_read(actor=w.lei) == 0
