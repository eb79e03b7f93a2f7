"""The probe's size attacks, each refused at its root: a plan of 20,000 items, oversized files
and bodies, binary and non-UTF-8 files, YAML bombs. Every refusal names the limit and the value,
in the `{code, message, details}` envelope through the API, and writes nothing.

"At once" is timed in this process's CPU, not on the wall clock: a refusal after the expensive
parse burns the CPU either way, while a busy CI machine only stretches the wall clock."""

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from techalign.audit.models import AuditEvent
from techalign.core import limits
from techalign.core.errors import Refused
from techalign.org.models import Component, Department
from techalign.org.services import issue_token
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.plans.markdown import export_plan, import_plan
from techalign.plans.models import Item, Revision
from techalign.requirements import services as requirements
from tests.factories import advance

ITEM = "\n## x\n\n- component: ledger\n- kind: data\n"


def attack_plan(req, items: int) -> str:
    """The exported plan with `items` more items appended: what the probe sent."""
    return export_plan(req) + ITEM * items


def api(user, language="en") -> tuple[Client, dict]:
    _token, raw = issue_token(actor=None, user=user)
    return Client(), {"Authorization": f"Bearer {raw}", "Accept-Language": language}


def nothing_written(req, revision: int) -> bool:
    return (
        selectors.current_revision(req).number == revision
        and not Revision.objects.filter(plan__requirement=req, number__gt=revision).exists()
    )


# --- point 3: items per plan -----------------------------------------------------------------


def test_a_20000_item_plan_file_is_refused_in_well_under_a_second_with_nothing_written(w):
    req = advance(w, "planning")
    text = attack_plan(req, 20_000)
    assert len(text.encode()) < limits.PLAN_FILE_BYTES  # under the size cap: the count refuses
    events = AuditEvent.objects.count()
    started = time.process_time()
    with pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=text)
    assert time.process_time() - started < 0.5
    assert refused.value.code == "limit.too_many"
    assert refused.value.status == 422
    assert refused.value.details["limit"] == 300
    assert refused.value.details["value"] == 20_003
    assert refused.value.message == "Too many items in a plan: 20003; the limit is 300."
    assert nothing_written(req, 3)
    assert Item.objects.filter(revision__plan__requirement=req).count() == 1 + 2 + 3
    assert AuditEvent.objects.count() == events


def test_the_api_answers_a_20000_item_plan_file_with_422_naming_the_limit_in_chinese(w):
    req = advance(w, "planning")
    client, headers = api(w.lei, "zh-hans")
    text = attack_plan(req, 20_000)
    client.get(f"/api/v1/requirements/{req.key}/plan.md", headers=headers)  # loads the URLs
    started = time.process_time()
    response = client.post(
        f"/api/v1/requirements/{req.key}/plan.md",
        text,
        content_type="text/markdown",
        headers=headers,
    )
    assert time.process_time() - started < 1
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "limit.too_many"
    assert body["details"]["limit"] == "300" and body["details"]["value"] == "20003"
    assert body["message"] == "方案中的条目过多：20003，上限为 300。"
    assert nothing_written(req, 3)


def test_a_plan_file_of_exactly_the_item_limit_is_imported(w):
    req = advance(w, "planning")
    result = import_plan(actor=w.lei, text=attack_plan(req, limits.ITEMS_PER_PLAN - 3))
    assert result.revision.number == 4
    assert result.revision.items.count() == limits.ITEMS_PER_PLAN
    with pytest.raises(Refused) as refused:
        plans.add_item(
            requirement=req,
            actor=w.lei,
            based_on=4,
            component=w.ledger,
            kind="data",
            title="one too many",
        )
    assert refused.value.code == "limit.too_many"
    assert refused.value.details["value"] == limits.ITEMS_PER_PLAN + 1
    assert nothing_written(req, 4)


