"""The org-wide coverage question, asked three ways on the same data.

1. techalign: `plans.selectors.org_coverage()` in the database.
2. The floor: the same rows exported to JSON, answered in plain Python with sets.
3. doorstop and StrictDoc, the open-source requirements tools, on the same scenarios and links
   exported to their own formats, each installed at a pinned version into a separate venv.

The tools are given a slice of the organisation (the first N requirements): they read one file
per item (doorstop) or parse a document language (StrictDoc), so the whole organisation would
take them far longer than the suite's budget. techalign is timed on the same slice beside them.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.db.models import F

from techalign.plans.models import Item, Plan
from techalign.requirements.models import Scenario

TOOLS = {"doorstop": "3.2", "strictdoc": "0.30.4"}


def median_seconds(run, repeat: int) -> tuple[float, Any]:
    """The median wall time of `repeat` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def export_rows(path: Path, requirement_ids: list[int] | None = None) -> dict[str, int]:
    """The rows the coverage question reads, as JSON: scenarios, plans, items and links."""
    scenarios = Scenario.objects.all()
    plans = Plan.objects.all()
    items = Item.objects.all()
    links = Item.scenarios.through.objects.all()
    if requirement_ids is not None:
        scenarios = scenarios.filter(requirement_id__in=requirement_ids)
        plans = plans.filter(requirement_id__in=requirement_ids)
        items = items.filter(revision__plan__requirement_id__in=requirement_ids)
        links = links.filter(item__revision__plan__requirement_id__in=requirement_ids)
    data = {
        "scenarios": [
            [pk, req, number, withdrawn, oos is not None]
            for pk, req, number, withdrawn, oos in scenarios.values_list(
                "pk", "requirement_id", "number", "is_withdrawn", "out_of_scope_at"
            ).iterator(chunk_size=20_000)
        ],
        "plans": list(map(list, plans.values_list("requirement_id", "current_revision_id"))),
        "items": list(
            map(list, items.values_list("pk", "revision_id").iterator(chunk_size=20_000))
        ),
        "links": list(
            map(list, links.values_list("item_id", "scenario_id").iterator(chunk_size=20_000))
        ),
    }
    path.write_text(json.dumps(data, separators=(",", ":")))
    return {k: len(v) for k, v in data.items()}


def floor_compute(data: dict[str, list[list[Any]]]) -> dict[int, list[str]]:
    """Uncovered scenario keys per requirement from the exported rows, with dicts and sets."""
    current = {rev: req for req, rev in data["plans"] if rev is not None}
    item_revision = {pk: rev for pk, rev in data["items"] if rev in current}
    covered = {scenario for item, scenario in data["links"] if item in item_revision}
    uncovered: dict[int, list[str]] = defaultdict(list)
    planned = set(current.values())
    for pk, req, number, withdrawn, out_of_scope in sorted(
        data["scenarios"], key=lambda s: (s[1], s[2])
    ):
        if req in planned and not withdrawn and not out_of_scope and pk not in covered:
            uncovered[req].append(f"S-{number}")
    return dict(uncovered)


def floor(path: Path) -> dict[int, list[str]]:
    """The floor, reading its data as techalign reads the database: load, then compute."""
    return floor_compute(json.loads(path.read_text()))


# --- doorstop and StrictDoc ------------------------------------------------------------------


def tools_python(venv: Path) -> Path:
    """A venv with the pinned tools, created on first use."""
    python = venv / "bin" / "python"
    marker = venv / "pinned.json"
    if marker.exists() and json.loads(marker.read_text()) == TOOLS:
        return python
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *(f"{n}=={v}" for n, v in TOOLS.items())],
        check=True,
    )
    marker.write_text(json.dumps(TOOLS))
    return python


def slice_rows(
    requirement_ids: list[int],
) -> tuple[dict[int, list[tuple[int, bool]]], dict[int, list[tuple[int, list[int]]]]]:
    """Per requirement: its live scenarios (number, in scope) and current items (number, links)."""
    scenarios: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    number_of: dict[int, int] = {}
    for pk, req, number, oos in (
        Scenario.objects.filter(requirement_id__in=requirement_ids, is_withdrawn=False)
        .values_list("pk", "requirement_id", "number", "out_of_scope_at")
        .order_by("number")
    ):
        scenarios[req].append((number, oos is None))
        number_of[pk] = number
    items: dict[int, list[tuple[int, list[int]]]] = defaultdict(list)
    current = Item.objects.filter(
        revision__plan__requirement_id__in=requirement_ids,
        revision_id=F("revision__plan__current_revision_id"),
    )
    links: dict[int, list[int]] = defaultdict(list)
    for item_id, scenario_id in Item.scenarios.through.objects.filter(item__in=current).values_list(
        "item_id", "scenario_id"
    ):
        links[item_id].append(number_of[scenario_id])
    for pk, number, req in current.values_list("pk", "number", "revision__plan__requirement_id"):
        items[req].append((number, sorted(links[pk])))
    return scenarios, items


