"""Notifications: the inbox, per-event preferences, chat channels, and (for admins) the
delivery log."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from techalign.api.common import (
    ERRORS,
    PRECONDITION_ERRORS,
    Body,
    actor,
    etag,
    if_match,
    listed,
    listing,
    not_modified,
    set_etag,
)
from techalign.core.errors import Refused
from techalign.notify import selectors, services
from techalign.notify.models import Channel, PreferenceSet
from techalign.org.selectors import get_team

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    event: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None

    # Rendered when read, in the reader's language with times in their zone named.
    @staticmethod
    def resolve_title(notification) -> str:
        return notification.shown_title

    @staticmethod
    def resolve_body(notification) -> str:
        return notification.shown_body


class ReadIn(Body):
    ids: list[int] | None = Field(default=None, max_length=500, description="omitted: all of them")


class ReadOut(Schema):
    marked: int


class PreferenceOut(Schema):
    event: str
    in_app: bool
    email: bool
    chat: bool


class PreferenceIn(Body):
    event: str = Field(max_length=40)
    team: str | None = Field(
        default=None, max_length=50, description="a team's default instead of your own"
    )
    in_app: bool = True
    email: bool = True
    chat: bool = True


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    team: str | None
    display_url: str
    is_active: bool

    @staticmethod
    def resolve_team(obj: Channel) -> str | None:
        return obj.team.code if obj.team else None


class ChannelIn(Body):
    kind: str = Field(max_length=10)
    name: str = Field(default="", max_length=100)
    url: str = Field(min_length=1, max_length=2000)
    secret: str = Field(default="", max_length=500)
    team: str | None = Field(
        default=None, max_length=50, description="the team's group chat; omitted: your own"
    )


class DeliveryOut(Schema):
    id: int
    event: str
    medium: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str
    last_status_code: int | None
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


@router.get("/notifications", response={200: listing(NotificationOut), **ERRORS})
def inbox(request: HttpRequest, unread: bool = False, limit: int = 50):
    """Your newest notifications."""
    return listed(selectors.inbox(actor(request), unread_only=unread)[: max(1, min(limit, 200))])


@router.post("/notifications/read", response={200: ReadOut, **ERRORS})
def mark_read(request: HttpRequest, body: ReadIn):
    return ReadOut(marked=services.mark_read(actor=actor(request), notifications=body.ids))


@router.get("/notifications/preferences", response={200: listing(PreferenceOut), **ERRORS})
def preferences(request: HttpRequest, response: HttpResponse, team: str | None = None):
    """Your choice of media for every event (defaults included), or with `team` that team's
    defaults (for its PMs and tech leads). The ETag changes with every change to any of them."""
    me = actor(request)
    if team:
        found = get_team(team)
        # The version before the choices: a write in between then makes this ETag stale
        # (412), never a newer ETag over older choices.
        version = PreferenceSet.version_of(team=found)
        choices = selectors.team_preferences(me, found)
    else:
        version = PreferenceSet.version_of(user=me)
        choices = selectors.preferences_of(me)
    if unchanged := not_modified(request, response, etag("v", version)):
        return unchanged
    return listed(choices)


@router.put("/notifications/preferences", response={200: PreferenceOut, **PRECONDITION_ERRORS})
def set_preference(request: HttpRequest, body: PreferenceIn, response: HttpResponse):
    """Choose the media of one event; needs If-Match with the ETag of the preferences you read
    (your own, or with `team` that team's)."""
    me = actor(request)
    team = get_team(body.team) if body.team else None
    preference, version = services.set_preference(
        actor=me,
        event=body.event,
        user=None if team else me,
        team=team,
        in_app=body.in_app,
        email=body.email,
        chat=body.chat,
        version=if_match(request, "v"),
    )
    set_etag(response, "v", version)
    return preference


@router.get("/channels", response={200: listing(ChannelOut), **ERRORS})
def channels(request: HttpRequest):
    """Your chat channels and those of teams you may configure."""
    return listed(selectors.channels_for(actor(request)))


@router.post("/channels", response={201: ChannelOut, **ERRORS})
def add_channel(request: HttpRequest, body: ChannelIn):
    """Connect a Feishu/Lark, DingTalk, WeCom or Slack bot, or a signed JSON webhook."""
    me = actor(request)
    team = get_team(body.team) if body.team else None
    return Status(
        201,
        services.add_channel(
            actor=me,
            kind=body.kind,
            name=body.name,
            url=body.url,
            secret=body.secret,
            team=team,
            user=None if team else me,
        ),
    )


@router.delete("/channels/{channel_id}", response={204: None, **ERRORS})
def remove_channel(request: HttpRequest, channel_id: int):
    channel = Channel.objects.select_related("team", "user").filter(pk=channel_id).first()
    if channel is None or not services.can_configure(
        actor(request), user=channel.user, team=channel.team
    ):
        raise Refused("access.not_found", kind="channel", ref=str(channel_id))
    services.remove_channel(actor=actor(request), channel=channel)
    return Status(204, None)


@router.get("/deliveries", response={200: listing(DeliveryOut), **ERRORS})
def deliveries(request: HttpRequest, status: str | None = None, limit: int = 100):
    """Admins: the delivery log, newest first, with each one's attempts and last error."""
    rows = selectors.delivery_log(actor(request), status=status)
    return listed(rows[: max(1, min(limit, 500))])


@router.post("/deliveries/{delivery_id}/retry", response={200: DeliveryOut, **ERRORS})
def retry_delivery(request: HttpRequest, delivery_id: int):
    delivery = selectors.delivery_log(actor(request)).filter(pk=delivery_id).first()
    if delivery is None:
        raise Refused("access.not_found", kind="delivery", ref=str(delivery_id))
    return services.retry_delivery(actor=actor(request), delivery=delivery)
