"""The organisation's thresholds for the process-health rules.

One row (pk 1). Until an administrator saves it, the field defaults apply, so reading the
thresholds never writes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from techalign.plans.models import Phase


class HealthSettings(models.Model):
    alignment_days_before_dev_start = models.PositiveSmallIntegerField(
        _("working days between alignment and planned development start (at least)"), default=5
    )
    alignment_days_before_dev_start_high_risk = models.PositiveSmallIntegerField(
        _(
            "working days between alignment and planned development start for a high-risk "
            "requirement (at least)"
        ),
        default=10,
    )
    alignment_days_before_launch = models.PositiveSmallIntegerField(
        _("working days between alignment and planned launch (at least)"), default=15
    )
    blocking_question_days = models.PositiveSmallIntegerField(
        _("working days a blocking question may stay open"), default=3
    )
    ask_days_before_due = models.PositiveSmallIntegerField(
        _("working days between an ask to a related party and its due date (at least)"),
        default=5,
    )
    suspect_link_days = models.PositiveSmallIntegerField(
        _("working days a plan item may stay suspect"), default=3
    )
    late_change_phase = models.CharField(
        _("changes found in this phase or later count as late"),
        max_length=16,
        choices=Phase.choices,
        default=Phase.TESTING,
    )
    disabled_rules = models.JSONField(_("rule codes switched off"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: an edit made on an older read is refused (0: never saved).
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("process-health settings")
        verbose_name_plural = _("process-health settings")

    def __str__(self) -> str:
        return str(_("Process-health settings"))

    @classmethod
    def current(cls) -> HealthSettings:
        """The saved settings, or the defaults (unsaved) when nobody has changed them."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class StoredFinding(models.Model):
    """One finding of a rule as the last refresh computed it (see techalign.health.stored).

    The pages count and list these instead of running the rules per view. A requirement's rows
    are replaced together whenever it is refreshed; `details` keeps the message's values with
    their types (dates, phase names in both languages), so the message still renders in the
    reader's language.
    """

    requirement = models.ForeignKey(
        "requirements.Requirement", on_delete=models.CASCADE, related_name="stored_findings"
    )
    code = models.CharField(max_length=8)
    severity = models.CharField(max_length=8)
    variant = models.CharField(max_length=32, default="default")
    subject = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    details = models.JSONField(default=dict)
    # The lead team and, where the rule names one, the party at fault.
    teams = models.ManyToManyField("org.Team", related_name="+")
    # Whether the requirement was private at the refresh: a private requirement's findings are
    # counted per reader, a public one's in the tallies below.
    is_private = models.BooleanField(default=False)
    # The tallies (FindingTally "kind:scope") the refresh counted this finding in, so the next
    # refresh takes it out of exactly those whatever changed since.
    tallied_in = models.JSONField(default=list)

    class Meta:
        indexes = [
            models.Index(fields=["code", "severity"]),
            models.Index(fields=["is_private", "requirement"]),
        ]
        verbose_name = _("stored finding")
        verbose_name_plural = _("stored findings")

    def __str__(self) -> str:
        return f"{self.code} {self.requirement_id}/{self.subject}"


class FindingsRefresh(models.Model):
    """What the stored findings were computed from (one row, pk 1): the audit log up to
    `through_seq`, the day `computed_on` (time-driven rules), and `inputs`, a fingerprint of the
    thresholds and the company calendar. Anything past these makes findings stale."""

    through_seq = models.PositiveBigIntegerField(default=0)
    computed_on = models.DateField(null=True)
    inputs = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("findings refresh")
        verbose_name_plural = _("findings refresh")

    def __str__(self) -> str:
        return f"findings through #{self.through_seq} on {self.computed_on}"


class FindingTally(models.Model):
    """How many stored findings of one rule and severity a page counts for one scope: the
    organisation, a team or a department, and a team's row on the organisation's or its
    department's page. Kept by the refresh in the same transaction as the findings it counts,
    over public requirements only (a reader's private ones are counted as the page is read), so
    the pages read a few rows whatever the size of the organisation."""

    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("organisation")
        ORGANISATION_TEAM = "organisation_team", _("team on the organisation's page")
        DEPARTMENT = "department", _("department")
        DEPARTMENT_TEAM = "department_team", _("team on its department's page")
        TEAM = "team", _("team")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The team's or the department's id (0 for the organisation).
    scope_id = models.PositiveBigIntegerField(default=0)
    code = models.CharField(max_length=8)
    severity = models.CharField(max_length=8)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope_id", "code", "severity"], name="one_tally_per_scope_rule"
            )
        ]
        verbose_name = _("finding tally")
        verbose_name_plural = _("finding tallies")

    def __str__(self) -> str:
        return f"{self.kind}:{self.scope_id} {self.code} {self.severity} = {self.count}"
