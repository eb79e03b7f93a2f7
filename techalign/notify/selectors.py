"""Reads on notifications, scoped to the person asking."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from techalign.core.errors import Refused
from techalign.notify.models import Channel, Delivery, Event, Notification, Preference
from techalign.org.models import Membership, Role, Team, User
from techalign.org.permissions import is_admin


@dataclass
class Choice:
    """A person's media for one event, their stored choice or the default."""

    event: str
    label: str
    in_app: bool = True
    email: bool = True
    chat: bool = True


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(recipient=user).select_related("recipient")
    return rows.filter(read_at__isnull=True) if unread_only else rows


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def preferences_of(user: User | None = None, *, team: Team | None = None) -> list[Choice]:
    """Media for every event: a person's own choices, or with `team` that team's defaults. An
    event without a stored choice has every medium."""
    rows = (
        Preference.objects.filter(team=team)
        if team is not None
        else Preference.objects.filter(user=user)
    )
    stored = {p.event: p for p in rows}
    choices = []
    for event, label in Event.choices:
        pref = stored.get(event)
        choice = Choice(event, str(label))
        if pref is not None:
            choice.in_app, choice.email, choice.chat = pref.in_app, pref.email, pref.chat
        choices.append(choice)
    return choices


def team_preferences(actor: User, team: Team) -> list[Choice]:
    """A team's default media, for those who may set them (its PMs and tech leads, admins)."""
    from techalign.notify.services import can_configure

    if not can_configure(actor, team=team):
        raise Refused("notify.not_allowed", user=str(actor), target=str(team))
    return preferences_of(team=team)


def channels_for(user: User) -> list[Channel]:
    """The person's own channels, and those of teams where they are PM or tech lead (all of
    them for an admin)."""
    rows = Channel.objects.select_related("team", "user")
    if is_admin(user):
        return list(rows)
    teams = Membership.objects.filter(user=user, role__in=[Role.PM, Role.TECH_LEAD]).values(
        "team_id"
    )
    return list(rows.filter(Q(user=user) | Q(team_id__in=teams)))


def delivery_log(user: User, *, status: str | None = None) -> QuerySet[Delivery]:
    """The delivery log, newest first: administrators only."""
    if not is_admin(user):
        raise Refused("notify.not_allowed", user=str(user), target="deliveries")
    rows = Delivery.objects.order_by("-id")
    return rows.filter(status=status) if status else rows
