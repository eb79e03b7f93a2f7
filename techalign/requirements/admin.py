"""Requirements change through the pages and the API (services, audit); the admin only reads."""

from django.contrib import admin

from techalign.audit.admin import ReadOnlyAdmin
from techalign.requirements.models import Question, Requirement, Scenario


class ScenarioInline(admin.TabularInline[Scenario, Requirement]):
    model = Scenario
    fields = ("number", "title", "priority", "acknowledged_at", "out_of_scope_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdmin[Requirement]):
    list_display = ("number", "title", "lead_team", "status", "risk", "owner", "lead_dev")
    list_select_related = ("lead_team", "owner", "lead_dev")
    list_filter = ("status", "risk", "lead_team")
    search_fields = ("title",)
    inlines = [ScenarioInline]


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin[Question]):
    list_display = ("requirement", "number", "stage", "is_blocking", "raised_by", "resolved_at")
    list_select_related = ("requirement", "raised_by")
    list_filter = ("stage", "is_blocking")
