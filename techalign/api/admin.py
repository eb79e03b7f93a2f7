"""The administration API under /admin/: teams and who holds which role in them, people, the
service catalog and the company calendar, for scripts (an HR sync, a catalog import).

Everything an administrator does on the /manage/ and company-calendar pages, through the same
services (which check the administrator role and audit every change). It lives under its own
prefix rather than beside the read-only `/teams` and `/components` that every user reads: one
prefix for an operator to watch or fence off, and answers only an administrator may see
(inactive people, e-mail addresses, versions). Editable resources carry an ETag (their
version); changing them needs If-Match.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, Field

from techalign.api.common import (
    ERRORS,
    PRECONDITION_ERRORS,
    Body,
    actor,
    etag,
    if_match,
    listed,
    listing,
    not_modified,
    set_etag,
)
from techalign.calendars import services as calendars
from techalign.calendars.models import CompanyDay, HolidayPolicy
from techalign.core.errors import Refused
from techalign.org import services
from techalign.org.models import (
    DEFAULT_COST_CURVE,
    Component,
    Department,
    Membership,
    OrgPolicy,
    Role,
    Team,
    User,
)
from techalign.org.selectors import get_component, get_team

router = Router(tags=["administration"])

SLUG = r"^[-a-zA-Z0-9_]+$"
USERNAME = r"^[\w.@+-]+$"


def _admin(request: HttpRequest) -> User:
    """The caller, refused unless an administrator: every read here shows what only they see."""
    me = actor(request)
    services.require_admin(me, gettext("administer the organisation"))
    return me


def _department(code: str) -> Department:
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise Refused("access.not_found", kind=_("Department"), ref=code)
    return department


def _person(username: str) -> User:
    """Anyone by user name, inactive people too (they are reactivated here)."""
    person = User.objects.filter(username=username).first()
    if person is None:
        raise Refused("access.not_found", kind=_("User"), ref=username)
    return person


def _tagged(response: HttpResponse, obj: Any) -> Any:
    set_etag(response, "v", obj.version)
    return obj


def _versioned(request: HttpRequest, response: HttpResponse, obj: Any) -> Any:
    """`obj`, its answer tagged with its version; or 304 when the client holds that version."""
    return not_modified(request, response, etag("v", obj.version)) or obj


def _changed(current: dict[str, Any], body: Body) -> dict[str, Any]:
    """The current values with the ones the body gives (a field sent as null changes nothing)."""
    return {**current, **body.model_dump(exclude_unset=True, exclude_none=True)}


# --- teams and roles ---------------------------------------------------------------------------


class TeamAdminOut(Schema):
    code: str
    name: str
    department: str = Field(alias="department.code")
    is_committee: bool
    version: int


class TeamIn(Body):
    code: str = Field(min_length=1, max_length=50, pattern=SLUG)
    name: str = Field(min_length=1, max_length=100)
    department: str = Field(min_length=1, max_length=50, description="a department code")
    is_committee: bool = False


class TeamPatchIn(Body):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    department: str | None = Field(default=None, min_length=1, max_length=50)
    is_committee: bool | None = None


class TeamMemberOut(Schema):
    """One role held in the team (read from a Membership)."""

    username: str = Field(alias="user.username")
    display_name: str = Field(alias="user.display_name")
    role: str
    is_active: bool = Field(alias="user.is_active")


class GrantIn(Body):
    username: str = Field(min_length=1, max_length=150)
    role: Role


@router.get("/teams", response={200: list[TeamAdminOut], **ERRORS})
@paginate
def list_teams(request: HttpRequest):
    """Every team with its version."""
    _admin(request)
    return Team.objects.select_related("department").order_by("code")


@router.post("/teams", response={201: TeamAdminOut, **ERRORS})
def create_team(request: HttpRequest, body: TeamIn, response: HttpResponse):
    """Create a team in a department; a code already used is refused (422)."""
    team = services.save_team(
        actor=actor(request),
        code=body.code,
        name=body.name,
        department=_department(body.department),
        is_committee=body.is_committee,
        is_new=True,
    )
    return Status(201, _tagged(response, team))


@router.get("/teams/{code}", response={200: TeamAdminOut, **ERRORS})
def get_team_for_admin(request: HttpRequest, code: str, response: HttpResponse):
    """One team; its ETag changes with every change to it."""
    _admin(request)
    return _versioned(request, response, get_team(code))


@router.patch("/teams/{code}", response={200: TeamAdminOut, **PRECONDITION_ERRORS})
def update_team(request: HttpRequest, code: str, body: TeamPatchIn, response: HttpResponse):
    """Rename a team, move it to another department or make it a technical committee (or no
    longer one); needs If-Match with the team's ETag."""
    me = _admin(request)
    team = get_team(code)
    values = _changed(
        {"name": team.name, "department": team.department.code, "is_committee": team.is_committee},
        body,
    )
    team = services.save_team(
        actor=me,
        code=team.code,
        name=values["name"],
        department=_department(values["department"]),
        is_committee=values["is_committee"],
        version=if_match(request, "v"),
    )
    return _tagged(response, team)


