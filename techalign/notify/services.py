"""Notifying people: fan-out of domain events, delivery with retries, preferences, channels.

Flow: a domain service calls `emit(event, obj=..., actor=...)` inside its transaction. After
commit, `fan_out` writes the inbox rows and one Delivery per email or chat message (rendered
then, so a retry resends the same text), and the worker sends each Delivery. A fan-out that
fails, or that a dying process never ran, is done by the worker from a copy queued in the
transaction; a delivery that fails is retried with backoff and its error kept; neither ever
reaches the user's request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from techalign.audit.services import record, transition
from techalign.calendars.http import require_outside_url
from techalign.calendars.invitations import agenda, invitation, zone_named
from techalign.calendars.sealing import redact_url, seal
from techalign.core.errors import Refused
from techalign.core.prepared import prepared
from techalign.core.text import check_fields, one_line
from techalign.core.versions import compare_and_set
from techalign.meetings.links import answer_links_text
from techalign.meetings.models import Meeting
from techalign.notify import events
from techalign.notify.channels import SendFailure, send_chat, send_email
from techalign.notify.models import (
    Channel,
    Delivery,
    Event,
    Notification,
    Preference,
    PreferenceSet,
    Reminder,
)
from techalign.org.models import Membership, Team, User
from techalign.org.permissions import has_role, is_admin

log = logging.getLogger(__name__)

DEFAULT_BACKOFF = [30, 120, 600, 3600, 6 * 3600]


# The fan-out runs right after the commit; a process that dies in between would lose the
# notification. So `emit` also queues the fan-out in the transaction itself, due this long
# after, as the worker's copy: whoever takes that task first fans out, the request (which
# deletes it) or the worker (which claims it), never both.
FAN_OUT_FALLBACK_DELAY = dt.timedelta(seconds=60)


def emit(event: str, **objects: Any) -> None:
    """Notify about `event` once the current transaction commits (never if it rolls back).

    `objects` name the event's subject (meeting=..., question=...) and optionally `actor`, who
    is not told of their own action."""
    from techalign.notify.tasks import fan_out_task

    if event not in Event.values:
        raise ValueError(f"unknown notification event {event!r}")
    refs = {name: obj.pk for name, obj in objects.items() if obj is not None}
    fallback = fan_out_task.using(run_after=timezone.now() + FAN_OUT_FALLBACK_DELAY).enqueue(
        event, refs
    )
    transaction.on_commit(lambda: dispatch(event, refs, fallback.id), robust=True)


def dispatch(event: str, refs: dict[str, int], fallback_id: str) -> None:
    """Fan out now, taking the worker's queued copy away; if that fails, the copy runs."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    try:
        with transaction.atomic():
            taken, _ = DBTaskResult.objects.filter(
                pk=fallback_id, status=TaskResultStatus.READY
            ).delete()
            if taken:  # else the worker claimed it first and fans out itself
                queue_deliveries(event, refs)
    except Exception:
        log.exception("fan-out of %s %s failed; the worker will do it", event, refs)


def queue_deliveries(event: str, refs: dict[str, int]) -> int:
    """Fan out and queue each delivery's task; returns how many deliveries were made.

    The deliveries and their tasks commit together: a process killed in between would leave
    deliveries without a task until the sweep found them minutes later."""
    from techalign.notify.tasks import deliver_task

    with transaction.atomic():
        deliveries = fan_out(event, refs)
        for delivery in deliveries:
            deliver_task.enqueue(delivery.pk)
    return len(deliveries)


def _preferences(
    users: list[User], teams: list[Team], event: str
) -> tuple[dict[int | None, Preference], dict[int | None, Preference], dict[int, set[int]]]:
    """(user prefs by user id, team prefs by team id, the users' team ids) in three queries."""
    user_ids = sorted(u.pk for u in users)
    by_user = {p.user_id: p for p in _user_preferences(user_ids, event)}
    member_teams: dict[int, set[int]] = {}
    for user_id, team_id in _teams_of_users(user_ids):
        member_teams.setdefault(user_id, set()).add(team_id)
    all_teams = {t.pk for t in teams} | {t for ids in member_teams.values() for t in ids}
    by_team = {p.team_id: p for p in _team_preferences(sorted(all_teams), event)}
    return by_user, by_team, member_teams


# Each notification's fan-out reads these: SQL compiled once (core.prepared).
@prepared
def _user_preferences(user_ids: list[int], event: str) -> QuerySet[Preference]:
    return Preference.objects.filter(user_id__in=user_ids, event=event)