def test_the_plan_page_refuses_an_item_past_the_limit_inline(w):
    req = advance(w, "planning")
    import_plan(actor=w.lei, text=attack_plan(req, limits.ITEMS_PER_PLAN - 3))
    client = Client()
    client.force_login(w.lei)
    session = client.session
    session["language"] = "zh-hans"
    session.save()
    response = client.post(
        reverse("web:do", args=[req.key, "add_item"]),
        {"component": "ledger", "kind": "data", "title": "第 301 条", "based_on": 4},
        HTTP_HX_REQUEST="true",
    )
    assert response["X-Refused"] == "limit.too_many"
    assert "方案中的条目过多：301，上限为 300。" in response.content.decode()
    assert nothing_written(req, 4)


def test_replacing_the_items_with_too_many_is_refused_by_the_service_itself(w):
    req = advance(w, "planning")
    entries = [{"component": w.ledger, "kind": "data", "title": "x"}] * 301
    with pytest.raises(Refused) as refused:
        plans.replace_items(requirement=req, actor=w.lei, based_on=3, items=entries)
    assert refused.value.code == "limit.too_many"
    assert (refused.value.details["limit"], refused.value.details["value"]) == (300, 301)
    assert nothing_written(req, 3)


def test_an_item_covering_too_many_scenarios_is_refused(w):
    req = advance(w, "planning")
    with pytest.raises(Refused) as refused:
        plans.add_item(
            requirement=req,
            actor=w.lei,
            based_on=3,
            component=w.ledger,
            kind="data",
            title="everything",
            scenario_keys=["S-1"] * (limits.SCENARIOS_PER_ITEM + 1),
        )
    assert refused.value.code == "limit.too_many"
    assert refused.value.details["name"] == "scenarios_per_item"
    assert nothing_written(req, 3)


# --- point 3: texts, scenarios, questions ----------------------------------------------------


def test_an_item_text_over_its_limit_in_a_plan_file_is_refused_naming_its_line(w):
    req = advance(w, "planning")
    text = export_plan(req) + ITEM + "\n### Description\n\n" + "长" * (limits.TEXT_LIMIT + 1) + "\n"
    line = text.split("\n").index("## x") + 1
    with pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=text)
    assert refused.value.code == "input.too_long"
    assert refused.value.details == {
        "field": f"line {line}: description",
        "limit": limits.TEXT_LIMIT,
        "value": limits.TEXT_LIMIT + 1,
    }
    assert nothing_written(req, 3)


def test_texts_over_their_limits_are_refused_by_the_services(w):
    with pytest.raises(Refused) as refused:
        requirements.create_requirement(actor=w.ming, lead_team=w.order, title="t" * 201)
    assert refused.value.code == "input.too_long"
    assert refused.value.details == {"field": "title", "limit": 200, "value": 201}
    req = advance(w, "planning")
    with pytest.raises(Refused) as refused:
        requirements.raise_question(
            requirement=req, actor=w.jun, body="?" * (limits.TEXT_LIMIT + 1)
        )
    assert refused.value.code == "input.too_long"
    assert not req.questions.exists()
    with pytest.raises(Refused) as refused:
        plans.update_item(
            requirement=req, actor=w.lei, based_on=3, item_key="I-1", ask="a" * 20_001
        )
    assert refused.value.details["field"] == "ask"
    assert nothing_written(req, 3)


def test_a_requirement_takes_scenarios_up_to_its_limit(w, monkeypatch):
    monkeypatch.setitem(limits.COUNTS, "scenarios_per_requirement", (3, "scenarios"))
    req = advance(w, "draft", scenarios=3)
    with pytest.raises(Refused) as refused:
        requirements.add_scenario(requirement=req, actor=w.ming, title="one more")
    assert refused.value.code == "limit.too_many"
    assert (refused.value.details["limit"], refused.value.details["value"]) == (3, 4)
    assert req.scenarios.count() == 3


def test_a_requirement_takes_questions_up_to_its_limit(w, monkeypatch):
    monkeypatch.setitem(limits.COUNTS, "questions_per_requirement", (2, "questions"))
    req = advance(w, "planning")
    for body in ("first?", "second?"):
        requirements.raise_question(requirement=req, actor=w.jun, body=body)
    with pytest.raises(Refused) as refused:
        requirements.raise_question(requirement=req, actor=w.jun, body="third?")
    assert refused.value.code == "limit.too_many"
    assert refused.value.details["value"] == 3
    assert req.questions.count() == 2


