"""The demo's year of history: written through the services at past moments, it gives every
report something to show and notifies nobody today."""

import datetime as dt

from django.contrib.auth.hashers import make_password

from techalign.audit.services import verify_chain
from techalign.demo import COMPONENTS, DEPARTMENTS, PEOPLE
from techalign.demo.history import load_history
from techalign.health.reports import Period, build_report
from techalign.health.selectors import Scope, evaluate
from techalign.notify.models import Notification
from techalign.org.models import Component, Department, Membership, Team, User
from techalign.requirements.models import Requirement, Status

TODAY = dt.date(2026, 6, 15)


def demo_org():
    """The demo's departments, teams, people and catalog, without its requirements."""
    teams = {}
    for code, name, rows in DEPARTMENTS:
        department = Department.objects.create(code=code, name=name)
        for team_code, team_name, is_committee in rows:
            teams[team_code] = Team.objects.create(
                code=team_code, name=team_name, department=department, is_committee=is_committee
            )
    password = make_password(None)
    users = {
        p.username: User.objects.create(
            username=p.username, password=password, display_name=p.display_name
        )
        for p in PEOPLE
    }
    Membership.objects.bulk_create(
        Membership(user=users[p.username], team=teams[p.team], role=role)
        for p in PEOPLE
        for role in p.roles
    )
    parts = {}
    for key, name, kind, owner, system, _description in COMPONENTS:
        parts[key] = Component.objects.create(
            key=key,
            name=name,
            kind=kind,
            owner_team=teams[owner],
            system=parts[system] if system else None,
        )


def test_a_year_of_history_through_the_services(db, django_capture_on_commit_callbacks):
    """One load, checked from every side: loading it is the slow part."""
    demo_org()
    with django_capture_on_commit_callbacks(execute=True):
        assert load_history(today=TODAY, finished=22) == 28
    assert not Notification.objects.exists()  # past events notify nobody
    checked, broken = verify_chain()
    assert broken is None and checked > 500
    created = Requirement.objects.order_by("created_at").values_list("created_at", flat=True)
    assert created.first().date() < TODAY - dt.timedelta(days=300)
    statuses = set(Requirement.objects.values_list("status", flat=True))
    assert {Status.FINALIZED, Status.IN_REVIEW, Status.ALIGNING, Status.PLANNING} <= statuses

    codes = {f.code for f in evaluate(Requirement.objects.all(), today=TODAY)}
    assert {
        "TA101",
        "TA102",
        "TA105",
        "TA106",
        "TA108",
        "TA109",
        "TA110",
        "TA111",
        "TA112",
        "TA113",
    } <= codes

    year, scope = Period.last_months(12, today=TODAY), Scope()

    def total(slug):
        return build_report(slug, scope, year).rows[-1]

    assert total("coverage")[1] > 15 and total("coverage")[4] > 0  # some out of scope
    assert total("lead-time")[2] > 15
    finalized = total("finalized-before-dev")
    assert 0 < finalized[2] < finalized[1]
    assert total("realignment")[2] > 5
    by_phase = {row[0]: row[2] for row in build_report("change-cost", scope, year).rows}
    assert by_phase["testing"] and by_phase["production"]
    assert total("findings")[1] > 0