@prepared
def _teams_of_users(user_ids: list[int]) -> QuerySet[Membership, tuple[int, int]]:
    return Membership.objects.filter(user_id__in=user_ids).values_list("user_id", "team_id")


@prepared
def _team_preferences(team_ids: list[int], event: str) -> QuerySet[Preference]:
    return Preference.objects.filter(team_id__in=team_ids, event=event)


@prepared
def _active_channels(user_ids: list[int], team_ids: list[int]) -> QuerySet[Channel]:
    return Channel.objects.filter(
        Q(user_id__in=user_ids) | Q(team_id__in=team_ids), is_active=True
    ).order_by("pk")


def _wants(user_pref: Preference | None, team_prefs: list[Preference], medium: str) -> bool:
    """A person's own choice wins; else any of their teams asking for it; else on."""
    if user_pref is not None:
        return bool(getattr(user_pref, medium))
    if team_prefs:
        return any(getattr(p, medium) for p in team_prefs)
    return True


def fan_out(event: str, refs: dict[str, int]) -> list[Delivery]:
    """Write the inbox rows and the deliveries for one event; return the deliveries."""
    occasion = events.occasion(event, refs)
    users = occasion.recipients
    by_user, by_team, member_teams = _preferences(users, occasion.teams, event)
    rendered: dict[tuple[str, str], tuple[str, str, str | None, str | None, str | None]] = {}

    def texts_in(language: str, zone: str) -> tuple[str, str, str | None, str | None, str | None]:
        """(title, body, agenda, ICS method, ICS) in a language, times in a zone named."""
        if (language, zone) not in rendered:
            with translation.override(language), timezone.override(zone_named(zone)):
                title, body = occasion.texts()
                method = ics = meeting_agenda = None
                if occasion.meeting is not None:
                    method, ics = invitation(
                        occasion.meeting, cancelled=occasion.cancel_for_recipients
                    )
                    meeting_agenda = agenda(occasion.meeting)
            # A title stored before line breaks were refused must not split a mail header.
            rendered[language, zone] = (one_line(title), body, meeting_agenda, method, ics)
        return rendered[language, zone]

    # An invitation or its update carries each invitee's own answer links, in the mail text
    # and in the calendar event.
    invitees = (
        list(occasion.meeting.invitees.select_related("user"))
        if occasion.meeting is not None and _answering(occasion)
        else []
    )
    invited = {i.user_id for i in invitees}
    # The recipients' own chat channels and the teams', in one query rather than one per person.
    channels_of: dict[tuple[str, int | None], list[Channel]] = {}
    for channel in _active_channels(
        sorted(u.pk for u in users), sorted(t.pk for t in occasion.teams)
    ):
        owner = ("user", channel.user_id) if channel.user_id else ("team", channel.team_id)
        channels_of.setdefault(owner, []).append(channel)
    notifications: list[Notification] = []
    deliveries: list[Delivery] = []
    for user in users:
        language = user.language or settings.LANGUAGE_CODE
        title, body, meeting_agenda, method, ics = texts_in(language, user.time_zone)
        mail_body = body
        if occasion.meeting is not None and user.pk in invited:
            with translation.override(language), timezone.override(zone_named(user.time_zone)):
                mail_body = f"{body}\n\n{answer_links_text(occasion.meeting, user.pk)}"
                method, ics = invitation(
                    occasion.meeting,
                    answering=user.pk,
                    agenda_text=meeting_agenda,
                    invitees=invitees,
                )
        team_prefs = [by_team[t] for t in member_teams.get(user.pk, ()) if t in by_team]
        notification = None
        if _wants(by_user.get(user.pk), team_prefs, "in_app"):
            notification = Notification(
                recipient=user,
                event=event,
                requirement=occasion.requirement,
                title=title[:300],
                body=body,
                params=occasion.params,
                url=occasion.url,
            )
            notifications.append(notification)
        if user.email and _wants(by_user.get(user.pk), team_prefs, "email"):
            payload = {"body": f"{mail_body}\n\n{meeting_agenda or occasion.url}"}
            if method and ics:  # an invitation comes as both or neither
                payload.update(ics=ics, method=method)
            deliveries.append(
                Delivery(
                    event=event,
                    medium=Delivery.Medium.EMAIL,
                    notification=notification,
                    recipient=user.email,
                    subject=f"[techalign] {title}"[:300],
                    payload=payload,
                    next_attempt_at=timezone.now(),
                )
            )
        if _wants(by_user.get(user.pk), [], "chat"):
            for channel in channels_of.get(("user", user.pk), []):
                deliveries.append(_chat_delivery(occasion, channel, title, body))
    # A team's chat reads in the site's language, times in the site's zone named.
    team_language = settings.LANGUAGE_CODE
    for team in occasion.teams:
        pref = by_team.get(team.pk)
        if pref is not None and not pref.chat:
            continue
        title, body, *_ics = texts_in(team_language, settings.TIME_ZONE)
        for channel in channels_of.get(("team", team.pk), []):
            deliveries.append(_chat_delivery(occasion, channel, title, body))
    # The inbox rows first: an email delivery points at its recipient's row, whose id the
    # insert sets (both databases return the ids of a bulk insert).
    Notification.objects.bulk_create(notifications)
    return Delivery.objects.bulk_create(deliveries)


