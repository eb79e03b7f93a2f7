"""Org structure and the service catalog in the Django admin, for superusers to look at.

Departments, teams, roles, people, components and the organisation policy change through the
audited org services (the /manage/ pages and the administration API); the admin only shows
them, so no edit escapes the audit log or the versions scripts rely on. A superuser still
resets a password here.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from techalign.audit.admin import ReadOnlyAdmin
from techalign.org.models import Component, Department, Membership, OrgPolicy, Team, User


class MembershipInline(admin.TabularInline[Membership, Team]):
    model = Membership
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Team | Membership | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Team | Membership | None = None
    ) -> bool:
        return False


@admin.register(User)
class TechalignUserAdmin(UserAdmin[User]):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("techalign", {"fields": ("display_name", "language", "time_zone")}),
    )
    list_display = ("username", "display_name", "email", "is_active", "is_staff")
    search_fields = ("username", "display_name", "email")
    # Who someone is and whether they may sign in change through `save_user` (audited).
    readonly_fields = (
        "username",
        "first_name",
        "last_name",
        "display_name",
        "email",
        "is_active",
        "language",
        "time_zone",
        "last_login",
        "date_joined",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin[Department]):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin[Team]):
    list_display = ("code", "name", "department", "is_committee")
    list_select_related = ("department",)
    list_filter = ("department", "is_committee")
    search_fields = ("code", "name")
    inlines = [MembershipInline]


@admin.register(Component)
class ComponentAdmin(ReadOnlyAdmin[Component]):
    list_display = ("key", "name", "kind", "owner_team", "system")
    list_select_related = ("owner_team", "system")
    list_filter = ("kind", "owner_team")
    search_fields = ("key", "name")


@admin.register(OrgPolicy)
class OrgPolicyAdmin(ReadOnlyAdmin[OrgPolicy]):
    list_display = ("__str__",)