# --- point 3: files and request bodies -------------------------------------------------------


def test_a_plan_file_over_the_size_limit_is_answered_413_naming_both_sizes(w):
    req = advance(w, "planning")
    client, headers = api(w.lei, "zh-hans")
    text = export_plan(req) + "<!-- " + "x" * 1_600_000 + " -->\n"
    response = client.post(
        f"/api/v1/requirements/{req.key}/plan.md",
        text,
        content_type="text/markdown",
        headers=headers,
    )
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "import.too_large"
    assert body["details"]["limit"] == str(limits.PLAN_FILE_BYTES)
    assert body["details"]["value"] == str(len(text.encode()))
    assert body["message"].startswith("plan.md 有 ")
    assert nothing_written(req, 3)


def test_a_request_body_over_the_limit_is_answered_413_before_it_is_read(w):
    req = advance(w, "planning")
    client, headers = api(w.lei)
    response = client.post(
        f"/api/v1/requirements/{req.key}/plan/items",
        b"{" + b" " * (limits.REQUEST_BODY_BYTES + 1) + b"}",
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "limit.body_too_large",
        "message": f"The request body is {limits.REQUEST_BODY_BYTES + 3} bytes; "
        f"the limit is {limits.REQUEST_BODY_BYTES} bytes.",
        "details": {
            "limit": limits.REQUEST_BODY_BYTES,
            "value": limits.REQUEST_BODY_BYTES + 3,
            "request_id": response["X-Request-ID"],
        },
    }
    assert nothing_written(req, 3)


# --- point 11: plan import of binary and non-UTF-8 files -------------------------------------


@pytest.mark.parametrize(
    "data, words",
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 40, "byte 7 is a NUL"),
        ("---\nformat: techalign-plan/1\n标题".encode("gb18030"), "byte 29 is not UTF-8"),
    ],
    ids=["binary", "gb18030"],
)
def test_plan_import_of_a_binary_or_non_utf8_file_exits_2_with_one_line(w, tmp_path, data, words):
    req = advance(w, "planning")
    path = tmp_path / "plan.md"
    path.write_bytes(data)
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("plan", "import", str(path), "--as", "lei", "--language", "en")
    assert raised.value.returncode == 2
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path} is not a UTF-8 text file: {words}")
    assert nothing_written(req, 3)


def test_plan_import_of_an_oversized_file_exits_2_in_chinese(w, tmp_path):
    req = advance(w, "planning")
    path = tmp_path / "big.md"
    path.write_text(export_plan(req) + "x" * limits.PLAN_FILE_BYTES)
    with pytest.raises(CommandError) as raised:
        call_command("plan", "import", str(path), "--as", "lei", "--language", "zh-hans")
    assert raised.value.returncode == 2
    assert str(limits.PLAN_FILE_BYTES) in str(raised.value) and "字节" in str(raised.value)
    assert nothing_written(req, 3)


def test_plan_import_of_a_missing_file_exits_2(w, tmp_path):
    with pytest.raises(CommandError) as raised:
        call_command("plan", "import", str(tmp_path / "nope.md"), "--as", "lei")
    assert raised.value.returncode == 2


def test_a_role_refusal_on_plan_import_stays_exit_1(w, tmp_path):
    req = advance(w, "planning")
    path = tmp_path / "plan.md"
    path.write_text(export_plan(req))
    with pytest.raises(CommandError) as raised:
        call_command("plan", "import", str(path), "--as", "ming")
    assert raised.value.returncode == 1


def test_a_yaml_bomb_in_the_front_matter_is_refused(w):
    req = advance(w, "planning")
    text = export_plan(req)
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
        for p, c in zip("abcdef", "bcdefg", strict=True)
    )
    text = text.replace("---\n", "---\n" + bomb, 1)
    started = time.process_time()
    with translation.override("en"), pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=text)
    assert time.process_time() - started < 0.5
    assert refused.value.code == "import.yaml_too_complex"
    assert refused.value.details["limit"] == limits.YAML_VALUES
    assert nothing_written(req, 3)


