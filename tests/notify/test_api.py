"""Notification preferences through the API: read with an ETag, changed only as of it."""

from techalign.notify.models import Preference
from tests.api.conftest import Api


def _refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    return response.json()["details"]


def _choice(api: Api, event: str, **params) -> dict:
    (found,) = [
        c
        for c in api.get("/notifications/preferences", **params).json()["items"]
        if c["event"] == event
    ]
    return found


def test_preferences_are_set_only_as_of_the_etag_read(w):
    api = Api(w.lei, "en")
    read = api.get("/notifications/preferences")
    assert read.status_code == 200 and read["ETag"] == '"v0"'  # nothing chosen yet
    choice = {"event": "meeting.invited", "email": False}

    _refused(api.put("/notifications/preferences", choice), 428, "precondition.required")
    done = api.put("/notifications/preferences", choice, if_match=read["ETag"])
    assert done.status_code == 200 and done.json()["email"] is False
    assert done["ETag"] == api.get("/notifications/preferences")["ETag"] != read["ETag"]

    # Another event, but the same preferences: an edit on the older read is refused.
    late = {"event": "question.asked", "chat": False}
    details = _refused(
        api.put("/notifications/preferences", late, if_match=read["ETag"]),
        412,
        "conflict.stale_version",
    )
    assert f'"v{details["current"]}"' == done["ETag"]
    assert _choice(api, "question.asked")["chat"] is True
    assert not Preference.objects.filter(user=w.lei, event="question.asked").exists()

    again = api.put("/notifications/preferences", late, if_match=done["ETag"])
    assert again.status_code == 200 and _choice(api, "question.asked")["chat"] is False


def test_a_teams_defaults_have_their_own_etag(w):
    pm = Api(w.ming, "en")
    own = pm.get("/notifications/preferences")["ETag"]
    team = pm.get("/notifications/preferences", team="order")
    assert team.status_code == 200 and team["ETag"] == '"v0"'
    default = {"event": "plan.finalized", "team": "order", "in_app": False}

    _refused(pm.put("/notifications/preferences", default), 428, "precondition.required")
    done = pm.put("/notifications/preferences", default, if_match=team["ETag"])
    assert done.status_code == 200 and done.json()["in_app"] is False
    assert _choice(pm, "plan.finalized", team="order")["in_app"] is False
    assert pm.get("/notifications/preferences")["ETag"] == own  # the PM's own are untouched
    _refused(
        pm.put("/notifications/preferences", default, if_match=team["ETag"]),
        412,
        "conflict.stale_version",
    )


def test_only_those_who_set_a_teams_defaults_read_them(w):
    dev = Api(w.lei, "en")
    _refused(dev.get("/notifications/preferences", team="order"), 403, "notify.not_allowed")
    _refused(dev.get("/notifications/preferences", team="nope"), 404, "access.not_found")


def test_a_stale_refusal_reads_in_chinese(w):
    api = Api(w.lei, "zh-hans")
    choice = {"event": "meeting.invited", "email": False}
    api.put("/notifications/preferences", choice, if_match='"v0"')
    refused = api.put("/notifications/preferences", choice, if_match='"v0"')
    assert refused.status_code == 412 and "通知偏好" in refused.json()["message"]
