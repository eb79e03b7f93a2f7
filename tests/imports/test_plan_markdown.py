"""Plans as Markdown: the format round-trips exactly, and an import is a plan edit with the
plan edit's gates (role, step, revision)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techalign.core.errors import Refused
from techalign.core.text import check_title
from techalign.plans import selectors
from techalign.plans import services as plans
from techalign.plans.markdown import (
    ItemEntry,
    PlanDocument,
    export_plan,
    import_plan,
    parse,
    render,
)
from techalign.plans.models import ItemKind
from tests.factories import advance

# Any text a database keeps: PostgreSQL refuses NUL in text.
# Control characters other than tab and line breaks are refused as input (techalign.core.text).
texts = st.text(
    st.characters(exclude_categories=("Cc", "Cs"), include_characters="\t\n\r"), max_size=120
)


def _is_title(text: str) -> bool:
    try:
        check_title(text, field="title")
    except Refused:
        return False
    return True


# A title is one line with something visible in it (techalign.core.text.check_title).
titles = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=80).filter(
    _is_title
)
slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
scenario_keys = st.integers(1, 40).map(lambda n: f"S-{n}")
items = st.builds(
    ItemEntry,
    key=st.none(),
    title=titles,
    component=slugs,
    kind=st.sampled_from(ItemKind.values),
    scenarios=st.lists(scenario_keys, unique=True, max_size=4),
    due_on=st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
    description=texts,
    ask=texts,
    owner=st.just("") | slugs,
)


@st.composite
def documents(draw):
    entries = draw(st.lists(items, max_size=5))
    numbers = draw(
        st.lists(st.integers(1, 500), unique=True, min_size=len(entries), max_size=len(entries))
    )
    for entry, number, keyed in zip(
        entries,
        numbers,
        draw(st.lists(st.booleans(), min_size=len(entries), max_size=len(entries))),
        strict=True,
    ):
        entry.key = f"I-{number}" if keyed else None
    return PlanDocument(
        requirement=f"REQ-{draw(st.integers(1, 10**6))}",
        revision=draw(st.integers(0, 10**4)),
        title=draw(titles),
        lead_team=draw(slugs),
        content_hash=draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
        scenarios=draw(st.dictionaries(scenario_keys, texts, max_size=5)),
        items=entries,
    )


@settings(max_examples=200, deadline=None)
@given(documents())
def test_render_then_parse_gives_back_the_same_document(doc):
    text = render(doc)
    assert parse(text) == doc
    assert render(parse(text)) == text


def test_headings_and_backslashes_inside_texts_stay_text():
    item = ItemEntry(
        key="I-1",
        title='"quoted" ',
        component="order-service",
        kind="api_change",
        description="## not an item\n### Ask\n\\ back\n#tag\n\n",
        ask="\n",
    )
    doc = PlanDocument(requirement="REQ-1", revision=2, items=[item])
    text = render(doc)
    assert "\n\\## not an item\n\\### Ask\n\\\\ back\n\\#tag\n" in text
    assert '## I-1: "\\"quoted\\" "' in text
    assert parse(text) == doc


def test_hand_written_new_items_and_crlf_files_are_read():
    text = (
        "---\r\nformat: techalign-plan/1\r\nrequirement: REQ-7\r\nrevision: 0\r\n---\r\n\r\n"
        "## 新增对账任务\r\n- component: ledger\r\n- kind: job\r\n- scenarios: S-2, S-1\r\n"
        "### Description\r\n每日对账\r\n"
    )
    (item,) = parse(text).items
    assert item.key is None and item.title == "新增对账任务"
    assert item.scenarios == ["S-2", "S-1"] and item.description == "每日对账"


FRONT = "---\nformat: techalign-plan/1\nrequirement: REQ-1\nrevision: 1\n---\n"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# no front matter\n", 1, "front matter"),
        ("---\nformat: techalign-plan/1\nrequirement: REQ-1\n", 1, "closing"),
        ("---\nformat: techalign-plan/1\nrequirement: REQ-1\nrevision: [1\n---\n", 4, "YAML"),
        ("---\nformat: techalign-plan/1\nrequirement: REQ-1\nrevison: 1\n---\n", 2, "revison"),
        (
            FRONT + "\nintro\n",
            7,
            "outside an item",
        ),
        (
            FRONT + "## A\n- kind: x\n",
            7,
            "kind must be one of",
        ),
        (
            FRONT + "## A\n- kind: ui\n",
            6,
            "component",
        ),
        (
            FRONT + "## A\n- colour: x\n",
            7,
            "unknown item field colour",
        ),
        (
            FRONT + "## A\n- component: a\n- kind: ui\n### Notes\n",
            9,
            "### Description",
        ),
    ],
)
def test_bad_files_are_refused_with_the_line(text, line, words):
    with pytest.raises(Refused) as refused:
        parse(text)
    assert refused.value.code == "plan.markdown_invalid"
    assert refused.value.details["line"] == line
    assert words in refused.value.details["problem"]


# --- through the database --------------------------------------------------------------------


def test_importing_an_unchanged_export_writes_nothing(w):
    req = advance(w, "planning")
    result = import_plan(actor=w.lei, text=export_plan(req))
    assert result.revision is None
    assert selectors.current_revision(req).number == 3


def test_an_edited_file_becomes_one_revision(w):
    req = advance(w, "planning")
    doc = parse(export_plan(req))
    doc.items[0].description = "订单服务增加部分退款状态"
    del doc.items[2]
    doc.items.append(
        ItemEntry(key=None, title="对账任务", component="ledger", kind="job", scenarios=["S-3"])
    )
    result = import_plan(actor=w.fang, text=render(doc))
    revision = result.revision
    assert revision.number == 4 and revision.author == w.fang
    assert revision.summary == "I-1 changed; I-4 added; I-3 removed"
    assert [i["key"] for i in revision.content["items"]] == ["I-1", "I-2", "I-4"]
    authors = {i.key: i.author for i in selectors.items_of(revision)}
    assert authors == {"I-1": w.fang, "I-2": w.lei, "I-4": w.fang}  # untouched items keep theirs
    again = parse(export_plan(req))
    assert again.revision == 4 and again.items[2].key == "I-4"
    assert again.items[0].description == "订单服务增加部分退款状态"


def test_a_file_exported_before_the_plan_changed_is_refused_with_both_revisions(w):
    req = advance(w, "planning")
    text = export_plan(req)
    plans.update_item(requirement=req, actor=w.lei, based_on=3, item_key="I-1", title="改名")
    with pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=text.replace("改 ledger", "改总账"))
    assert refused.value.code == "plan.stale_revision"
    assert refused.value.details == {"current": 4, "based_on": 3}
    assert selectors.current_revision(req).number == 4


def test_a_pm_importing_is_refused_like_any_plan_edit(w):
    req = advance(w, "planning")
    text = export_plan(req).replace("改 ledger", "PM 改的")
    with pytest.raises(Refused) as refused:
        import_plan(actor=w.ming, text=text)
    assert refused.value.code == "role.not_allowed"
    assert selectors.current_revision(req).number == 3


def test_unknown_components_and_scenarios_name_the_item_line(w):
    req = advance(w, "planning")
    text = export_plan(req)
    with pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=text.replace("- component: ledger", "- component: nope"))
    line = text.split("\n").index("## I-3: 改 ledger") + 1
    assert refused.value.details["line"] == line
    assert "unknown component nope" in refused.value.details["problem"]
    with pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=text.replace("- scenarios: S-3", "- scenarios: S-9"))
    assert "S-9" in refused.value.details["problem"]


def test_a_file_about_another_requirement_is_refused(w):
    req = advance(w, "planning")
    other = advance(w, "planning")
    with pytest.raises(Refused) as refused:
        import_plan(actor=w.lei, text=export_plan(req), requirement=other)
    assert refused.value.code == "plan.markdown_other_requirement"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(description=texts, ask=texts)
def test_texts_survive_export_and_import_through_the_database(w, description, ask):
    req = advance(w, "planning") if not hasattr(w, "_req") else w._req
    w._req = req
    current = selectors.current_revision(req).number
    plans.update_item(
        requirement=req,
        actor=w.lei,
        based_on=current,
        item_key="I-2",
        description=description,
        ask=ask,
    )
    text = export_plan(req)
    (item,) = [i for i in parse(text).items if i.key == "I-2"]
    assert (item.description, item.ask) == (description, ask)
    assert import_plan(actor=w.fang, text=text).revision is None


def test_plan_command_exports_and_imports(w, tmp_path):
    req = advance(w, "planning")
    path = tmp_path / "REQ-1.md"
    call_command("plan", "export", "REQ-1", "--output", str(path))
    assert path.read_text() == export_plan(req)
    path.write_text(path.read_text().replace("改 ledger", "改总账"))
    out = io.StringIO()
    call_command("plan", "import", str(path), "--as", "lei", stdout=out)
    assert "REQ-1: revision 4 (I-3 changed)." in out.getvalue()
    with pytest.raises(Exception) as refused:
        call_command("plan", "import", str(path), "--as", "lei")
    assert "revision 4" in str(refused.value) and "revision 3" in str(refused.value)
