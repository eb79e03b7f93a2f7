"""CSV import of departments, teams, users and roles: rows, dry run, idempotence, bad rows."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from techalign.org.catalog import ImportProblems, org_csv_changes
from techalign.org.models import Department, Membership, Role, Team, User
from techalign.org.permissions import has_role

PEOPLE = """\
department,department_name,team,team_name,committee,username,display_name,email,roles
trade,交易部,order,订单组,,ming,王明,ming@example.com,PM
trade,,order,,,lei,雷,lei@example.com,DEV;TECH_LEAD
fin,金融部,payments,支付组,no,hua,花,,pm | dev
trade,,committee,技术委员会,yes,arch,,,ARCHITECT
fin,,finance,财务组,,,,,
"""


def run(path, *args):
    out = io.StringIO()
    call_command("import_org", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def people(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    return path


def test_a_dry_run_lists_every_change_with_its_line(db, people):
    out = run(people, "--dry-run")
    committee = "create team committee (name=技术委员会, department_code=trade, is_committee=True)"
    assert f"{committee}    [{people}:5]" in out
    assert "create membership lei@order (role=TECH_LEAD)" in out
    assert out.endswith("dry run, nothing written: 16 to create, 0 to update, 0 unchanged\n")
    assert not User.objects.exists()


def test_rows_become_departments_teams_people_and_roles(db, people):
    assert run(people).endswith("16 created, 0 updated, 0 unchanged\n")
    assert Department.objects.get(code="trade").name == "交易部"
    assert Team.objects.get(code="finance").department.code == "fin"
    assert Team.objects.get(code="committee").is_committee
    lei = User.objects.get(username="lei")
    assert lei.display_name == "雷" and not lei.has_usable_password()
    assert has_role(lei, Team.objects.get(code="order"), Role.TECH_LEAD)
    hua = User.objects.get(username="hua")
    assert set(Membership.objects.filter(user=hua).values_list("role", flat=True)) == {"PM", "DEV"}


def test_importing_twice_changes_nothing_and_edits_update(db, people):
    run(people)
    assert run(people).endswith("0 created, 0 updated, 16 unchanged\n")
    people.write_text(PEOPLE.replace("王明", "王小明").replace(",PM\n", ",PM;ADMIN\n"))
    out = run(people)
    assert "update user ming: display_name: 王明 -> 王小明" in out
    assert "create membership ming@order (role=ADMIN)" in out
    assert out.endswith("1 created, 1 updated, 15 unchanged\n")


def test_columns_left_out_keep_what_is_there(db, people):
    run(people)
    other = people.parent / "more.csv"
    other.write_text("team,department,username,roles\ncommittee,trade,li,PM\n")
    assert run(other).endswith("2 created, 0 updated, 2 unchanged\n")
    assert Team.objects.get(code="committee").is_committee  # no committee column: unchanged
    assert Team.objects.get(code="committee").name == "技术委员会"


def test_excel_csv_in_gb18030_is_read(db, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(PEOPLE.encode("gb18030"))
    run(path)
    assert Team.objects.get(code="order").name == "订单组"


def problems_of(text):
    with pytest.raises(ImportProblems) as raised:
        org_csv_changes("people.csv", text)
    return [str(p) for p in raised.value.problems]


def test_bad_rows_are_reported_with_their_lines_and_nothing_is_written(db, tmp_path):
    text = (
        "department,team,username,roles,committee,email\n"
        "trade,order,ming,PM,,\n"
        '"trade",order,lei,"DEV\n;BOSS",,\n'
        "fin,order,hua,PM,,\n"
        "trade,Order Team,x,,,\n"
        "trade,order,,DEV,,\n"
        "trade,order,ming,,maybe,\n"
        "trade,order,ming,,,other@example.com\n"
        "trade,order,ming,,,ming@example.com\n"
    )
    assert problems_of(text) == [
        "people.csv:3: unknown role BOSS; roles: PM, DEV, TECH_LEAD, ARCHITECT, ADMIN",
        "people.csv:5: team order is in department trade on line 2",
        "people.csv:6: team 'order team' must be a code of lower-case letters, digits, '.', '_' "
        "or '-' (at most 50)",
        "people.csv:7: roles need a username",
        "people.csv:8: committee must be yes or no",
        "people.csv:10: email of ming is 'other@example.com' on line 9",
    ]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CommandError) as raised:
        run(path)
    assert "people.csv" not in str(raised.value) and f"{path}:3: unknown role BOSS" in str(
        raised.value
    )
    assert not Team.objects.exists()


def test_a_wrong_header_is_reported_on_line_1(db):
    assert problems_of("dept,team,user\n") == [
        "people.csv:1: missing column(s) department; unknown column(s) dept, user; known: "
        "department, department_name, team, team_name, committee, username, display_name, "
        "email, roles, language, time_zone"
    ]
