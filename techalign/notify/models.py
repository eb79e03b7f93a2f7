"""Notifications: the in-app inbox, chat channels, preferences, and the delivery log.

A domain event becomes one inbox row per recipient, plus one Delivery per email or chat
message to send. Deliveries are sent by the worker, retried with backoff, and keep their last
error, so a failing server delays a message but never loses it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from techalign.org.models import Team, User


class Event(models.TextChoices):
    HANDED_OFF = "requirement.handed_off", _("Requirement handed off")
    QUESTION_ASKED = "question.asked", _("Question asked")
    QUESTION_ANSWERED = "question.answered", _("Question answered")
    REVIEW_REQUESTED = "review.requested", _("Review requested")
    REVIEW_DECIDED = "review.decided", _("Review decided")
    MEETING_INVITED = "meeting.invited", _("Meeting invitation")
    MEETING_CHANGED = "meeting.changed", _("Meeting changed")
    MEETING_CANCELLED = "meeting.cancelled", _("Meeting cancelled")
    INVITATION_DECLINED = "meeting.declined", _("Required invitee declined")
    SIGNOFF_REQUESTED = "signoff.requested", _("Sign-off requested")
    PLAN_FINALIZED = "plan.finalized", _("Plan finalized")
    CHANGE_OPENED = "change.opened", _("Change request opened")
    MILESTONE_DUE = "milestone.due", _("Milestone due")
    MILESTONE_OVERDUE = "milestone.overdue", _("Milestone overdue")
    MENTIONED = "comment.mentioned", _("Mentioned in a comment")
    ASK_WRITTEN = "plan.ask_written", _("Ask to your team written")
    QUESTION_REPLIED = "question.replied", _("Reply to your question")
    QUESTION_ACCEPTED = "question.accepted", _("Answer accepted")
    QUESTION_REJECTED = "question.rejected", _("Proposed answer rejected")
    ACTION_ASSIGNED = "action.assigned", _("Action item assigned")
    ACTION_DUE = "action.due", _("Action item due")
    ACTION_OVERDUE = "action.overdue", _("Action item overdue")
    WAIVER_RECORDED = "waiver.recorded", _("Party excused from the meeting")
    WAIVER_WITHDRAWN = "waiver.withdrawn", _("Waiver withdrawn")
    REQUIREMENT_CANCELLED = "requirement.cancelled", _("Requirement cancelled")


class Notification(models.Model):
    """One inbox entry for one person."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    requirement = models.ForeignKey(
        "requirements.Requirement",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # The text as first rendered, in the recipient's language then; shown as is for rows kept
    # from before `params` existed.
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    # The event's parameters (plain values, times in ISO): title and body are rendered from
    # them whenever the notification is read, in the reader's language and time zone.
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"

    def shown(self) -> tuple[str, str]:
        """(title, body) in the active language, times in the recipient's zone named."""
        cached = getattr(self, "_shown", None)
        language = translation.get_language()
        if cached is None or cached[0] != language:
            from techalign.calendars.invitations import zone_named
            from techalign.notify.events import render

            texts = (self.title, self.body)
            if self.params:
                try:
                    with timezone.override(zone_named(self.recipient.time_zone)):
                        texts = render(self.event, self.params)
                except (KeyError, ValueError, TypeError):
                    pass  # parameters of an older shape: the text as first rendered
            cached = self._shown = (language, texts)
        return cached[1]

    @property
    def shown_title(self) -> str:
        return self.shown()[0]

    @property
    def shown_body(self) -> str:
        return self.shown()[1]


class Channel(models.Model):
    """A chat webhook of a team (its group chat) or of one person."""

    class Kind(models.TextChoices):
        FEISHU = "feishu", _("Feishu / Lark custom bot")
        DINGTALK = "dingtalk", _("DingTalk robot")
        WECOM = "wecom", _("WeCom group robot")
        SLACK = "slack", _("Slack incoming webhook")
        WEBHOOK = "webhook", _("JSON webhook (HMAC-SHA256 signed)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="chat_channels"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_channels",
    )
    display_url = models.CharField(_("address"), max_length=500)
    # Fernet token of {"url": ..., "secret": ...}: webhook URLs carry access tokens.
    sealed_secret = models.TextField()
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) ^ models.Q(user__isnull=True),
                name="channel_team_xor_user",
            )
        ]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Preference(models.Model):
    """Which media an event goes to, for one person or (as a default) for one team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_preferences",
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_preferences",
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    in_app = models.BooleanField(_("in the inbox"), default=True)
    email = models.BooleanField(_("by email"), default=True)
    chat = models.BooleanField(_("in chat"), default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) ^ models.Q(user__isnull=True),
                name="preference_team_xor_user",
            ),
            models.UniqueConstraint(fields=["user", "event"], name="preference_user_event"),
            models.UniqueConstraint(fields=["team", "event"], name="preference_team_event"),
        ]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user or self.team}: {self.event}"


class PreferenceSet(models.Model):
    """The preferences of one person (or the defaults of one team) taken as a whole: its
    version goes up with every change to any of them, so an edit made on an older read is
    refused. No row: version 0."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_preference_set",
    )
    team = models.OneToOneField(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_preference_set",
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=True) ^ models.Q(user__isnull=True),
                name="preference_set_team_xor_user",
            ),
        ]
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user or self.team}: v{self.version}"

    @classmethod
    def version_of(cls, *, user: User | None = None, team: Team | None = None) -> int:
        """The current version of a person's preferences or of a team's defaults."""
        found = cls.objects.filter(user=user, team=team).values_list("version", flat=True)
        return found.first() or 0


class Delivery(models.Model):
    """One email or chat message to send, with its attempts: the delivery log."""

    class Medium(models.TextChoices):
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Chat")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    medium = models.CharField(_("medium"), max_length=10, choices=Medium.choices)
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.CharField(_("to"), max_length=300)
    subject = models.CharField(_("subject"), max_length=300)
    # Everything needed to send, rendered when the event happened: retries resend the same.
    payload = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Due time of the next attempt; while an attempt runs it holds the lease's end.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.medium} to {self.recipient}: {self.subject}"


class Reminder(models.Model):
    """A reminder already sent (a milestone or an action item due or overdue on a date), so it
    is sent once."""

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")

    def __str__(self) -> str:
        return self.key
