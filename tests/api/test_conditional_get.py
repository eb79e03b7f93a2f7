"""A client that kept its last answer sends its ETag in If-None-Match and gets `304 Not Modified`
(no body) until something the answer shows has changed; the access check comes first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from techalign.calendars import services as calendars
from techalign.calendars.services import set_holiday_policy
from techalign.health.services import update_health_settings
from techalign.notify import services as notify
from techalign.notify.models import Event
from techalign.org.services import save_component, save_team
from techalign.requirements import services as requirements
from tests.api.conftest import Api
from tests.calendars.ics_builders import calendar, event
from tests.factories import advance, make_user, meeting_taken_place, sign_all


@dataclass
class Story:
    """An order-team requirement approved and waiting for its alignment meeting, and lei's
    calendar source: everything the ETag'd answers show."""

    w: object
    requirement: object
    meeting: object
    source: object


@pytest.fixture
def story(w) -> Story:
    requirement = advance(w, "aligning")
    ics = calendar(event("a", ":20261207T010000Z", ":20261207T020000Z"))
    source = calendars.add_upload(actor=w.lei, user=w.lei, name="work", content=ics)
    return Story(w, requirement, requirement.meetings.get(), source)


def _admin():
    return make_user("root", is_superuser=True, is_staff=True)


@dataclass
class Endpoint:
    name: str
    path: Callable[[Story], str]
    change: Callable[[Story], object]


ENDPOINTS = [
    Endpoint(
        "requirement",
        lambda s: f"/requirements/{s.requirement.key}",
        # The version moves; the question only moves the requirement's marks.
        lambda s: requirements.raise_question(
            requirement=s.requirement, actor=s.w.jun, body="部分退款走原路吗？"
        ),
    ),
    Endpoint(
        "plan",
        lambda s: f"/requirements/{s.requirement.key}/plan",
        # A sign-off: the revision (what If-Match compares) stays, the answer does not.
        lambda s: sign_all(s.w, s.requirement, [s.w.payments]),
    ),
    Endpoint(
        "milestones",
        lambda s: f"/requirements/{s.requirement.key}/milestones",
        lambda s: meeting_taken_place(s.w, s.requirement),
    ),
    Endpoint(
        "meeting",
        lambda s: f"/requirements/{s.requirement.key}/meetings/{s.meeting.key}",
        lambda s: meeting_taken_place(s.w, s.requirement),
    ),
    Endpoint(
        "calendar source",
        lambda s: f"/calendars/sources/{s.source.pk}",
        lambda s: calendars.update_source(actor=s.w.lei, source=s.source, name="office"),
    ),
    Endpoint(
        "working hours",
        lambda s: "/calendars/working-hours",
        lambda s: calendars.set_working_hours(
            actor=s.w.lei, user=s.w.lei, starts=dt.time(10), ends=dt.time(19)
        ),
    ),
    Endpoint(
        "notification preferences",
        lambda s: "/notifications/preferences",
        lambda s: notify.set_preference(
            actor=s.w.lei, user=s.w.lei, event=Event.values[0], email=False
        ),
    ),
    Endpoint(
        "health settings",
        lambda s: "/health/settings",
        lambda s: update_health_settings(actor=_admin(), blocking_question_days=4),
    ),
]


