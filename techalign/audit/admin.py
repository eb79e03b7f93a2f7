"""The audit log in the admin, and the read-only base every process record's admin uses."""

from typing import TypeVar

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from techalign.audit.models import AuditEvent

M = TypeVar("M", bound=Model)


class ReadOnlyAdmin(admin.ModelAdmin[M]):
    """For records the process writes and nobody edits: the audit log, baselines, sign-offs.

    Changing them by hand would break their hash chain or the agreement they record, and
    deleting them would lose the history, so the admin only shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin[AuditEvent]):
    list_display = (
        "seq",
        "occurred_at",
        "actor",
        "action",
        "outcome",
        "target_label",
        "requirement",
    )
    list_select_related = ("actor", "requirement")
    list_filter = ("outcome", "action")
    search_fields = ("action", "target_label")
