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
