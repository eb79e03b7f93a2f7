from django.contrib import admin
from django.http import HttpRequest

from techalign.health.models import HealthSettings


@admin.register(HealthSettings)
class HealthSettingsAdmin(admin.ModelAdmin[HealthSettings]):
    """The thresholds of the health rules; one row, edited in place."""

    fields = [
        "alignment_days_before_dev_start",
        "alignment_days_before_dev_start_high_risk",
        "alignment_days_before_launch",
        "blocking_question_days",
        "ask_days_before_due",
        "suspect_link_days",
        "late_change_phase",
        "disabled_rules",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not HealthSettings.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: HealthSettings | None = None
    ) -> bool:
        return False
