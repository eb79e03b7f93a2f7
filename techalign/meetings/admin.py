from django.contrib import admin

from techalign.audit.admin import ReadOnlyAdmin
from techalign.meetings.models import Meeting


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("requirement", "number", "title", "starts_at", "presenter", "status")
    list_filter = ("status",)
