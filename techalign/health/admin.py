from django.contrib import admin

from techalign.health.models import HealthSettings


@admin.register(HealthSettings)
class HealthSettingsAdmin(admin.ModelAdmin):
    """The thresholds of the health rules; one row, edited in place."""

    fields = [
        "alignment_days_before_dev_start",
        "alignment_days_before_launch",
        "blocking_question_days",
        "ask_days_before_due",
        "late_change_phase",
        "disabled_rules",
    ]

    def has_add_permission(self, request) -> bool:
        return not HealthSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
