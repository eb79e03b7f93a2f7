"""Where an action's answer goes, and what its address does when it is not posted to as meant.

An htmx answer names its own target and keeps the address bar on the page; a plain post is
redirected to the page with a short "saved" note; opening an action's address leads to its
page; an action posted under an address it does not belong to is not found, never a 500."""

from django.urls import reverse

from techalign.meetings.models import Meeting
from tests.factories import advance, meeting_taken_place

HTMX = {"HTTP_HX_REQUEST": "true"}


def meeting_url(req, meeting, name, ref=None):
    args = [req.key, meeting.key, name, *([ref] if ref else [])]
    return reverse("web:meeting_do_on" if ref else "web:meeting_do", args=args)


def test_a_section_action_swaps_its_section_and_keeps_the_meeting_address(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    url = meeting_url(req, meeting, "attendance", w.lei.username)
    response = as_user(w.ming).post(url, {"attended": "yes"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#minutes"
    assert response["HX-Reswap"].startswith("outerHTML")
    assert response["HX-Replace-Url"] == reverse("web:meeting", args=[req.key, meeting.key])
    body = response.content.decode()
    assert '<section id="minutes"' in body
    assert 'id="req-header" class="req-head" hx-swap-oob="true"' in body
    assert 'class="flash" role="status">Saved.</p>' in body
    assert meeting.invitees.get(user=w.lei).attended is True


def test_a_page_action_swaps_the_page_body(w, as_user):
    req = advance(w, "aligning")
    meeting = meeting_taken_place(w, req)
    response = as_user(w.ming, "zh-hans").post(meeting_url(req, meeting, "mark_held"), **HTMX)
    assert response["HX-Retarget"] == "#page"
    assert response["HX-Reswap"].startswith("innerHTML")
    assert response["HX-Replace-Url"] == reverse("web:meeting", args=[req.key, meeting.key])
    assert "已保存。" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD


def test_a_refused_htmx_action_names_no_saved_note_and_keeps_the_address(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    url = meeting_url(req, meeting, "decision")
    response = as_user(w.charlie).post(url, {"decision-text": "外人的决定"}, **HTMX)
    assert response["X-Refused"]
    assert response["HX-Replace-Url"] == reverse("web:meeting", args=[req.key, meeting.key])
    assert "flash" not in response.content.decode()
    assert not meeting.decisions.exists()


def test_a_plain_post_is_redirected_to_the_page_which_says_saved(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    client = as_user(w.ming)
    response = client.post(meeting_url(req, meeting, "decision"), {"decision-text": "定了"})
    page = reverse("web:meeting", args=[req.key, meeting.key])
    assert response.status_code == 302
    assert response["Location"] == page + "#minutes"
    assert 'class="flash" role="status">Saved.</p>' in client.get(page).content.decode()
    assert "flash" not in client.get(page).content.decode()  # said once


def test_opening_an_actions_address_leads_to_its_page(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    client = as_user(w.ming)
    url = meeting_url(req, meeting, "attendance", w.lei.username)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:meeting", args=[req.key, meeting.key])
    response = client.get(reverse("web:do", args=[req.key, "update_item"]))
    assert response["Location"] == reverse("web:plan", args=[req.key])
    response = client.get(reverse("web:do", args=[req.key, "no_such_action"]))
    assert response["Location"] == reverse("web:requirement", args=[req.key])
    assert client.put(url).status_code == 405
    assert meeting.invitees.get(user=w.lei).attended is None


def test_a_meeting_action_without_a_meeting_is_not_found(w, as_user):
    req = advance(w, "aligning")
    client = as_user(w.ming)
    for name, ref in [("attendance", w.lei.username), ("mark_held", None), ("decision", None)]:
        args = [req.key, name, *([ref] if ref else [])]
        url = reverse("web:do_on" if ref else "web:do", args=args)
        assert client.post(url, {"attended": "yes"}, **HTMX).status_code == 404
    assert req.meetings.get().status == Meeting.Status.SCHEDULED


def test_a_requirement_action_under_a_meeting_address_is_not_found(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    client = as_user(w.ming)
    response = client.post(meeting_url(req, meeting, "update_requirement"), {"title": "x"})
    assert response.status_code == 404
    req.refresh_from_db()
    assert req.title == "部分退款"


def test_a_malformed_action_item_number_is_refused_not_an_error(w, as_user):
    req = advance(w, "aligning")
    meeting = req.meetings.get()
    client = as_user(w.ming)
    for ref in ["abc", "²", "99999"]:
        url = meeting_url(req, meeting, "complete_action_item", ref)
        response = client.post(url, **HTMX)
        assert response.status_code == 200
        assert response["X-Refused"] == "access.not_found"


def test_saving_preferences_redirects_to_them_with_a_saved_note(w, as_user):
    client = as_user(w.ming)
    response = client.post(
        reverse("web:preferences"), {"language": "en", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:preferences")
    assert (
        'class="flash" role="status">Saved.</p>'
        in client.get(reverse("web:preferences")).content.decode()
    )
