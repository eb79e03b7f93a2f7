"""`techalign lint`: scopes, formats, exit codes, and a query count independent of size."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from techalign.health.rules import RULES
from techalign.health.selectors import Scope, evaluate
from techalign.plans import services as plans
from techalign.requirements.models import Requirement
from tests.factories import advance


def lint(*args):
    out = io.StringIO()
    try:
        call_command("lint", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue()


def _production_change(w, req):
    plans.open_change_request(
        requirement=req,
        actor=w.ming,
        title="线上漏单",
        reason="对账缺失",
        phase_found="production",
        affected_teams=[w.finance],
    )


def test_lint_exits_0_when_only_warnings_exist(w):
    req = advance(w, "finalized")
    plans.open_change_request(
        requirement=req,
        actor=w.ming,
        title="测试发现",
        reason="漏了",
        phase_found="testing",
        affected_teams=[w.payments],
    )
    code, out = lint("--language", "en")
    assert code == 0
    assert "REQ-1/CR-1: warning TA113 [late-change]" in out
    assert out.endswith("0 error(s), 1 warning(s) in 1 requirement(s)\n")


def test_lint_exits_1_on_an_error_finding(w):
    _production_change(w, advance(w, "finalized"))
    code, out = lint("--language", "en")
    assert code == 1
    assert "error TA113" in out


def test_lint_scopes_by_team_and_department(w):
    _production_change(w, advance(w, "finalized"))
    assert lint("--team", "finance")[0] == 1
    assert lint("--team", "payments")[0] == 0  # a party of the requirement, not affected
    assert lint("--department", "fin")[0] == 1
    assert lint("--team", "marketing") == (0, "0 error(s), 0 warning(s) in 0 requirement(s)\n")


def test_lint_since_keeps_ci_green_for_old_findings(w):
    _production_change(w, advance(w, "finalized"))
    assert lint("--since", "2999-01-01")[0] == 0


def test_lint_refuses_unknown_scopes_with_exit_2(w):
    with pytest.raises(Exception) as raised:
        call_command("lint", "--team", "nope")
    assert getattr(raised.value, "returncode", None) == 2
    with pytest.raises(Exception) as raised:
        call_command("lint", "--team", "order", "--department", "trade")
    assert getattr(raised.value, "returncode", None) == 2


def test_bad_arguments_on_the_command_line_exit_2(w):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as raised:
        ManagementUtility(["techalign", "lint", "--format", "xml"]).execute()
    assert raised.value.code == 2


def test_lint_json_lists_findings(w):
    _production_change(w, advance(w, "finalized"))
    _code, out = lint("--format", "json", "--language", "en")
    body = json.loads(out)
    assert body["summary"] == {"error": 1, "warning": 0}
    (finding,) = body["findings"]
    assert finding["code"] == "TA113" and finding["requirement"] == "REQ-1"
    assert finding["subject"] == "CR-1"


def test_lint_sarif_names_every_rule_and_result(w):
    _production_change(w, advance(w, "finalized"))
    _code, out = lint("--format", "sarif", "--base-url", "https://ta.example.com")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(RULES)
    (result,) = run["results"]
    assert result["ruleId"] == "TA113" and result["level"] == "error"
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["helpUri"] == "https://ta.example.com/health/rules/TA113/"
    location = result["locations"][0]["logicalLocations"][0]
    assert location["fullyQualifiedName"] == "REQ-1/CR-1"


def _queries_for_all():
    with CaptureQueriesContext(connection) as captured:
        evaluate(Scope().requirements())
    return len(captured.captured_queries)


def test_rules_cost_the_same_queries_for_one_or_many_requirements(w):
    advance(w, "finalized")
    one = _queries_for_all()
    for to in ["aligning", "in_review", "handed_off"]:
        advance(w, to)
    assert Requirement.objects.count() == 4
    assert _queries_for_all() == one
