"""Org structure and the service catalog are admin data, kept in the Django admin."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from techalign.org.models import Component, Department, Membership, OrgPolicy, Team, User


class MembershipInline(admin.TabularInline[Membership, Team]):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(User)
class TechalignUserAdmin(UserAdmin[User]):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("techalign", {"fields": ("display_name", "language", "time_zone")}),
    )
    list_display = ("username", "display_name", "email", "is_active", "is_staff")
    search_fields = ("username", "display_name", "email")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("code", "name", "department", "is_committee")
    list_filter = ("department", "is_committee")
    search_fields = ("code", "name")
    inlines = [MembershipInline]


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin[Component]):
    list_display = ("key", "name", "kind", "owner_team", "system")
    list_filter = ("kind", "owner_team")
    search_fields = ("key", "name")


@admin.register(OrgPolicy)
class OrgPolicyAdmin(admin.ModelAdmin[OrgPolicy]):
    list_display = ("__str__",)
