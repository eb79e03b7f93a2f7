from django.contrib import admin

from techalign.audit.admin import ReadOnlyAdmin
from techalign.meetings.models import AttendanceWaiver, Meeting


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin[Meeting]):
    list_display = ("requirement", "number", "title", "starts_at", "presenter", "status")
    list_select_related = ("requirement", "presenter")
    list_filter = ("status",)


@admin.register(AttendanceWaiver)
class AttendanceWaiverAdmin(ReadOnlyAdmin[AttendanceWaiver]):
    list_display = ("requirement", "team", "recorded_by", "recorded_at")
    list_select_related = ("requirement", "team", "recorded_by")