def _answering(occasion: events.Occasion) -> bool:
    """Whether the invitees' mails carry their answer links: an invitation or an update of a
    meeting still scheduled."""
    meeting = occasion.meeting
    return (
        meeting is not None
        and not occasion.cancel_for_recipients
        and meeting.status == Meeting.Status.SCHEDULED
        and occasion.event in (Event.MEETING_INVITED, Event.MEETING_CHANGED)
    )


def _chat_delivery(occasion: events.Occasion, channel: Channel, title: str, body: str) -> Delivery:
    return Delivery(
        event=occasion.event,
        medium=Delivery.Medium.CHAT,
        channel=channel,
        recipient=f"{channel.name} ({channel.get_kind_display()})"[:300],
        subject=title[:300],
        payload={
            "title": title,
            "body": body,
            "url": occasion.url,
            "requirement": occasion.requirement.key if occasion.requirement else None,
            "data": occasion.data,
        },
        next_attempt_at=timezone.now(),
    )


def _backoff() -> list[int]:
    return list(getattr(settings, "TECHALIGN_NOTIFY_BACKOFF", DEFAULT_BACKOFF))


def deliver(delivery_id: int) -> str:
    """Attempt one delivery. Claims it first (so two workers never send it twice), records the
    outcome, and schedules the next attempt with backoff when the failure may heal."""
    from techalign.notify.tasks import deliver_task

    now = timezone.now()
    timeout = getattr(settings, "TECHALIGN_WEBHOOK_TIMEOUT", 5)
    lease = now + dt.timedelta(seconds=max(timeout, settings.EMAIL_TIMEOUT or 10) * 3 + 60)
    claimed = Delivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id,
        status=Delivery.Status.PENDING,
    ).update(next_attempt_at=lease, attempts=F("attempts") + 1)
    if not claimed:
        return "not due"
    delivery = Delivery.objects.select_related("channel").get(pk=delivery_id)
    try:
        if delivery.medium == Delivery.Medium.EMAIL:
            status = send_email(delivery)
        elif delivery.channel is None:
            raise SendFailure("the channel was removed", retry=False)
        else:
            status = send_chat(delivery.channel, delivery)
    except (DatabaseError, InterfaceError):
        raise  # the worker backs off; the lease brings this delivery back afterwards
    except Exception as error:
        # Whatever a channel raises is a failed attempt with its error kept: a mail library's
        # BadHeaderError or a bug must not leave the delivery pending with no error, forever.
        failure = error if isinstance(error, SendFailure) else _unexpected(error)
        backoff = _backoff()
        retry = failure.retry and delivery.attempts <= len(backoff)
        log.warning(
            "delivery %s (%s to %s), attempt %s: %s; %s",
            delivery.pk,
            delivery.medium,
            delivery.recipient,
            delivery.attempts,
            failure.problem,
            "will retry" if retry else "failed",
        )
        due = (
            timezone.now() + dt.timedelta(seconds=backoff[delivery.attempts - 1]) if retry else None
        )
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.PENDING if retry else Delivery.Status.FAILED,
            last_error=failure.problem[:2000],
            last_status_code=failure.status,
            next_attempt_at=due,
        )
        if retry:
            deliver_task.using(run_after=due).enqueue(delivery.pk)
        return "retrying" if retry else "failed"
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        last_status_code=status,
        next_attempt_at=None,
        last_error="",
    )
    return "sent"


def _unexpected(error: Exception) -> SendFailure:
    """An error no channel anticipated: retried with backoff like a server error, since its
    cause is unknown, and recorded by its type and message."""
    return SendFailure(f"{type(error).__name__}: {error}", retry=True)


