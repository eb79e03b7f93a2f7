"""Markdown tables from bench/results/*.json, for docs/benchmarks.md.

python -m bench.report bench/results/sqlite-S1-….json [bench/results/postgresql-S1-….json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SHOWN = {
    "api": ["p50", "p95", "p99", "n", "errors"],
    "pages": ["p50", "p95", "p99", "n", "errors"],
    "throughput": ["mixed_rps", "floor_rps", "ratio", "errors", "mixed_p95_ms"],
    "memory": ["peak_mb"],
    "coverage": [
        "techalign_s",
        "floor_s",
        "ratio",
        "floor_compute_only_s",
        "ratio_to_compute_only",
        "answers_agree",
    ],
    "tools": [
        "requirements",
        "tool_s",
        "tool_startup_s",
        "techalign_s",
        "ratio_tool_to_techalign",
        "uncovered_tool",
        "uncovered_techalign",
    ],
    "lint": ["seconds", "findings", "exit"],
    "slots": ["p50", "p95", "horizon_90d", "upload_and_expand_s_per_calendar"],
    "seed": ["seconds", "cpu_seconds", "requirements.Requirement", "plans.Item_scenarios"],
}


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if not isinstance(v, dict))
    return str(value)


def table(path: Path) -> str:
    run = json.loads(path.read_text())
    lines = [
        f"**{run['vendor']}, S={run['scale']:g}, seed {run['seed']}** ({path.name}, "
        f"{run['started_at'][:16]} UTC, commit {run.get('commit', '?')})",
        "",
        "| part | figure | numbers | target | met | load avg |",
        "|---|---|---|---|---|---|",
    ]
    for figure in run["figures"]:
        keys = SHOWN.get(figure["part"], list(figure["values"]))
        numbers = "; ".join(
            f"{k} {_cell(figure['values'][k])}" for k in keys if k in figure["values"]
        )
        met = {True: "yes", False: "**no**", None: ""}[figure["met"]]
        lines.append(
            f"| {figure['part']} | {figure['name']} | {numbers} | {figure['target']} | {met} "
            f"| {figure['load']} |"
        )
    lines += ["", *(f"- not measured yet: {what}" for what in run["not_measured"])]
    return "\n".join(lines)


def commands(path: Path) -> str:
    run = json.loads(path.read_text())
    seen: dict[str, None] = {}
    for figure in run["figures"]:
        seen.setdefault(f"- {figure['part']}: `{figure['command']}`", None)
    return "\n".join(seen)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(table(Path(name)), end="\n\n")
    if len(sys.argv) > 1:
        print(commands(Path(sys.argv[1])))
