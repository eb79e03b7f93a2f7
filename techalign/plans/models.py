"""Technical plans: numbered revisions of items, reviews, sign-offs, baselines, change control.

A revision is an immutable snapshot: every edit copies the items into a new revision, so a
review, a sign-off or a baseline always names exactly the content it agreed to.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from techalign.core.limits import TEXT_LIMIT, TITLE_LIMIT
from techalign.org.models import Component, Team
from techalign.requirements.models import Requirement, Scenario


class Plan(models.Model):
    requirement = models.OneToOneField(Requirement, on_delete=models.CASCADE, related_name="plan")
    current_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    next_item_number = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("technical plan")
        verbose_name_plural = _("technical plans")

    def __str__(self) -> str:
        return f"{self.requirement.key} plan"

    @property
    def current_number(self) -> int:
        return self.current_revision.number if self.current_revision is not None else 0


class Revision(models.Model):
    class ChangeKind(models.TextChoices):
        ITEMS = "items", _("Plan items changed")
        SCENARIOS = "scenarios", _("Scenarios changed")
        SCOPE = "scope", _("Scope changed")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    change_kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    summary = models.CharField(max_length=500)
    # The canonical serialization (requirement text, scenarios, items) this revision agreed to.
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    change_request = models.ForeignKey(
        "ChangeRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="revision_unique_number")
        ]
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")

    def __str__(self) -> str:
        return f"r{self.number}"


class ItemKind(models.TextChoices):
    API_CHANGE = "api_change", _("API change")
    NEW_API = "new_api", _("New API")
    DATA = "data", _("Data / schema")
    CONFIG = "config", _("Configuration")
    UI = "ui", _("User interface")
    JOB = "job", _("Job / batch")
    OTHER = "other", _("Other")


class Item(models.Model):
    """One change in one component, as of one revision. `number` is stable across revisions."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveIntegerField()
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="+")
    # The owning team when the item was written; the approval gate compares it with the catalog.
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    title = models.CharField(_("title"), max_length=TITLE_LIMIT)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_LIMIT)
    ask = models.TextField(_("ask to the owning team"), blank=True, max_length=TEXT_LIMIT)
    due_on = models.DateField(_("due"), null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scenarios = models.ManyToManyField(Scenario, related_name="items", blank=True)

    class Meta:
        ordering = ["revision_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "number"], name="item_unique_number")
        ]
        # "Which plans is this team a party to": visibility, sign-offs owed, team health.
        indexes = [models.Index(fields=["owner_team", "revision"], name="item_owner_revision")]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"I-{self.number}"


class CurrentParty(models.Model):
    """A team that owns an item of the requirement's current revision, kept with each new
    revision: who may see a private requirement is then one index range over the team's
    rows, not a walk over every item the team has ever owned in every revision."""

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="current_parties"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "requirement"], name="current_party_unique")
        ]
        verbose_name = _("current party")
        verbose_name_plural = _("current parties")

    def __str__(self) -> str:
        return f"{self.requirement.key} {self.team.code}"


class SuspectLink(models.Model):
    """An item whose covered scenario's text changed after hand-off (存疑): the item was written
    for the old text, so a DEV must confirm it as it stands or edit it before approval.

    Items are revision-scoped rows, so the mark names the item by its stable number; `before`
    and `after` hold the scenario's changed fields as they were and as they became."""

    class How(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed as it stands")
        EDITED = "edited", _("Edited")

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="suspect_links"
    )
    item_number = models.PositiveIntegerField()
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="suspect_links")
    before = models.JSONField()
    after = models.JSONField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField()
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    how = models.CharField(max_length=10, choices=How.choices, blank=True)

    class Meta:
        ordering = ["-requirement_id", "item_number", "scenario_id", "marked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "item_number", "scenario"],
                condition=models.Q(cleared_at__isnull=True),
                name="suspect_link_one_open_mark",
            )
        ]
        indexes = [models.Index(fields=["requirement", "cleared_at"], name="suspect_link_open")]
        verbose_name = _("suspect link")
        verbose_name_plural = _("suspect links")

    def __str__(self) -> str:
        return f"{self.item_key} ~ S-{self.scenario.number}"

    @property
    def item_key(self) -> str:
        return f"I-{self.item_number}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class Verdict(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class Review(models.Model):
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    comment = models.TextField(blank=True, max_length=TEXT_LIMIT)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.revision} {self.verdict} by {self.reviewer}"


