"""Answering an invitation from its signed link, without signing in: opening the link only shows
what it would do; the page's form records the answer; a damaged, expired, replaced or
other-meeting link gets a page saying why, never an error. Signed in, the meeting page shows
every answer, the user's own answer form, and the seat a required decline left empty."""

import datetime as dt
import re
from urllib.parse import urlsplit

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from techalign.audit.models import AuditEvent
from techalign.meetings import services as meetings
from techalign.meetings.links import answer_url
from techalign.meetings.models import Invitee
from techalign.org.models import Role
from tests.factories import advance, grant, make_user

HTMX = {"HTTP_HX_REQUEST": "true"}


def schedule(w, req, start=None, hours=1):
    start = start or timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    return meetings.schedule_meeting(
        requirement=req, actor=w.ming, starts_at=start, ends_at=start + dt.timedelta(hours=hours)
    )


def path_of(url: str) -> str:
    return urlsplit(url).path


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def answer_of(meeting, user) -> Invitee:
    return meeting.invitees.get(user=user)


def test_opening_a_link_shows_the_answer_to_confirm_and_changes_nothing(w):
    meeting = schedule(w, advance(w, "approved"))
    visitor = Client(enforce_csrf_checks=True)

    page = visitor.get(path_of(answer_url(meeting, w.jun.pk, "decline")))

    assert page.status_code == 200
    text = page.content.decode()
    assert meeting.title in text and "Invitation for jun" in text
    assert re.search(r'value="declined"[^>]*checked', text)  # the link's answer, chosen
    assert answer_of(meeting, w.jun).response == Invitee.Response.NEEDS_ACTION
    assert not AuditEvent.objects.filter(action="meeting.invitation_answered").exists()


def test_the_confirmation_form_records_the_answer_for_the_links_invitee(w):
    meeting = schedule(w, advance(w, "approved"))
    visitor = Client(enforce_csrf_checks=True)
    link = path_of(answer_url(meeting, w.jun.pk, "decline"))
    token = csrf_token(visitor.get(link).content.decode())

    done = visitor.post(
        link, {"csrfmiddlewaretoken": token, "response": "declined", "note": "在外地出差"}
    )

    assert done.status_code == 200
    assert "is recorded" in done.content.decode()
    invitee = answer_of(meeting, w.jun)
    assert (invitee.response, invitee.response_note) == ("declined", "在外地出差")
    event = AuditEvent.objects.get(action="meeting.invitation_answered")
    assert event.actor_id == w.jun.pk and event.summary["by_link"] is True


def test_a_post_without_the_forms_csrf_token_is_refused(w):
    meeting = schedule(w, advance(w, "approved"))
    visitor = Client(enforce_csrf_checks=True)

    refused = visitor.post(
        path_of(answer_url(meeting, w.jun.pk, "accept")), {"response": "accepted"}
    )

    assert refused.status_code == 403
    assert answer_of(meeting, w.jun).response == Invitee.Response.NEEDS_ACTION


def test_a_tampered_link_gets_a_clear_page(w):
    meeting = schedule(w, advance(w, "approved"))
    link = path_of(answer_url(meeting, w.jun.pk, "accept"))
    signature = link.rstrip("/").rsplit(":", 1)[1]
    forged = link.replace(signature, "A" * len(signature))

    page = Client().get(forged)

    assert page.status_code == 403
    assert "damaged or was not issued by techalign" in page.content.decode()


def test_a_tampered_link_reads_in_the_visitors_language(w):
    meeting = schedule(w, advance(w, "approved"))
    visitor = Client()
    visitor.post(reverse("web:language"), {"language": "zh-hans", "next": "/"})

    page = visitor.get(path_of(answer_url(meeting, w.jun.pk, "accept"))[:-4] + "xyz/")

    assert page.status_code == 403
    assert "此答复链接已损坏" in page.content.decode()


def test_a_link_for_another_meeting_is_refused(w):
    req = advance(w, "approved")
    first = schedule(w, req)
    second = schedule(w, req, start=timezone.now().replace(microsecond=0) + dt.timedelta(days=4))
    token = path_of(answer_url(first, w.jun.pk, "accept")).rstrip("/").rsplit("/", 1)[1]
    wrong = reverse("web:invitation_answer", args=[req.key, second.key, "accept", token])

    page = Client().get(wrong)
    posted = Client().post(wrong, {"response": "accepted"})

    assert page.status_code == 403
    assert "belongs to another meeting, not to M-2" in page.content.decode()
    assert posted.status_code == 403
    assert answer_of(second, w.jun).response == Invitee.Response.NEEDS_ACTION


def test_a_link_from_before_a_reschedule_is_replaced_by_the_new_invitations(w):
    meeting = schedule(w, advance(w, "approved"))
    old_link = path_of(answer_url(meeting, w.jun.pk, "accept"))
    later = meeting.starts_at + dt.timedelta(days=1)
    meetings.reschedule_meeting(
        meeting=meeting, actor=w.ming, starts_at=later, ends_at=later + dt.timedelta(hours=1)
    )

    page = Client().post(old_link, {"response": "accepted"})

    assert page.status_code == 410
    assert "was changed after this invitation was sent" in page.content.decode()
    assert answer_of(meeting, w.jun).response == Invitee.Response.NEEDS_ACTION
    meeting.refresh_from_db()
    fresh = Client().get(path_of(answer_url(meeting, w.jun.pk, "accept")))
    assert fresh.status_code == 200