def overdue_deliveries(now: dt.datetime | None = None) -> QuerySet[Delivery]:
    """Pending deliveries whose attempt is due: new ones whose task was lost, retries, and
    attempts whose worker died (their lease ran out)."""
    return Delivery.objects.filter(
        status=Delivery.Status.PENDING, next_attempt_at__lte=now or timezone.now()
    )


@transition("notify.delivery_retried")
def retry_delivery(*, actor: User, delivery: Delivery) -> Delivery:
    """Admin: send a failed delivery again, with a fresh set of attempts."""
    from techalign.notify.tasks import deliver_task

    if not is_admin(actor):
        raise Refused("notify.not_allowed", user=str(actor), target=delivery.recipient)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    delivery.refresh_from_db()
    transaction.on_commit(lambda: deliver_task.enqueue(delivery.pk), robust=True)
    record(
        actor=actor,
        action="notify.delivery_retried",
        target=delivery,
        summary={"delivery": delivery.pk, "to": delivery.recipient},
    )
    return delivery


def remind_milestones(today: dt.date | None = None) -> int:
    """Tell each party of milestones due by the next working day (by the company calendar, so
    on the eve of a weekend or a holiday the days off count as nothing) and of those overdue,
    once per due date. Returns how many reminders were emitted."""
    from techalign.calendars.workdays import add_working_days
    from techalign.plans.models import Milestone

    today = today or timezone.localdate()
    sent = 0
    horizon = add_working_days(today, 1)
    pending = Milestone.objects.filter(done_on__isnull=True, due_on__lte=horizon)
    for milestone in pending:
        event = Event.MILESTONE_OVERDUE if milestone.due_on < today else Event.MILESTONE_DUE
        # The reminder's row and its deliveries commit together (as for action items below).
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Reminder.objects.create(key=f"{event}:{milestone.pk}:{milestone.due_on}")
            except IntegrityError:
                continue  # already reminded of this due date
            queue_deliveries(event, {"milestone": milestone.pk})
        sent += 1
    return sent


def remind_action_items(today: dt.date | None = None) -> int:
    """Remind each owner of an open action item `TECHALIGN_ACTION_REMINDER_DAYS` working days
    before its due date (once per due date), and of an overdue one once a day at most.
    Returns how many reminders were sent.

    The reminder's row, its inbox entries and its deliveries are written in one transaction:
    a database error in the middle leaves that reminder unsent and unrecorded, and the next
    run sends it; what was sent before stays recorded and is not sent again."""
    from techalign.calendars.workdays import add_working_days
    from techalign.meetings.models import ActionItem

    today = today or timezone.localdate()
    ahead = int(getattr(settings, "TECHALIGN_ACTION_REMINDER_DAYS", 1))
    horizon = add_working_days(today, ahead) if ahead > 0 else today
    pending = ActionItem.objects.filter(done_at__isnull=True, due_on__lte=horizon).order_by("pk")
    sent = 0
    for pk, due_on in pending.values_list("pk", "due_on"):
        if due_on < today:
            event, key = Event.ACTION_OVERDUE, f"{Event.ACTION_OVERDUE}:{pk}:{today}"
        else:
            event, key = Event.ACTION_DUE, f"{Event.ACTION_DUE}:{pk}:{due_on}"
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Reminder.objects.create(key=key)
            except IntegrityError:
                continue  # already reminded of this due date, or today of the overdue one
            queue_deliveries(event, {"action_item": pk})
        sent += 1
    return sent


# Preferences and channels


def can_configure(actor: Any, *, user: User | None = None, team: Team | None = None) -> bool:
    """Own settings; a team's PMs, tech leads and admins configure the team's."""
    if is_admin(actor):
        return True
    if user is not None:
        return getattr(actor, "pk", None) == user.pk
    return team is not None and has_role(actor, team, "PM", "TECH_LEAD")


def _require_configure(actor: Any, *, user: User | None = None, team: Team | None = None) -> None:
    if not can_configure(actor, user=user, team=team):
        raise Refused("notify.not_allowed", user=str(actor), target=str(user or team))


Media = Mapping[str, bool]
MEDIA = ("in_app", "email", "chat")


def _preferences_compare_and_set(*, user: User | None, team: Team | None, seen: int | None) -> int:
    """Bump the version of a person's preferences (or a team's defaults) only if it is still
    `seen` (None: whatever it is), and return the new one. Without a row it reads as 0; the row
    is made first, so two first writers still meet at the compare-and-set."""
    owner, _created = PreferenceSet.objects.get_or_create(user=user, team=team)
    compare_and_set(owner, seen, kind=_("Notification preferences"), ref=str(user or team))
    return PreferenceSet.objects.values_list("version", flat=True).get(pk=owner.pk)