class SignOff(models.Model):
    """One party's decision on one revision, given in one capacity (a related party signs
    through a DEV, its PM may confirm; the lead team signs through its PM and its lead DEV)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Signed")
        REJECT = "reject", _("Rejected")

    class Capacity(models.TextChoices):
        PM = "PM", _("as PM")
        DEV = "DEV", _("as DEV")

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="signoffs")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="signoffs")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("signed as"), max_length=10, choices=Capacity.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(blank=True, max_length=TEXT_LIMIT)
    content_hash = models.CharField(max_length=64)
    # The party's section (its items and the scenarios they cover; the whole plan for the lead
    # team) as signed: a later revision with the same section hash keeps this sign-off.
    section_hash = models.CharField(max_length=64)
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="signoffs"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Not stored: set by `selectors.signoff_state` on the sign-offs it read for a revision
    # (None: not read by one).
    stands: bool | None = None
    voided_reason: Any = None

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["revision", "team"])]
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")

    def __str__(self) -> str:
        return f"{self.team} {self.decision} {self.revision}"


class Phase(models.TextChoices):
    """The phase in which a gap was found; the cost-of-change curve is keyed by it."""

    REQUIREMENTS = "requirements", _("Requirements")
    DESIGN = "design", _("Design")
    DEVELOPMENT = "development", _("Development")
    TESTING = "testing", _("Testing")
    RELEASE = "release", _("Release")
    PRODUCTION = "production", _("Production")


class RootCause(models.TextChoices):
    """Why the alignment missed the gap a change request fixes."""

    PARTY_MISSING = "party_missing", _("Party missing from alignment")
    SCENARIO_NOT_COVERED = "scenario_not_covered", _("Scenario not covered")
    SCENARIO_MISUNDERSTOOD = "scenario_misunderstood", _("Scenario misunderstood")
    REQUIREMENT_CHANGED = "requirement_changed", _("Requirement changed")
    TECHNICAL_DISCOVERY = "technical_discovery", _("Technical discovery")
    EXTERNAL = "external", _("External")
    # Change requests opened before the root cause was asked for.
    UNKNOWN = "unknown", _("Not recorded")


class ChangeRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Baselined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="change_requests"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(_("what changes"), max_length=TITLE_LIMIT)
    reason = models.TextField(_("why"), max_length=TEXT_LIMIT)
    phase_found = models.CharField(_("phase found"), max_length=16, choices=Phase.choices)
    # The phase the parties' milestones pointed to when it was opened (blank before it was
    # proposed); a phase found earlier than this one carries `phase_reason`.
    phase_proposed = models.CharField(
        _("phase proposed"), max_length=16, choices=Phase.choices, blank=True
    )
    phase_reason = models.TextField(
        _("why an earlier phase than proposed"), blank=True, max_length=TEXT_LIMIT
    )
    root_cause = models.CharField(
        _("root cause"), max_length=24, choices=RootCause.choices, default=RootCause.UNKNOWN
    )
    # What the root cause concerns: a scenario (S-n), an item (I-n, stable across revisions)
    # or a party.
    cause_scenario_key = models.CharField(_("scenario concerned"), max_length=20, blank=True)
    cause_item_key = models.CharField(_("item concerned"), max_length=20, blank=True)
    cause_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("party concerned"),
    )
    cost_weight = models.PositiveIntegerField(_("cost weight"))
    affected_teams = models.ManyToManyField(
        Team, related_name="+", verbose_name=_("affected parties")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    base_baseline = models.ForeignKey("Baseline", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-requirement_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "number"], name="change_unique_number")
        ]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"CR-{self.number}"


class Baseline(models.Model):
    """The finalized, immutable plan: its revision's canonical content and SHA-256."""

    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="baselines")
    version = models.PositiveIntegerField()
    revision = models.OneToOneField(Revision, on_delete=models.PROTECT, related_name="baseline")
    content_hash = models.CharField(max_length=64)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    finalized_at = models.DateTimeField(auto_now_add=True)
    change_request = models.OneToOneField(
        ChangeRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="result"
    )
    # Every party's standing sign-off when it was finalized, some given on earlier revisions.
    signoffs = models.ManyToManyField(SignOff, related_name="baselines", blank=True)

    class Meta:
        ordering = ["-requirement_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "version"], name="baseline_unique_version"
            )
        ]
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")

    def __str__(self) -> str:
        return f"{self.requirement.key} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("a baseline is immutable")
        super().save(*args, **kwargs)


class Milestone(models.Model):
    class Kind(models.TextChoices):
        DEV_DONE = "dev_done", _("Development done")
        JOINT_DEBUGGING = "joint_debugging", _("Joint debugging")
        TEST = "test", _("Handed to test")
        LAUNCH = "launch", _("Launch")

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="milestones"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="milestones")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requirement_id", "team", "due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "team", "kind"], name="milestone_unique_kind"
            )
        ]
        indexes = [models.Index(fields=["due_on", "done_on"])]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return f"{self.team} {self.kind} {self.due_on}"
