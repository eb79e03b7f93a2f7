"""A delivery whose sending raises fails properly: its error is kept, it is retried with backoff,
and after its attempts it is marked failed, instead of staying pending with no error forever.
Text kept from before line breaks were refused cannot split a mail header."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from techalign.meetings.models import Meeting
from techalign.notify.models import Delivery
from techalign.notify.services import overdue_deliveries, queue_deliveries
from techalign.notify.worker import run_ready_tasks
from tests.factories import advance
from tests.notify.conftest import give_emails, schedule


def queue_invitations(w, capture) -> None:
    """ming schedules a meeting; lei's invitation is queued with a subject holding a CR/LF, as
    one queued before titles were checked."""
    give_emails(w.ming, w.lei)
    req = advance(w, "approved")
    with capture(execute=True):
        schedule(w, req)
    Delivery.objects.filter(recipient="lei@example.test").update(
        subject="[techalign] Sync\r\nBcc: evil@example.test"
    )


def test_an_unexpected_error_is_recorded_retried_and_the_delivery_finally_fails(
    w, smtp, quick_retries, django_capture_on_commit_callbacks
):
    queue_invitations(w, django_capture_on_commit_callbacks)

    run_ready_tasks()  # with no wait between attempts, every retry runs now

    broken = Delivery.objects.get(recipient="lei@example.test")
    assert broken.status == Delivery.Status.FAILED
    assert broken.attempts == 4  # the first attempt and one per backoff step
    # The mail library's BadHeaderError is no SMTP error, and still counts as a failure.
    assert "BadHeaderError" in broken.last_error
    assert broken.next_attempt_at is None
    sent = Delivery.objects.get(recipient="ming@example.test")
    assert sent.status == Delivery.Status.SENT
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["ming@example.test"]


def test_a_failing_delivery_waits_its_backoff_before_the_next_attempt(
    w, smtp, settings, django_capture_on_commit_callbacks
):
    settings.TECHALIGN_NOTIFY_BACKOFF = [600, 3600]
    queue_invitations(w, django_capture_on_commit_callbacks)
    before = timezone.now()

    run_ready_tasks()

    waiting = Delivery.objects.get(recipient="lei@example.test")
    assert waiting.status == Delivery.Status.PENDING
    assert waiting.attempts == 1
    assert "BadHeaderError" in waiting.last_error
    assert waiting.next_attempt_at >= before + dt.timedelta(seconds=600)
    assert not overdue_deliveries().exists(), "the sweep leaves it until it is due"


def test_a_stored_title_with_a_line_break_makes_a_one_line_subject(
    w, smtp, django_capture_on_commit_callbacks
):
    give_emails(w.ming, w.lei)
    req = advance(w, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(w, req)
    run_ready_tasks()
    # As stored before titles were checked.
    Meeting.objects.filter(pk=meeting.pk).update(title="Sync\r\nBcc: evil@example.test")
    smtp.messages.clear()

    queue_deliveries("meeting.changed", {"meeting": meeting.pk})
    run_ready_tasks()

    (mail,) = smtp.to("lei@example.test")
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert "Sync" in mail["Subject"]
    assert mail["Bcc"] is None
    assert not smtp.to("evil@example.test")
    assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()
