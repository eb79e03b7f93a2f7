"""Calendars for administrators: sources with their fetch status (never their secrets or
text), company days, the holiday policy."""

from typing import cast

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from techalign.calendars import services
from techalign.calendars.models import CalendarSource, CompanyDay, HolidayPolicy, WorkingHours
from techalign.org.models import User


def _actor(request: HttpRequest) -> User:
    """Who changes a company day or the holiday policy: the admin site serves signed-in
    staff only."""
    return cast(User, request.user)


@admin.register(CalendarSource)
class CalendarSourceAdmin(admin.ModelAdmin[CalendarSource]):
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
    list_select_related = ["user"]
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CompanyDay)
class CompanyDayAdmin(admin.ModelAdmin[CompanyDay]):
    """Company days off and extra working days; saved through the service, so audited."""

    list_display = ["on", "name", "is_working_day"]

    def save_model(
        self, request: HttpRequest, obj: CompanyDay, form: ModelForm[CompanyDay], change: bool
    ) -> None:
        saved = services.set_company_day(
            actor=_actor(request), on=obj.on, name=obj.name, is_working_day=obj.is_working_day
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CompanyDay) -> None:
        services.remove_company_day(actor=_actor(request), day=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CompanyDay]) -> None:
        for day in queryset:
            services.remove_company_day(actor=_actor(request), day=day)


@admin.register(HolidayPolicy)
class HolidayPolicyAdmin(admin.ModelAdmin[HolidayPolicy]):
    """Whether public holidays and make-up working days apply (through the service)."""

    list_display = ["use_public_holidays", "country"]

    def save_model(
        self,
        request: HttpRequest,
        obj: HolidayPolicy,
        form: ModelForm[HolidayPolicy],
        change: bool,
    ) -> None:
        saved = services.set_holiday_policy(
            actor=_actor(request), use_public_holidays=obj.use_public_holidays, country=obj.country
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: HolidayPolicy | None = None) -> bool:
        return False


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin[WorkingHours]):
    list_display = ["user", "starts", "ends", "break_starts", "break_ends", "weekdays"]
    list_select_related = ["user"]
    exclude = ["feed_key"]