@router.get("/teams/{code}/members", response={200: listing(TeamMemberOut), **ERRORS})
def list_members(request: HttpRequest, code: str):
    """Who holds which role in the team, by user name, inactive people too."""
    _admin(request)
    team = get_team(code)
    return listed(team.memberships.select_related("user").order_by("user__username", "role"))


@router.post("/teams/{code}/members", response={201: TeamMemberOut, **ERRORS})
def grant_role(request: HttpRequest, code: str, body: GrantIn):
    """Give a person a role in the team (a role code: PM, DEV, TECH_LEAD, ARCHITECT, ADMIN);
    granting a role held already changes nothing. An inactive person is refused."""
    membership = services.grant_role(
        actor=actor(request), user=_person(body.username), team=get_team(code), role=body.role
    )
    return Status(201, membership)


@router.delete("/teams/{code}/members/{username}/{role}", response={204: None, **ERRORS})
def revoke_role(request: HttpRequest, code: str, username: str, role: Role):
    """Take a role in the team from a person; a role not held changes nothing. The last
    administrator's role is refused (409 `org.last_admin`)."""
    services.revoke_role(
        actor=actor(request), user=_person(username), team=get_team(code), role=role
    )
    return Status(204, None)


# --- people ------------------------------------------------------------------------------------


class PersonRoleOut(Schema):
    team: str = Field(alias="team.code")
    role: str


class PersonOut(Schema):
    username: str
    display_name: str
    email: str
    is_active: bool
    version: int
    roles: list[PersonRoleOut]

    @staticmethod
    def resolve_roles(obj: User) -> list[Membership]:
        return sorted(obj.memberships.all(), key=lambda m: (m.team.code, m.role))


def _valid_email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as invalid:
            raise ValueError("not an e-mail address") from invalid
    return value


Email = Annotated[str, AfterValidator(_valid_email), Field(max_length=254)]


class PersonIn(Body):
    username: str = Field(min_length=1, max_length=150, pattern=USERNAME)
    display_name: str = Field(default="", max_length=100)
    email: Email = ""
    is_active: bool = True


class PersonPatchIn(Body):
    display_name: str | None = Field(default=None, max_length=100)
    email: Email | None = None
    is_active: bool | None = Field(
        default=None, description="false deactivates: the person can no longer sign in"
    )


@router.get("/people", response={200: list[PersonOut], **ERRORS})
@paginate
def list_people(request: HttpRequest, q: str = "", is_active: bool | None = None):
    """People by user name, active or not, with their roles; `q`: part of a user name, name
    or e-mail."""
    _admin(request)
    people = User.objects.order_by("username").prefetch_related("memberships__team")
    if query := q.strip()[:100]:
        people = people.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(email__icontains=query)
        )
    return people if is_active is None else people.filter(is_active=is_active)


@router.post("/people", response={201: PersonOut, **ERRORS})
def create_person(request: HttpRequest, body: PersonIn, response: HttpResponse):
    """Add a person, with no password: they sign in once one is set or through the company's
    sign-in. A user name already used is refused (422)."""
    person = services.save_user(actor=actor(request), is_new=True, **body.model_dump())
    return Status(201, _tagged(response, person))


@router.get("/people/{username}", response={200: PersonOut, **ERRORS})
def get_person(request: HttpRequest, username: str, response: HttpResponse):
    """One person, active or not, with their roles; the ETag changes with every change to
    their name, e-mail or whether they may sign in."""
    _admin(request)
    return _tagged(response, _person(username))


@router.patch("/people/{username}", response={200: PersonOut, **PRECONDITION_ERRORS})
def update_person(request: HttpRequest, username: str, body: PersonPatchIn, response: HttpResponse):
    """Change a person's name or e-mail, deactivate them (`is_active: false`) or reactivate
    them; needs If-Match with the person's ETag. Deactivating yourself is refused."""
    me = _admin(request)
    person = _person(username)
    values = _changed(
        {
            "display_name": person.display_name,
            "email": person.email,
            "is_active": person.is_active,
        },
        body,
    )
    person = services.save_user(
        actor=me, username=person.username, version=if_match(request, "v"), **values
    )
    return _tagged(response, person)


# --- the service catalog -----------------------------------------------------------------------


class ComponentAdminOut(Schema):
    key: str
    name: str
    kind: str
    owner_team: str = Field(alias="owner_team.code")
    description: str
    version: int