def _choose(
    *,
    actor: User,
    choices: Mapping[str, Media],
    user: User | None,
    team: Team | None,
    version: int | None,
) -> int:
    _require_configure(actor, user=user, team=team)
    if unknown := sorted(set(choices) - set(Event.values)):
        raise Refused("notify.unknown_event", event=", ".join(unknown))
    if (user is None) == (team is None):
        raise Refused("input.invalid", field="user/team", problem=_("name exactly one"))
    new_version = _preferences_compare_and_set(user=user, team=team, seen=version)
    for event, media in choices.items():
        chosen = {m: bool(media.get(m, True)) for m in MEDIA}
        preference, _created = Preference.objects.update_or_create(
            user=user, team=team, event=event, defaults=chosen
        )
        record(
            actor=actor,
            action="notify.preference_set",
            target=preference,
            summary={
                "event": event,
                "user": user.username if user else None,
                "team": team.code if team else None,
                **chosen,
            },
        )
    return new_version


@transition("notify.preference_set")
def set_preferences(
    *,
    actor: User,
    choices: Mapping[str, Media],
    user: User | None = None,
    team: Team | None = None,
    version: int | None = None,
) -> int:
    """Choose the media of several events at once ({event: {"in_app": …, "email": …,
    "chat": …}}, a medium left out is on) for a person, or as a team's defaults. Returns the
    new version of the preferences.

    `version` is the one the caller read: the choices of all events move together, so an edit
    made on an older read is refused rather than overwriting a newer choice."""
    return _choose(actor=actor, choices=choices, user=user, team=team, version=version)


@transition("notify.preference_set")
def set_preference(
    *,
    actor: User,
    event: str,
    user: User | None = None,
    team: Team | None = None,
    in_app: bool = True,
    email: bool = True,
    chat: bool = True,
    version: int | None = None,
) -> tuple[Preference, int]:
    """Choose the media of one event for a person, or as a team's default. Returns the choice
    and the new version of the preferences (see `set_preferences`)."""
    new_version = _choose(
        actor=actor,
        choices={event: {"in_app": in_app, "email": email, "chat": chat}},
        user=user,
        team=team,
        version=version,
    )
    return Preference.objects.get(user=user, team=team, event=event), new_version


@transition("notify.channel_added")
def add_channel(
    *,
    actor: User,
    kind: str,
    name: str,
    url: str,
    secret: str = "",
    team: Team | None = None,
    user: User | None = None,
) -> Channel:
    """Connect a chat webhook to a team (its group chat) or to one person."""
    _require_configure(actor, user=user, team=team)
    if kind not in Channel.Kind.values:
        raise Refused("notify.bad_channel", problem=", ".join(Channel.Kind.values))
    if (user is None) == (team is None):
        raise Refused("input.invalid", field="user/team", problem=_("name exactly one"))
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        raise Refused("notify.bad_channel", problem=_("the webhook address must be http(s)"))
    require_outside_url(url)
    check_fields(name=name, url=url)
    if kind == Channel.Kind.WEBHOOK and not secret:
        raise Refused("notify.bad_channel", problem=_("a JSON webhook needs a signing secret"))
    channel = Channel.objects.create(
        kind=kind,
        name=(name or "").strip()[:100] or kind,
        team=team,
        user=user,
        display_url=redact_url(url),
        sealed_secret=seal({"url": url, "secret": secret}),
        created_by=actor,
    )
    record(
        actor=actor,
        action="notify.channel_added",
        target=channel,
        summary={
            "kind": kind,
            "name": channel.name,
            "url": channel.display_url,
            "team": team.code if team else None,
            "user": user.username if user else None,
        },
    )
    return channel


@transition("notify.channel_removed")
def remove_channel(*, actor: User, channel: Channel) -> None:
    """Disconnect a chat webhook; its delivery log stays."""
    _require_configure(actor, user=channel.user, team=channel.team)
    record(
        actor=actor, action="notify.channel_removed", target=channel, summary={"name": channel.name}
    )
    channel.delete()


def mark_read(*, actor: User, notifications: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them when none are named)."""
    rows = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notifications is not None:
        rows = rows.filter(pk__in=list(notifications))
    return rows.update(read_at=timezone.now())
