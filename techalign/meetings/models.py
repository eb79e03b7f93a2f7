"""Alignment meetings: invitees, attendance, decisions and action items (questions live on the
requirement, tagged with the meeting they were raised in)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from techalign.core.limits import TEXT_LIMIT, TITLE_LIMIT
from techalign.org.models import Team
from techalign.plans.models import Revision
from techalign.requirements.models import Requirement


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="meetings")
    number = models.PositiveIntegerField()
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("title"), max_length=TITLE_LIMIT)
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    # RFC 5545 SEQUENCE: bumped on every reschedule so calendar clients replace the event.
    sequence = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    held_at = models.DateTimeField(null=True, blank=True)
    # The approved revision the parties aligned on; set when the meeting is marked held.
    held_revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, null=True, blank=True, related_name="held_meetings"
    )

    class Meta:
        ordering = ["-requirement_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "number"], name="meeting_unique_number"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["starts_at"])]
        verbose_name = _("alignment meeting")
        verbose_name_plural = _("alignment meetings")

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"M-{self.number}"


class Invitee(models.Model):
    class Response(models.TextChoices):
        # The RFC 5545 PARTSTAT values an invitee can give; "needs action" until they answer.
        NEEDS_ACTION = "needs_action", _("Awaiting answer")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentative", _("Tentative")
        DECLINED = "declined", _("Declined")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations"
    )
    # The party the invitee represents; the minimum is counted per party.
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16)
    is_required = models.BooleanField(default=True)
    attended = models.BooleanField(null=True)
    # The invitee's answer to the current invitation; a reschedule asks again.
    response = models.CharField(
        _("answer"), max_length=12, choices=Response.choices, default=Response.NEEDS_ACTION
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response_note = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["meeting_id", "team", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="invitee_unique_user")
        ]
        verbose_name = _("invitee")
        verbose_name_plural = _("invitees")

    def __str__(self) -> str:
        return f"{self.user} ({self.team} {self.role})"


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("decision"), max_length=TEXT_LIMIT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The questions this decision settles: recording it closes them.
    closes = models.ManyToManyField(
        "requirements.Question", blank=True, related_name="closing_decisions"
    )

    class Meta:
        ordering = ["meeting_id", "recorded_at", "id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return self.text[:60]


class ActionItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    text = models.TextField(_("action"), max_length=TEXT_LIMIT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)
    # What it serves, if anything: a plan item (its stable key, since items are per revision),
    # a scenario, or a question. An open one tied to a plan item holds finalizing.
    item_key = models.CharField(_("plan item"), max_length=20, blank=True)
    scenario = models.ForeignKey(
        "requirements.Scenario",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
    )
    question = models.ForeignKey(
        "requirements.Question",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["meeting_id", "due_on", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def serves(self) -> str:
        """What it serves, by key ("I-2", "S-1", "Q-3"), or ""."""
        if self.item_key:
            return self.item_key
        if self.scenario is not None:
            return self.scenario.key
        return self.question.key if self.question is not None else ""


class AttendanceWaiver(models.Model):
    """A party excused from attending the alignment meeting, with the reason.

    Finalizing needs a PM and a DEV of every party at a held meeting, or a waiver for it. A
    waiver is never edited: one recorded by mistake is withdrawn, with the reason, and stays
    in force for the baselines finalized before its withdrawal."""

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="attendance_waivers"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), max_length=TEXT_LIMIT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(
        _("reason for withdrawing"), blank=True, max_length=TEXT_LIMIT
    )

    class Meta:
        ordering = ["-requirement_id", "recorded_at", "id"]
        verbose_name = _("attendance waiver")
        verbose_name_plural = _("attendance waivers")

    def __str__(self) -> str:
        return f"{self.team}: {self.reason[:60]}"

    def in_force_at(self, moment: datetime) -> bool:
        """Recorded before `moment` and not withdrawn by then."""
        return self.recorded_at < moment and (
            self.withdrawn_at is None or self.withdrawn_at >= moment
        )
