"""The audit log: every state change and every refused attempt, hash-chained in commit order."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    # Taken under the partition's lock, so each partition's chain follows its commit order.
    seq = models.PositiveBigIntegerField(unique=True)
    # The chain the event links into (see audit.services): its requirement's partition.
    partition = models.PositiveSmallIntegerField(default=0)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.DONE)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200, blank=True)
    requirement = models.ForeignKey(
        "requirements.Requirement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    summary = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["requirement", "seq"]),
            models.Index(fields=["partition", "seq"]),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_label}"


class ChainLayout(models.Model):
    """How many partitions the audit log is split into, stored once (one row): changing
    TECHALIGN_AUDIT_PARTITIONS later does not move any requirement to another chain."""

    partitions = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("audit chain layout")
        verbose_name_plural = _("audit chain layouts")

    def __str__(self) -> str:
        return f"{self.partitions} partitions"