# --- point 11: catalog YAML ------------------------------------------------------------------

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    "text, message",
    [
        (LAUGHS, "line 6: more than 100000 values once its aliases are expanded."),
        ("a: " + "[" * 10_000 + "]" * 10_000, "line 1: more than 32 levels of nesting."),
        ("".join("  " * n + f"k{n}:\n" for n in range(100)), "line 33: more than 32 levels"),
        ("&loop [*loop]\n", "line 1: more than 100000 values once its aliases are expanded."),
        ("---\n{}\n" * 1001, "line 2001: more than 1000 YAML documents."),
    ],
    ids=["billion-laughs", "deep-flow", "deep-block", "self-alias", "documents"],
)
def test_a_catalog_file_past_a_yaml_limit_exits_2_at_once_with_nothing_written(
    db, tmp_path, text, message
):
    path = tmp_path / "catalog-info.yaml"
    path.write_text(text)
    started = time.process_time()
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("import_catalog", str(path))
    assert time.process_time() - started < 1
    assert raised.value.returncode == 2
    assert str(raised.value).startswith(f"{path}, {message}")
    assert "\n" not in str(raised.value)
    assert not Department.objects.exists() and not Component.objects.exists()


@pytest.mark.parametrize(
    "data, words",
    [
        ("kind: Group\nmetadata: {name: 交易部}\n".encode("gb18030"), "is not UTF-8"),
        (b"kind: Group\x00\x01\x02", "is a NUL"),
        (b"#" * (limits.CATALOG_FILE_BYTES + 1), "bytes; a catalog file may be at most"),
    ],
    ids=["gb18030", "binary", "oversized"],
)
def test_a_catalog_file_that_is_not_small_utf8_text_exits_2(db, tmp_path, data, words):
    path = tmp_path / "catalog-info.yaml"
    path.write_bytes(data)
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("import_catalog", str(path))
    assert raised.value.returncode == 2
    assert words in str(raised.value)
    assert not Department.objects.exists()


# --- point 11: the organisation CSV ----------------------------------------------------------


def test_an_org_csv_that_is_binary_or_too_long_exits_2(db, tmp_path, monkeypatch):
    path = tmp_path / "people.csv"
    path.write_bytes(b"department,team\n\x00\xff\xfe")
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("import_org", str(path))
    assert raised.value.returncode == 2
    assert "is a NUL" in str(raised.value)
    monkeypatch.setitem(limits.COUNTS, "org_csv_rows", (3, "rows"))
    path.write_text("department,team\n" + "trade,order\n" * 4)
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("import_org", str(path))
    assert raised.value.returncode == 2
    assert str(raised.value) == "Too many rows: 4; the limit is 3."
    assert not Department.objects.exists()


def test_an_org_csv_with_a_field_longer_than_csv_takes_is_a_problem_not_a_traceback(db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('department,team,display_name\ntrade,order,"' + "x" * 200_000 + '"\n')
    with pytest.raises(CommandError) as raised:
        call_command("import_org", str(path))
    assert raised.value.returncode == 1
    assert "not valid CSV: field larger than field limit" in str(raised.value)
    assert not Department.objects.exists()


@pytest.mark.parametrize(
    ("text", "code"),
    [("a\x00b", "text.control_character"), ("a\ud800b", "input.invalid")],
    ids=["nul", "surrogate"],
)
def test_a_text_no_database_can_store_is_refused_as_input_not_a_server_error(w, text, code):
    req = advance(w, "planning")
    client, headers = api(w.lei)
    response = client.post(
        f"/api/v1/requirements/{req.key}/plan/items",
        {"based_on": 3, "component": "ledger", "kind": "data", "title": "x", "description": text},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert "description" in response.json()["message"], response.json()
    assert nothing_written(req, 3)
