"""Organisation reads: the caller, departments, teams with members, the component catalog."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from techalign.api.common import ERRORS, actor
from techalign.api.meetings import ActionItemOut
from techalign.api.requirements import QuestionOut
from techalign.meetings.models import ActionItem
from techalign.meetings.selectors import action_items_assigned
from techalign.org import selectors
from techalign.org.models import Component, Department, Membership, Team
from techalign.requirements.models import Question
from techalign.requirements.selectors import answers_to_accept

router = Router(tags=["organisation"])


class MembershipOut(Schema):
    team: str
    role: str

    @staticmethod
    def resolve_team(obj: Membership) -> str:
        return obj.team.code


class MeOut(Schema):
    username: str
    display_name: str
    language: str
    time_zone: str
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_memberships(obj) -> list[Membership]:
        return list(obj.memberships.select_related("team"))


class DepartmentOut(Schema):
    code: str
    name: str


class MemberOut(Schema):
    username: str
    display_name: str
    role: str


class TeamOut(Schema):
    code: str
    name: str
    department: str
    is_committee: bool

    @staticmethod
    def resolve_department(obj: Team) -> str:
        return obj.department.code


class TeamDetailOut(TeamOut):
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj: Team) -> list[dict]:
        return [
            {"username": m.user.username, "display_name": str(m.user), "role": m.role}
            for m in obj.memberships.select_related("user").order_by("role", "user__username")
        ]


class ComponentOut(Schema):
    key: str
    name: str
    kind: str
    owner_team: str
    description: str

    @staticmethod
    def resolve_owner_team(obj: Component) -> str:
        return obj.owner_team.code


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest):
    """The caller, with their teams and roles."""
    return actor(request)


class MyActionItemOut(ActionItemOut):
    requirement: str
    meeting: str

    @staticmethod
    def resolve_requirement(obj: ActionItem) -> str:
        return obj.meeting.requirement.key

    @staticmethod
    def resolve_meeting(obj: ActionItem) -> str:
        return obj.meeting.key


class AnswerToAcceptOut(QuestionOut):
    requirement: str

    @staticmethod
    def resolve_requirement(obj: Question) -> str:
        return obj.requirement.key


@router.get("/me/action-items", response={200: list[MyActionItemOut], **ERRORS})
@paginate
def my_action_items(request: HttpRequest):
    """My open meeting action items, the earliest due first: what my inbox lists."""
    return action_items_assigned(actor(request))


@router.get("/me/answers-to-accept", response={200: list[AnswerToAcceptOut], **ERRORS})
@paginate
def my_answers_to_accept(request: HttpRequest):
    """Questions my side asked whose proposed answer awaits our acceptance."""
    return answers_to_accept(actor(request)).select_related("meeting", "raised_for_team")


@router.get("/departments", response={200: list[DepartmentOut], **ERRORS})
@paginate
def list_departments(request: HttpRequest):
    return Department.objects.all()


@router.get("/teams", response={200: list[TeamOut], **ERRORS})
@paginate
def list_teams(request: HttpRequest):
    return Team.objects.select_related("department")


@router.get("/teams/{code}", response={200: TeamDetailOut, **ERRORS})
def get_team(request: HttpRequest, code: str):
    return selectors.get_team(code)


@router.get("/components", response={200: list[ComponentOut], **ERRORS})
@paginate
def list_components(request: HttpRequest, team: str | None = None):
    """The service catalog, optionally one team's components."""
    components = Component.objects.select_related("owner_team")
    return components.filter(owner_team__code=team) if team else components
