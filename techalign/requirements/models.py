"""Requirements, their scenarios, and the questions raised on them (hand-off, plan, meeting)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Forms, schemas and other models still import the text limits from here.
from techalign.core.limits import TEXT_LIMIT, TITLE_LIMIT
from techalign.org.models import Team


class Status(models.TextChoices):
    """The requirement's step in the process. Order matters: it is the stepper's order."""

    DRAFT = "draft", _("Draft")
    HANDED_OFF = "handed_off", _("Handed off")
    PLANNING = "planning", _("Planning")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    ALIGNING = "aligning", _("Aligning")
    FINALIZED = "finalized", _("Finalized")
    CANCELLED = "cancelled", _("Cancelled")


# Which status belongs to which of the five steps (1-based), for the stepper and "who acts next".
STEP_OF_STATUS = {
    Status.DRAFT: 1,
    Status.HANDED_OFF: 1,
    Status.PLANNING: 2,
    Status.IN_REVIEW: 2,
    Status.APPROVED: 3,
    Status.ALIGNING: 4,
    Status.FINALIZED: 5,
    Status.CANCELLED: 0,
}


class Priority(models.TextChoices):
    P0 = "P0", _("P0 · must")
    P1 = "P1", _("P1 · should")
    P2 = "P2", _("P2 · could")


class Risk(models.TextChoices):
    """Why a requirement is high-risk; its plan then also needs a committee architect's
    approval."""

    MONEY = "money", _("Money")
    PERSONAL_DATA = "personal_data", _("Personal data")
    SECURITY = "security", _("Security")


class Requirement(models.Model):
    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(_("title"), max_length=TITLE_LIMIT)
    lead_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="led_requirements", verbose_name=_("lead team")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_requirements",
        verbose_name=_("owning PM"),
    )
    lead_dev = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_requirements",
        verbose_name=_("lead DEV"),
    )
    user_stories = models.TextField(_("user stories"), blank=True, max_length=TEXT_LIMIT)
    business_process = models.TextField(_("business process"), blank=True, max_length=TEXT_LIMIT)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    is_private = models.BooleanField(_("private to its teams"), default=False)
    planned_dev_start_on = models.DateField(_("planned development start"), null=True, blank=True)
    planned_launch_on = models.DateField(_("planned launch"), null=True, blank=True)
    # Blank: not high-risk. Set and cleared with a reason (in the audit log) by the lead
    # team's PM or tech lead.
    risk = models.CharField(_("high risk"), max_length=16, choices=Risk.choices, blank=True)
    risk_reason = models.TextField(_("why high risk"), blank=True, max_length=TEXT_LIMIT)
    # Bumped by every write to the requirement row; the optimistic-concurrency token.
    version = models.PositiveIntegerField(default=1)
    next_scenario_number = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    hand_off_completed_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    # Dropped before its baseline by a PM of the lead team (cancel_requirement), and why.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("why cancelled"), blank=True, max_length=TEXT_LIMIT)
    # DEVs of the lead team whom the lead DEV lets acknowledge scenarios in their stead.
    acknowledgement_delegates = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="acknowledgement_delegations",
        verbose_name=_("acknowledgement delegates"),
    )

    class Meta:
        ordering = ["-number"]
        # (status, number): a list filtered by step reads its newest page straight off the
        # index; on `status` alone SQLite sorted every requirement at that step first (0.9 s
        # for the finalized ones at S=10).
        # (is_private, lead_team, owner, lead_dev): the columns of the visibility rule, so a
        # list's count reads this narrow index instead of every wide row (S=10, 200,000
        # requirements: 44 -> 23 ms for a PM's count on SQLite).
        indexes = [
            models.Index(fields=["lead_team", "status"]),
            models.Index(fields=["status", "number"]),
            models.Index(
                fields=["is_private", "lead_team", "owner", "lead_dev"],
                name="requirement_visibility",
            ),
        ]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return self.key_of(self.number)

    @staticmethod
    def key_of(number: int) -> str:
        return f"REQ-{number}"

    @property
    def step(self) -> int:
        return STEP_OF_STATUS[Status(self.status)]

    @property
    def is_high_risk(self) -> bool:
        return bool(self.risk)


class Scenario(models.Model):
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="scenarios")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=TITLE_LIMIT)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_LIMIT)
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P1
    )
    acceptance_criteria = models.TextField(
        _("acceptance criteria"), blank=True, max_length=TEXT_LIMIT
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    out_of_scope_reason = models.TextField(
        _("out-of-scope reason"), blank=True, max_length=TEXT_LIMIT
    )
    out_of_scope_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    out_of_scope_at = models.DateTimeField(null=True, blank=True)
    is_withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["-requirement_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "number"], name="scenario_unique_number")
        ]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"S-{self.number}"

    @property
    def is_out_of_scope(self) -> bool:
        return bool(self.out_of_scope_at)


class Question(models.Model):
    """A question on a requirement: on a scenario at hand-off, on a plan item, or in a meeting."""

    class Stage(models.TextChoices):
        HAND_OFF = "hand_off", _("Hand-off")
        PLAN = "plan", _("Plan")
        MEETING = "meeting", _("Meeting")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PROPOSED = "proposed", _("Answer proposed")
        ACCEPTED = "accepted", _("Answer accepted")

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveIntegerField()
    stage = models.CharField(max_length=10, choices=Stage.choices)
    scenario = models.ForeignKey(
        Scenario, on_delete=models.PROTECT, null=True, blank=True, related_name="questions"
    )
    # Items are revision-scoped rows; the stable item key ("I-3") names the item across revisions.
    item_key = models.CharField(max_length=20, blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="questions",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The asker's side: the team (lead team or related party) the asker raised it for. Its
    # PMs and DEVs may accept an answer on the asker's behalf; nobody else may close it.
    raised_for_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    body = models.TextField(_("question"), max_length=TEXT_LIMIT)
    is_blocking = models.BooleanField(_("blocking"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # The reply proposed as the answer (state proposed) or accepted as it (state accepted).
    answer_reply = models.ForeignKey(
        "QuestionReply", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Once accepted: the accepted answer's text (or the deciding meeting's decision), who
    # accepted it and when. "Resolved" means accepted.
    answer = models.TextField(_("answer or resolution"), blank=True, max_length=TEXT_LIMIT)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requirement_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "number"], name="question_unique_number")
        ]
        indexes = [models.Index(fields=["requirement", "resolved_at"])]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return f"{self.key} {self.body[:40]}"

    @property
    def key(self) -> str:
        return f"Q-{self.number}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class QuestionReply(models.Model):
    """One message in a question's thread; never edited. A proposal is a reply that the other
    side offers as the answer; a rejection or a reopening carries the asker's side's reason."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        PROPOSAL = "proposal", _("Proposed answer")
        REJECTION = "rejection", _("Proposal rejected")
        REOPENING = "reopening", _("Reopened")
        DECISION = "decision", _("Meeting decision")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPLY)
    body = models.TextField(_("reply"), max_length=TEXT_LIMIT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["question_id", "created_at", "id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")

    def __str__(self) -> str:
        return f"{self.question.key}: {self.body[:40]}"