class ComponentIn(Body):
    key: str = Field(min_length=1, max_length=100, pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    kind: Component.Kind = Component.Kind.SERVICE
    owner_team: str = Field(min_length=1, max_length=50, description="a team code")
    description: str = Field(default="", max_length=5000)


class ComponentPatchIn(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Component.Kind | None = None
    owner_team: str | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=5000)


@router.get("/components", response={200: list[ComponentAdminOut], **ERRORS})
@paginate
def list_components(request: HttpRequest, team: str | None = None):
    """The service catalog with versions, optionally one owner team's components."""
    _admin(request)
    components = Component.objects.select_related("owner_team").order_by("key")
    return components.filter(owner_team__code=team) if team else components


@router.post("/components", response={201: ComponentAdminOut, **ERRORS})
def create_component(request: HttpRequest, body: ComponentIn, response: HttpResponse):
    """Add a component owned by a team; a key already used is refused (422)."""
    component = services.save_component(
        actor=actor(request),
        is_new=True,
        **{**body.model_dump(), "owner_team": get_team(body.owner_team)},
    )
    return Status(201, _tagged(response, component))


@router.get("/components/{component}", response={200: ComponentAdminOut, **ERRORS})
def get_component_for_admin(request: HttpRequest, component: str, response: HttpResponse):
    """One component; its ETag changes with every change to it."""
    _admin(request)
    return _versioned(request, response, get_component(component))


@router.patch("/components/{component}", response={200: ComponentAdminOut, **PRECONDITION_ERRORS})
def update_component(
    request: HttpRequest, component: str, body: ComponentPatchIn, response: HttpResponse
):
    """Rename or describe a component, change its kind or its owner team (the new owner becomes
    the related party of plans touching it from their next revision on); needs If-Match."""
    me = _admin(request)
    found = get_component(component)
    values = _changed(
        {
            "name": found.name,
            "kind": found.kind,
            "owner_team": found.owner_team.code,
            "description": found.description,
        },
        body,
    )
    saved = services.save_component(
        actor=me,
        key=found.key,
        version=if_match(request, "v"),
        **{**values, "owner_team": get_team(values["owner_team"])},
    )
    return _tagged(response, saved)


# --- departments and the organisation policy ------------------------------------------------


class DepartmentOut(Schema):
    code: str
    name: str
    teams: list[str] = Field(description="the codes of its teams")
    version: int

    @staticmethod
    def resolve_teams(obj: Department) -> list[str]:
        return [team.code for team in obj.teams.all()]


class DepartmentIn(Body):
    code: str = Field(min_length=1, max_length=50, pattern=SLUG)
    name: str = Field(min_length=1, max_length=100)


class DepartmentPatchIn(Body):
    name: str = Field(min_length=1, max_length=100)


@router.get("/departments", response={200: list[DepartmentOut], **ERRORS})
@paginate
def list_departments(request: HttpRequest):
    """Every department with its teams and version."""
    _admin(request)
    return Department.objects.prefetch_related("teams").order_by("code")


@router.post("/departments", response={201: DepartmentOut, **ERRORS})
def create_department(request: HttpRequest, body: DepartmentIn, response: HttpResponse):
    """Create a department; a code already used is refused (422)."""
    department = services.save_department(
        actor=actor(request), code=body.code, name=body.name, is_new=True
    )
    return Status(201, _tagged(response, department))


@router.get("/departments/{department}", response={200: DepartmentOut, **ERRORS})
def get_department(request: HttpRequest, department: str, response: HttpResponse):
    """One department; its ETag changes with every change to it (not to its teams)."""
    _admin(request)
    return _versioned(request, response, _department(department))


@router.patch("/departments/{department}", response={200: DepartmentOut, **PRECONDITION_ERRORS})
def rename_department(
    request: HttpRequest, department: str, body: DepartmentPatchIn, response: HttpResponse
):
    """Rename a department; needs If-Match with its ETag. Teams move between departments
    with PATCH /admin/teams/{code}."""
    me = _admin(request)
    saved = services.save_department(
        actor=me, code=_department(department).code, name=body.name, version=if_match(request, "v")
    )
    return _tagged(response, saved)


@router.delete("/departments/{department}", response={204: None, **PRECONDITION_ERRORS})
def remove_department(request: HttpRequest, department: str):
    """Remove a department without teams (409 org.department_not_empty names them); needs
    If-Match with its ETag."""
    me = _admin(request)
    services.remove_department(
        actor=me, department=_department(department), version=if_match(request, "v")
    )
    return Status(204, None)


class OrgPolicyOut(Schema):
    cost_curve: dict[str, int] = Field(
        description="the cost-of-change weight per phase a gap was found in"
    )
    cost_per_extra_party: Decimal
    version: int

    @staticmethod
    def resolve_cost_curve(obj: OrgPolicy) -> dict[str, int]:
        return {phase: obj.cost_weight(phase) for phase in DEFAULT_COST_CURVE}


class OrgPolicyIn(Body):
    cost_curve: dict[str, Annotated[int, Field(ge=0, le=services.MAX_COST_WEIGHT)]] | None = Field(
        default=None,
        max_length=len(DEFAULT_COST_CURVE),
        description="weights by phase (requirements, design, development, testing, release, "
        "production); phases left out keep their default",
    )
    cost_per_extra_party: Decimal | None = Field(
        default=None, ge=0, le=services.MAX_COST_PER_EXTRA_PARTY, decimal_places=2
    )


def _org_policy() -> OrgPolicy:
    return OrgPolicy.objects.filter(pk=1).first() or OrgPolicy()


@router.get("/org-policy", response={200: OrgPolicyOut, **ERRORS})
def get_org_policy(request: HttpRequest, response: HttpResponse):
    """The organisation policy (cost of change), with its ETag."""
    _admin(request)
    return _versioned(request, response, _org_policy())


@router.put("/org-policy", response={200: OrgPolicyOut, **PRECONDITION_ERRORS})
def update_org_policy(request: HttpRequest, body: OrgPolicyIn, response: HttpResponse):
    """Change the cost-of-change weights or the factor per extra party (a field left out or
    null stays as it is); needs If-Match with the policy's ETag."""
    me = _admin(request)
    policy = services.update_org_policy(
        actor=me, version=if_match(request, "v"), **body.model_dump()
    )
    return _tagged(response, policy)


# --- the company calendar ----------------------------------------------------------------------


class CompanyDayOut(Schema):
    on: dt.date
    name: str
    is_working_day: bool


class CompanyCalendarOut(Schema):
    use_public_holidays: bool
    country: str
    version: int = Field(description="0 until the calendar is first changed")
    days: list[CompanyDayOut]


class HolidayPolicyIn(Body):
    use_public_holidays: bool
    country: str = Field(default="CN", pattern=r"^[A-Za-z]{2}$")


class CompanyDayIn(Body):
    name: str = Field(min_length=1, max_length=100)
    is_working_day: bool = Field(
        default=False, description="an extra working day; false: a company day off"
    )


def _policy() -> HolidayPolicy:
    return HolidayPolicy.objects.filter(pk=1).first() or HolidayPolicy()


def _calendar(response: HttpResponse, policy: HolidayPolicy | None = None) -> dict[str, Any]:
    """The holiday policy and every company day, with the calendar's ETag."""
    policy = policy or _policy()
    set_etag(response, "v", policy.version)
    return {
        "use_public_holidays": policy.use_public_holidays,
        "country": policy.country,
        "version": policy.version,
        "days": list(CompanyDay.objects.order_by("on")),
    }


@router.get("/company-calendar", response={200: CompanyCalendarOut, **ERRORS})
def get_company_calendar(request: HttpRequest, response: HttpResponse):
    """Whether public holidays and make-up working days apply, and the company's own days;
    one ETag for the whole calendar. The working days that result: GET /calendars/days."""
    _admin(request)
    # Every change to a company day moves the policy's version too: it covers the answer.
    policy = _policy()
    if unchanged := not_modified(request, response, etag("v", policy.version)):
        return unchanged
    return _calendar(response, policy)


@router.put("/company-calendar/policy", response={200: CompanyCalendarOut, **PRECONDITION_ERRORS})
def set_holiday_policy(request: HttpRequest, body: HolidayPolicyIn, response: HttpResponse):
    """Observe public holidays and make-up working days, or not; needs If-Match with the
    calendar's ETag."""
    me = _admin(request)
    calendars.set_holiday_policy(actor=me, version=if_match(request, "v"), **body.model_dump())
    return _calendar(response)


@router.put(
    "/company-calendar/days/{on}", response={200: CompanyCalendarOut, **PRECONDITION_ERRORS}
)
def set_company_day(request: HttpRequest, on: dt.date, body: CompanyDayIn, response: HttpResponse):
    """Add or change a company day off (or an extra working day); it overrides every other
    rule. Needs If-Match with the calendar's ETag."""
    me = _admin(request)
    calendars.set_company_day(actor=me, on=on, version=if_match(request, "v"), **body.model_dump())
    return _calendar(response)


@router.delete("/company-calendar/days/{on}", response={204: None, **PRECONDITION_ERRORS})
def remove_company_day(request: HttpRequest, on: dt.date):
    """Remove a company day, so the public calendar applies to it again; needs If-Match with
    the calendar's ETag."""
    me = _admin(request)
    day = CompanyDay.objects.filter(on=on).first()
    if day is None:
        raise Refused("access.not_found", kind=_("Company day"), ref=on.isoformat())
    calendars.remove_company_day(actor=me, day=day, version=if_match(request, "v"))
    return Status(204, None)
