"""Answering an invitation through the API: the invitee's own answer, in the meeting's
representation; anyone else is refused naming the condition; a reschedule asks again."""

import datetime as dt

from techalign.meetings.services import reschedule_meeting
from tests.factories import advance


def answers(body: dict) -> dict[str, tuple[str, str]]:
    return {i["username"]: (i["response"], i["response_note"]) for i in body["invitees"]}


def test_an_invitee_declines_with_a_reason_and_the_meeting_shows_it(w, as_):
    req = advance(w, "aligning")
    path = f"/requirements/{req.key}/meetings/M-1"
    etag = as_("ming").get(path).headers["ETag"]

    answered = as_("jun").post(path + "/response", {"response": "declined", "note": "出差"})

    assert answered.status_code == 200, answered.content
    assert answers(answered.json())["jun"] == ("declined", "出差")
    assert answers(answered.json())["hua"] == ("needs_action", "")
    read = as_("ming").get(path)
    jun = next(i for i in read.json()["invitees"] if i["username"] == "jun")
    assert jun["responded_at"] is not None
    assert read.headers["ETag"] != etag  # answering changed the meeting


def test_the_answer_can_change_and_a_note_is_kept_only_with_a_decline(w, as_):
    req = advance(w, "aligning")
    path = f"/requirements/{req.key}/meetings/M-1/response"
    as_("hua").post(path, {"response": "declined", "note": "忙"})

    changed = as_("hua").post(path, {"response": "accepted", "note": "ignored"})

    assert answers(changed.json())["hua"] == ("accepted", "")


def test_someone_not_invited_is_refused_naming_the_condition(w, as_):
    req = advance(w, "aligning")

    refused = as_("qiang").post(
        f"/requirements/{req.key}/meetings/M-1/response", {"response": "accepted"}
    )

    assert refused.status_code == 403
    assert refused.json()["code"] == "invitation.not_invitee"
    assert refused.json()["message"] == (
        "Only an invitee of meeting M-1 may answer its invitation; qiang is not invited."
    )


def test_the_refusal_reads_in_the_callers_language(w, as_):
    req = advance(w, "aligning")

    refused = as_("qiang", "zh-hans").post(
        f"/requirements/{req.key}/meetings/M-1/response", {"response": "accepted"}
    )

    assert refused.json()["message"] == "只有会议 M-1 的受邀人可以答复邀请；qiang 未受邀。"


def test_needs_action_or_an_unknown_answer_is_invalid(w, as_):
    req = advance(w, "aligning")
    path = f"/requirements/{req.key}/meetings/M-1/response"

    for answer in ["needs_action", "maybe", ""]:
        refused = as_("jun").post(path, {"response": answer})
        assert refused.status_code == 422, answer
    too_long = as_("jun").post(path, {"response": "declined", "note": "长" * 501})
    assert too_long.status_code == 422


def test_a_reschedule_sets_every_answer_back_to_needs_action(w, as_):
    req = advance(w, "aligning")
    path = f"/requirements/{req.key}/meetings/M-1"
    as_("jun").post(path + "/response", {"response": "accepted"})
    meeting = req.meetings.get()
    later = meeting.starts_at + dt.timedelta(days=1)

    reschedule_meeting(
        meeting=meeting, actor=w.ming, starts_at=later, ends_at=later + dt.timedelta(hours=1)
    )

    assert set(answers(as_("ming").get(path).json()).values()) == {("needs_action", "")}