def test_a_link_expires_when_the_meeting_ends(w):
    past = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    meeting = schedule(w, advance(w, "approved"), start=past)

    page = Client().get(path_of(answer_url(meeting, w.jun.pk, "accept")))

    assert page.status_code == 410
    assert "expired when meeting M-1 ended" in page.content.decode()


def test_a_link_of_someone_uninvited_since_is_refused(w):
    meeting = schedule(w, advance(w, "approved"))
    meetings.add_invitee(meeting=meeting, actor=w.ming, user=w.fang)
    meeting.refresh_from_db()
    link = path_of(answer_url(meeting, w.fang.pk, "accept"))
    meetings.remove_invitee(meeting=meeting, actor=w.ming, user=w.fang)

    page = Client().get(link)

    assert page.status_code == 403
    assert "fang is not invited" in page.content.decode()


def test_an_unknown_answer_or_meeting_in_the_address_reads_as_a_damaged_link(w):
    meeting = schedule(w, advance(w, "approved"))
    link = path_of(answer_url(meeting, w.jun.pk, "accept"))

    assert Client().get(link.replace("/accept/", "/maybe/")).status_code == 403
    assert Client().get(link.replace("/M-1/", "/M-99999999999/")).status_code == 403
    assert Client().get(link.replace("/M-1/", "/M-7/")).status_code == 403


def test_signed_in_the_invitee_answers_on_the_meeting_page(w, as_user):
    meeting = schedule(w, advance(w, "approved"))
    url = reverse("web:meeting", args=[meeting.requirement.key, meeting.key])
    jun = as_user(w.jun)
    assert 'id="my-answer"' in jun.get(url).content.decode()

    jun.post(
        reverse("web:meeting_do", args=[meeting.requirement.key, meeting.key, "respond"]),
        {"response": "tentative"},
        **HTMX,
    )

    assert answer_of(meeting, w.jun).response == Invitee.Response.TENTATIVE
    page = as_user(w.ming).get(url).content.decode()
    assert 'class="answer-tentative"' in page


def test_someone_not_invited_is_refused_naming_the_condition(w, as_user):
    meeting = schedule(w, advance(w, "approved"))
    url = reverse("web:meeting", args=[meeting.requirement.key, meeting.key])
    qiang = as_user(w.qiang)
    assert 'id="my-answer"' not in qiang.get(url).content.decode()

    refused = qiang.post(
        reverse("web:meeting_do", args=[meeting.requirement.key, meeting.key, "respond"]),
        {"response": "accepted"},
        **HTMX,
    )

    assert refused["X-Refused"] == "invitation.not_invitee"
    assert "qiang is not invited" in refused.content.decode()
    assert not meeting.invitees.filter(user=w.qiang).exists()


def test_a_required_decline_shows_the_empty_seat_and_a_colleague_to_invite(w, as_user):
    meeting = schedule(w, advance(w, "approved"))
    colleague = grant(make_user("tao"), w.payments, Role.DEV)
    meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="declined", note="出差")
    url = reverse("web:meeting", args=[meeting.requirement.key, meeting.key])
    ming = as_user(w.ming)

    page = ming.get(url).content.decode()

    assert "The Developer seat of 支付组 is empty" in page
    assert "jun declined" in page and "出差" in page
    assert "Invite tao" in page and "Or find another time and reschedule" in page
    ming.post(
        reverse("web:meeting_do", args=[meeting.requirement.key, meeting.key, "invite"]),
        {"user": colleague.pk, "is_required": "on"},
        **HTMX,
    )
    assert meeting.invitees.get(user=colleague).is_required
    assert "is empty" not in ming.get(url).content.decode()


def test_the_inbox_lists_invitations_awaiting_an_answer(w, as_user):
    meeting = schedule(w, advance(w, "approved"))
    jun = as_user(w.jun)

    inbox = jun.get(reverse("web:inbox")).content.decode()
    waiting = inbox.split('id="inbox-invitations"')[1].split("</section>")[0]
    assert meeting.title in waiting

    meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="accepted")
    inbox = jun.get(reverse("web:inbox")).content.decode()
    assert meeting.title not in inbox.split('id="inbox-invitations"')[1].split("</section>")[0]
    assert meeting.title in inbox.split('id="inbox-meetings"')[1].split("</section>")[0]


def test_the_answer_form_and_the_empty_seat_keep_the_meeting_pages_ids_unique(w, as_user):
    meeting = schedule(w, advance(w, "approved"))
    grant(make_user("tao"), w.payments, Role.DEV)
    grant(make_user("pm2"), w.finance, Role.PM)
    meetings.respond_to_invitation(meeting=meeting, actor=w.jun, response="declined")
    meetings.respond_to_invitation(meeting=meeting, actor=w.li, response="declined")

    page = as_user(w.ming).get(reverse("web:meeting", args=[meeting.requirement.key, meeting.key]))

    ids = re.findall(r'\sid="([^"]+)"', page.content.decode())
    assert 'id="my-answer"' in page.content.decode()
    assert len(re.findall(r'class="refusal seat-empty"', page.content.decode())) == 2
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