def _get(api, path: str, tag: str | None = None):
    return api.client.get(
        "/api/v1" + path, headers={**api.headers, **({"If-None-Match": tag} if tag else {})}
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_a_kept_answer_is_not_sent_again_until_it_changes(story, as_, endpoint):
    lei, path = as_("lei"), endpoint.path(story)
    first = _get(lei, path)
    assert first.status_code == 200 and first.content
    tag = first["ETag"]

    for given in [tag, f"W/{tag}", f'"elsewhere1", {tag}', "*"]:
        unchanged = _get(lei, path, given)
        assert unchanged.status_code == 304, (given, unchanged.content)
        assert unchanged["ETag"] == tag and unchanged.content == b""
        assert "private" in unchanged["Cache-Control"]
    assert _get(lei, path, '"v999999"').status_code == 200

    endpoint.change(story)
    changed = _get(lei, path, tag)
    assert changed.status_code == 200 and changed.json()
    assert changed["ETag"] != tag
    assert _get(lei, path, changed["ETag"]).status_code == 304


def test_an_invisible_requirement_is_not_found_even_with_its_current_tag(w, as_):
    private = requirements.create_requirement(
        actor=w.ming, lead_team=w.order, title="内部对账", lead_dev=w.lei, is_private=True
    )
    tag = _get(as_("ming"), f"/requirements/{private.key}")["ETag"]
    for path in [f"/requirements/{private.key}", f"/requirements/{private.key}/plan"]:
        for given in [tag, "*"]:
            hidden = _get(as_("charlie"), path, given)
            assert hidden.status_code == 404 and hidden.json()["code"] == "access.not_found"


def test_another_persons_calendar_source_is_not_found_even_with_its_tag(story, as_):
    path = f"/calendars/sources/{story.source.pk}"
    tag = _get(as_("lei"), path)["ETag"]
    assert _get(as_("jun"), path, tag).status_code == 404


def test_a_team_s_defaults_are_refused_to_an_outsider_even_with_their_tag(w, as_):
    tag = _get(as_("ming"), "/notifications/preferences?team=order")["ETag"]
    refused = _get(as_("charlie"), "/notifications/preferences?team=order", tag)
    assert refused.status_code == 403


def test_if_match_takes_the_longer_tag_a_read_gives(story, as_):
    """The tag of a requirement carries its marks; If-Match compares the version in it."""
    ming = as_("ming")
    path = f"/requirements/{story.requirement.key}"
    tag = _get(ming, path)["ETag"]
    assert "-" in tag
    # The plan is approved: a new title re-revisions it, which the PM confirms.
    edited = ming.patch(path, {"title": "部分退款（含冲正）", "confirm": True}, if_match=tag)
    assert edited.status_code == 200, edited.content
    assert edited["ETag"] == _get(ming, path)["ETag"] != tag
    stale = ming.patch(path, {"title": "又改", "confirm": True}, if_match=tag)
    assert stale.status_code == 412


@pytest.mark.parametrize("endpoint", ENDPOINTS[:4], ids=lambda e: e.name)
def test_a_not_modified_answer_costs_a_few_queries_not_the_body(story, as_, endpoint):
    lei, path = as_("lei"), endpoint.path(story)
    with CaptureQueriesContext(connection) as full:
        tag = _get(lei, path)["ETag"]
    with CaptureQueriesContext(connection) as conditional:
        assert _get(lei, path, tag).status_code == 304
    # Who is asking with their roles, the requirement as they may see it (and the meeting),
    # then one query for the revision and the marks.
    assert len(conditional) <= 4 < len(full)
    if endpoint.name != "milestones":  # a short list: its body costs one query
        assert len(conditional) * 2 <= len(full), (len(conditional), len(full))


ADMIN_ENDPOINTS = [
    Endpoint(
        "team",
        lambda s: "/admin/teams/order",
        lambda s: save_team(
            actor=s.w.extra["admin"],
            code="order",
            name="订单中台组",
            department=s.w.order.department,
        ),
    ),
    Endpoint(
        "component",
        lambda s: "/admin/components/ledger",
        lambda s: save_component(
            actor=s.w.extra["admin"],
            key="ledger",
            name="总账服务",
            kind="service",
            owner_team=s.w.finance,
        ),
    ),
    Endpoint(
        "company calendar",
        lambda s: "/admin/company-calendar",
        lambda s: set_holiday_policy(actor=s.w.extra["admin"], use_public_holidays=False),
    ),
]


@pytest.mark.parametrize("endpoint", ADMIN_ENDPOINTS, ids=lambda e: e.name)
def test_an_administrators_kept_answer_is_not_sent_again_until_it_changes(story, endpoint):
    story.w.extra["admin"] = _admin()
    admin, path = Api(story.w.extra["admin"], "en"), endpoint.path(story)
    tag = _get(admin, path)["ETag"]
    unchanged = _get(admin, path, f"W/{tag}")
    assert unchanged.status_code == 304 and unchanged["ETag"] == tag
    assert _get(Api(story.w.lei, "en"), path, tag).status_code == 403  # not an administrator
    endpoint.change(story)
    changed = _get(admin, path, tag)
    assert changed.status_code == 200 and changed["ETag"] != tag
