"""The align tab before and after the meeting: no invitation to sign before it is held, each
party's attendance once it is, and a waiver recorded from the page by the tech lead only."""

from django.urls import reverse

from techalign.meetings.models import AttendanceWaiver
from techalign.meetings.services import waive_attendance
from techalign.plans import services as plans
from techalign.plans.selectors import current_revision
from tests.factories import advance, hold_meeting, sign_all

HTMX = {"HTTP_HX_REQUEST": "true"}


def align_page(client, req) -> str:
    return client.get(reverse("web:align", args=[req.key])).content.decode()


def waive(client, req, team, reason):
    url = reverse("web:do", args=[req.key, "waive_attendance"])
    return client.post(url, {"team": team.pk, "reason": reason}, **HTMX)


def test_before_the_meeting_is_held_nobody_is_offered_to_sign(w, as_user):
    req = advance(w, "aligning")

    page = align_page(as_user(w.jun), req)

    assert "Sign revision 3" not in page
    assert "The parties sign off after the alignment meeting" in page
    assert "Hold meeting M-1" in page  # who acts next
    assert "No alignment meeting has been held yet" in page


def test_after_the_meeting_each_partys_attendance_is_shown_and_signing_is_offered(w, as_user):
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=(w.wei,))

    page = align_page(as_user(w.jun), req)

    assert "Sign revision 3" in page
    assert "Attendance of the parties" in page
    finance = page.split('href="/teams/finance/"', 1)[1].split("</tr>", 1)[0]
    assert "li" in finance and "Missing" in finance and "DEV" in finance
    payments = page.split('href="/teams/payments/"', 1)[1].split("</tr>", 1)[0]
    assert "hua" in payments and "jun" in payments and "Attended" in payments
    # Only a tech lead or architect gets the waiver form.
    assert "Record the waiver" not in page
    assert "had nobody at the alignment meeting as DEV" in page


def test_the_tech_lead_records_a_waiver_from_the_align_tab(w, as_user):
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=(w.wei,))
    qiang = as_user(w.qiang)
    assert "Record the waiver" in align_page(qiang, req)

    response = waive(qiang, req, w.finance, "封账周，书面确认")

    assert response.status_code == 200
    waiver = AttendanceWaiver.objects.get()
    assert waiver.team == w.finance and waiver.recorded_by == w.qiang
    finance = align_page(qiang, req).split('href="/teams/finance/"', 1)[1].split("</tr>", 1)[0]
    assert "Waived" in finance and "封账周，书面确认" in finance


def test_a_waiver_without_a_reason_is_refused_inline(w, as_user):
    req = advance(w, "aligning")

    response = waive(as_user(w.qiang), req, w.finance, "")

    assert "Give the reason team 财务组 is excused" in response.content.decode()
    assert not AttendanceWaiver.objects.exists()


def test_a_dev_posting_a_waiver_is_refused_inline(w, as_user):
    req = advance(w, "aligning")

    response = waive(as_user(w.lei), req, w.finance, "出差")

    assert "waive a party&#x27;s attendance" in response.content.decode()
    assert not AttendanceWaiver.objects.exists()


def test_the_baseline_page_shows_the_waivers_in_force_when_it_was_made(w, as_user):
    req = advance(w, "aligning")
    hold_meeting(w, req, absent=(w.wei,))
    sign_all(w, req)
    waive_attendance(requirement=req, actor=w.qiang, team=w.finance, reason="封账周")
    revision = current_revision(req)
    plans.finalize(
        requirement=req,
        actor=w.ming,
        revision_number=revision.number,
        content_hash=revision.content_hash,
    )

    page = as_user(w.hua).get(reverse("web:baseline", args=[req.key])).content.decode()

    assert "财务组 excused from the meeting by qiang" in page and "封账周" in page
