"""Calendars for administrators: sources with their fetch status (never their secrets or
text), company days, the holiday policy."""

from django.contrib import admin

from techalign.calendars import services
from techalign.calendars.models import CalendarSource, CompanyDay, HolidayPolicy, WorkingHours


@admin.register(CalendarSource)
class CalendarSourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "kind",
        "display_url",
        "fetch_status",
        "fetched_at",
        "failures",
        "next_fetch_at",
        "is_active",
    ]
    list_filter = ["kind", "fetch_status", "is_active"]
    search_fields = ["name", "user__username", "fetch_error"]
    fields = [
        "user",
        "kind",
        "name",
        "display_url",
        "caldav_username",
        "is_active",
        "fetch_status",
        "fetch_error",
        "fetched_at",
        "failures",
        "next_fetch_at",
        "expanded_at",
    ]
    readonly_fields = [
        "user",
        "kind",
        "display_url",
        "caldav_username",
        "fetch_status",
        "fetch_error",
        "fetched_at",
        "failures",
        "expanded_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(CompanyDay)
class CompanyDayAdmin(admin.ModelAdmin):
    """Company days off and extra working days; saved through the service, so audited."""

    list_display = ["on", "name", "is_working_day"]

    def save_model(self, request, obj, form, change):
        saved = services.set_company_day(
            actor=request.user, on=obj.on, name=obj.name, is_working_day=obj.is_working_day
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.remove_company_day(actor=request.user, day=obj)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            services.remove_company_day(actor=request.user, day=day)


@admin.register(HolidayPolicy)
class HolidayPolicyAdmin(admin.ModelAdmin):
    """Whether public holidays and make-up working days apply (through the service)."""

    list_display = ["use_public_holidays", "country"]

    def save_model(self, request, obj, form, change):
        saved = services.set_holiday_policy(
            actor=request.user, use_public_holidays=obj.use_public_holidays, country=obj.country
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["user", "starts", "ends", "break_starts", "break_ends", "weekdays"]
    exclude = ["feed_key"]
