"""A page action with a bad reference (not a number, unknown, another requirement's, wrong
case, a meeting action without its meeting) answers 404 or a refusal, never a server error."""

import pytest
from django.test import Client
from django.urls import reverse

import techalign.web.urls  # noqa: F401  (registers every page action)
from techalign.meetings.services import add_action_item
from techalign.web.views.common import ACTIONS, SECTIONS
from tests.factories import advance

HTMX = {"HTTP_HX_REQUEST": "true"}
GARBAGE = ["abc", "0", "-1", "99999", "99999999999999999999", "M-1", "cr-999", "²", "I-1.5"]


@pytest.fixture
def aligning(w):
    """A requirement with a scheduled meeting, an action item, and another requirement."""
    req = advance(w, "aligning")
    other = advance(w, "aligning")
    meeting = req.meetings.get()
    due = meeting.starts_at.date()
    item = add_action_item(
        meeting=meeting, actor=w.ming, text="补充接口文档", owner=w.jun, due_on=due
    )
    other_item = add_action_item(
        meeting=other.meetings.get(), actor=w.ming, text="别处", owner=w.jun, due_on=due
    )
    return req, meeting, item, other_item


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _meeting_only(name: str) -> bool:
    return SECTIONS[ACTIONS[name].section].pages == ["meeting"]


def test_every_action_with_a_garbage_reference_answers_without_a_server_error(w, aligning):
    assert len(ACTIONS) > 30
    req, meeting, _item, _other = aligning
    client = _client(w.ming)
    # Each action gets two of the references, on both URLs, as htmx and as a plain post.
    for n, name in enumerate(sorted(ACTIONS)):
        for ref in (GARBAGE[n % len(GARBAGE)], GARBAGE[(n + 1) % len(GARBAGE)]):
            for url, headers in (
                (reverse("web:do_on", args=[req.key, name, ref]), HTMX),
                (reverse("web:meeting_do_on", args=[req.key, meeting.key, name, ref]), {}),
            ):
                response = client.post(url, {}, **headers)
                assert response.status_code < 500, (url, response.status_code)
        # ... and without any reference at all.
        response = client.post(reverse("web:do", args=[req.key, name]), {}, **HTMX)
        assert response.status_code < 500, (name, response.status_code)


def test_a_meeting_action_posted_to_the_requirement_url_is_not_found(w, aligning):
    req, _meeting, item, _other = aligning
    client = _client(w.ming)
    meeting_actions = [name for name in ACTIONS if _meeting_only(name)]
    assert {"complete_action_item", "mark_held", "decision", "uninvite"} <= set(meeting_actions)
    for name in meeting_actions:
        for url in (
            reverse("web:do", args=[req.key, name]),
            reverse("web:do_on", args=[req.key, name, str(item.pk)]),
        ):
            assert client.post(url, {"text": "x"}).status_code == 404, url
    item.refresh_from_db()
    assert item.done_at is None


def test_an_unknown_meeting_or_requirement_is_not_found(w, aligning):
    req, *_rest = aligning
    client = _client(w.ming)
    for meeting_key in ["M-9", "abc", "M-", "99999999999999999999"]:
        url = reverse("web:meeting_do", args=[req.key, meeting_key, "mark_held"])
        assert client.post(url).status_code == 404
    for key in ["REQ-999", "abc", "REQ-99999999999999999999"]:
        assert client.post(reverse("web:do", args=[key, "hand_off"])).status_code == 404


def test_completing_an_action_item_by_a_bad_id_is_not_found(w, aligning):
    req, meeting, item, other_item = aligning
    client = _client(w.jun)
    for ref in ["abc", "99999", str(other_item.pk), "1e3", " "]:
        url = reverse("web:meeting_do_on", args=[req.key, meeting.key, "complete_action_item", ref])
        response = client.post(url, **HTMX)
        assert response["X-Refused"] == "access.not_found", ref
    other_item.refresh_from_db()
    assert other_item.done_at is None  # another meeting's item is not reachable from this one
    url = reverse(
        "web:meeting_do_on", args=[req.key, meeting.key, "complete_action_item", str(item.pk)]
    )
    assert "X-Refused" not in client.post(url, **HTMX)
    item.refresh_from_db()
    assert item.done_at is not None


def test_a_meeting_key_is_read_in_any_case(w, aligning):
    req, meeting, _item, _other = aligning
    lower = meeting.key.lower()
    assert _client(w.ming).get(reverse("web:meeting", args=[req.key, lower])).status_code == 200


def test_uninviting_an_unknown_or_inactive_user_is_refused_as_not_found(w, aligning):
    req, meeting, _item, _other = aligning
    w.wei.is_active = False
    w.wei.save()
    client = _client(w.ming)
    for username in ["nobody", "wei"]:
        url = reverse("web:meeting_do_on", args=[req.key, meeting.key, "uninvite", username])
        response = client.post(url, **HTMX)
        assert response["X-Refused"] == "access.not_found", username
    assert meeting.invitees.filter(user=w.wei).exists()


def test_withdrawing_a_change_request_reads_its_key_in_any_case(w):
    req = advance(w, "finalized")
    client = _client(w.ming)
    client.post(
        reverse("web:do", args=[req.key, "open_change"]),
        {
            "title": "退款上限",
            "reason": "测试发现",
            "phase_found": "testing",
            "affected_teams": [w.payments.pk],
            "root_cause": "technical_discovery",
        },
    )
    change = req.change_requests.get()
    response = client.post(reverse("web:do_on", args=[req.key, "withdraw_change", "cr-9"]), **HTMX)
    assert response["X-Refused"] == "access.not_found"
    response = client.post(
        reverse("web:do_on", args=[req.key, "withdraw_change", change.key.lower()]), **HTMX
    )
    assert "X-Refused" not in response
    change.refresh_from_db()
    assert change.status == "withdrawn"


def test_reviewing_an_unknown_revision_is_not_found_instead_of_the_current_one(w):
    req = advance(w, "in_review")
    revision = req.plan.current_revision
    response = _client(w.qiang).post(
        reverse("web:do", args=[req.key, "approve"]),
        {"revision": 99, "content_hash": revision.content_hash, "comment": ""},
        **HTMX,
    )
    assert response["X-Refused"] == "access.not_found"
    assert not revision.reviews.exists()