def export_doorstop(root: Path, requirement_ids: list[int]) -> None:
    """One doorstop tree: document SCN (scenarios, out-of-scope ones inactive) and its child
    document ITM (current plan items), each item linking to the scenarios it covers."""
    scenarios, items = slice_rows(requirement_ids)
    scn, itm = root / "scn", root / "itm"
    scn.mkdir(parents=True)
    itm.mkdir()
    (scn / ".doorstop.yml").write_text("settings:\n  digits: 7\n  prefix: SCN\n  sep: ''\n")
    (itm / ".doorstop.yml").write_text(
        "settings:\n  digits: 7\n  parent: SCN\n  prefix: ITM\n  sep: ''\n"
    )
    for req in requirement_ids:
        for number, in_scope in scenarios.get(req, []):
            uid = f"SCN{req * 1000 + number:07d}"
            active = "true" if in_scope else "false"
            (scn / f"{uid}.yml").write_text(
                f"active: {active}\nderived: false\nlevel: 1.0\nlinks: []\n"
                f"normative: true\nref: ''\nreviewed: null\ntext: REQ-{req} S-{number}\n"
            )
        for number, covers in items.get(req, []):
            uid = f"ITM{req * 1000 + number:07d}"
            links = "".join(f"- SCN{req * 1000 + n:07d}: null\n" for n in covers) or "[]\n"
            (itm / f"{uid}.yml").write_text(
                f"active: true\nderived: false\nlevel: 1.0\nlinks:\n{links}"
                f"normative: true\nref: ''\nreviewed: null\ntext: REQ-{req} I-{number}\n"
            )


DOORSTOP_QUESTION = """
import sys, doorstop
tree = doorstop.build(root=sys.argv[1])
scn = tree.find_document("SCN")
uncovered = [i.uid.value for i in scn if i.active and not i.find_child_links()]
print(len(uncovered))
"""


def export_strictdoc(root: Path, requirement_ids: list[int]) -> None:
    """Two StrictDoc documents: scenarios, and items whose Parent relations name them."""
    scenarios, items = slice_rows(requirement_ids)
    root.mkdir(parents=True)
    parts = ["[DOCUMENT]\nTITLE: Scenarios\n"]
    for req in requirement_ids:
        for number, in_scope in scenarios.get(req, []):
            status = "Active" if in_scope else "Out of scope"
            parts.append(
                f"\n[REQUIREMENT]\nUID: SCN-{req}-{number}\nSTATUS: {status}\n"
                f"TITLE: REQ-{req} S-{number}\nSTATEMENT: Scenario {number} of REQ-{req}\n"
            )
    (root / "scenarios.sdoc").write_text("".join(parts))
    parts = ["[DOCUMENT]\nTITLE: Plan items\n"]
    for req in requirement_ids:
        for number, covers in items.get(req, []):
            relations = "".join(f"- TYPE: Parent\n  VALUE: SCN-{req}-{n}\n" for n in covers)
            parts.append(
                f"\n[REQUIREMENT]\nUID: ITM-{req}-{number}\nTITLE: REQ-{req} I-{number}\n"
                f"STATEMENT: Item {number} of REQ-{req}\n"
                + (f"RELATIONS:\n{relations}" if relations else "")
            )
    (root / "items.sdoc").write_text("".join(parts))


STRICTDOC_QUESTION = """
import sys
from strictdoc.core.project_config import ProjectConfig
from strictdoc.core.traceability_index_builder import TraceabilityIndexBuilder
from strictdoc.helpers.parallelizer import Parallelizer

config = ProjectConfig(input_paths=[sys.argv[1]])
config.source_root_path = sys.argv[1]
index = TraceabilityIndexBuilder.create(
    project_config=config, parallelizer=Parallelizer.create(False)
)
uncovered = 0
for document in index.document_tree.document_list:
    if document.title != "Scenarios":
        continue
    for node in document.section_contents:
        if node.reserved_status != "Active":
            continue
        if not index.get_children_requirements(node):
            uncovered += 1
print(uncovered)
"""


def run_tool(python: Path, script: str, root: Path) -> tuple[float, str]:
    """Seconds the tool takes to answer the question (process start included), and its answer."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), "-c", script, str(root)], capture_output=True, text=True, timeout=1800
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return elapsed, done.stdout.strip().splitlines()[-1]


def tool_startup(python: Path, module: str) -> float:
    """Seconds to start the interpreter and import the tool: the fixed part of its time."""
    started = time.perf_counter()
    subprocess.run([str(python), "-c", f"import {module}"], check=True, capture_output=True)
    return time.perf_counter() - started
