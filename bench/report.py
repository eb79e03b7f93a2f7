"""Markdown tables from bench/results/*.json, for docs/benchmarks.md, and the summary that
`make bench-quick` prints.

python -m bench.report bench/results/sqlite-S1-….json [bench/results/postgresql-S1-….json]
python -m bench.report --summary [bench/results/….json]   # default: the newest run
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

SHOWN = {
    "api": ["p50", "p95", "p99", "n", "errors"],
    "pages": ["p50", "p95", "p99", "n", "errors"],
    "throughput": ["mixed_rps", "floor_rps", "ratio", "cpu_ratio", "errors", "mixed_p95_ms"],
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
    "lint": ["seconds", "cpu_s", "findings", "checked", "exit"],
    "slots": ["p50", "p95", "horizon_90d", "upload_and_expand_s_per_calendar"],
    "seed": [
        "seconds",
        "cpu_seconds",
        "peak_rss_mb",
        "requirements.Requirement",
        "plans.Item_scenarios",
    ],
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


# The one number each part's figures are held to: (key in the figure's values, unit, key of a
# ratio to a floor the figure carries itself, or None when the ratio is to the target).
HEADLINE: dict[str, tuple[str, str, str | None]] = {
    "api": ("p95", "ms", None),
    "pages": ("p95", "ms", None),
    "slots": ("p95", "ms", None),
    "lint": ("seconds", "s", None),
    "memory": ("peak_mb", "MB", None),
    "coverage": ("techalign_s", "s", "ratio"),
    "throughput": ("mixed_rps", "rps", "ratio"),
    "tools": ("tool_s", "s", "ratio_tool_to_techalign"),
    "seed": ("cpu_seconds", "s CPU", None),
}
_LIMIT = re.compile(r"(?:<|under)\s*([\d.,]+)\s*(?:ms|s|MB)\b")


def limit_of(target: str) -> float | None:
    """The upper limit a target string names ("p95 < 250 ms", "< 10 s"), if any."""
    found = _LIMIT.search(target)
    return float(found.group(1).replace(",", "")) if found else None


def headline(figure: dict[str, Any]) -> tuple[str, str]:
    """The figure's value and its ratio: to the floor where the figure is measured against one
    (coverage, throughput, the tools), else to the target's limit (under 1 meets it). A
    figure the run did not judge (the seed away from S=1) gets no ratio to a target."""
    key, unit, floor_key = HEADLINE.get(figure["part"], ("", "", None))
    values = figure["values"]
    value = values.get(key)
    if not isinstance(value, int | float):
        return "", ""
    shown = f"{value:g} {unit}"
    if isinstance(values.get("cpu_s"), int | float):
        shown += f" ({values['cpu_s']:g} s CPU)"
    if floor_key is not None:
        ratio = values.get(floor_key)
        return shown, f"{ratio:g}x floor" if isinstance(ratio, int | float) else ""
    limit = limit_of(figure["target"])
    if limit is None or figure["met"] is None:
        return shown, ""
    return shown, f"{value / limit:.2f}x target"


def summary(path: Path) -> str:
    """One line a figure: what, its value, its target, the ratio, met, and the load average."""
    run = json.loads(path.read_text())
    lines = [
        f"techalign bench — {run['vendor']}, S={run['scale']:g}, seed {run['seed']} "
        f"({path.name}, commit {run.get('commit', '?')})",
        f"{'figure':<50} {'value':>22}  {'target':<34} {'ratio':>13}  {'met':<4} load",
    ]
    for figure in run["figures"]:
        value, ratio = headline(figure)
        met = {True: "yes", False: "NO", None: "-"}[figure["met"]]
        name = f"{figure['part']}: {figure['name']}"
        lines.append(
            f"{name[:50]:<50} {value:>22}  {figure['target'][:34]:<34} {ratio:>13}  {met:<4} "
            f"{figure['load']}"
        )
    lines += [f"not measured: {what}" for what in run["not_measured"]]
    missed = [f for f in run["figures"] if f["met"] is False]
    lines.append(
        f"{len(run['figures'])} figures, {len(missed)} missed"
        + (": " + "; ".join(f["name"] for f in missed) if missed else "")
    )
    return "\n".join(lines)


def newest_run() -> Path:
    runs = sorted(
        (Path(__file__).resolve().parent / "results").glob("*.json"),
        key=lambda p: p.stat().st_mtime,
    )
    if not runs:
        raise SystemExit("no run in bench/results/: run `techalign bench run` first")
    return runs[-1]


def commands(path: Path) -> str:
    run = json.loads(path.read_text())
    seen: dict[str, None] = {}
    for figure in run["figures"]:
        seen.setdefault(f"- {figure['part']}: `{figure['command']}`", None)
    return "\n".join(seen)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--summary"]:
        print(summary(Path(sys.argv[2]) if len(sys.argv) > 2 else newest_run()))
        sys.exit(0)
    for name in sys.argv[1:]:
        print(table(Path(name)), end="\n\n")
    if len(sys.argv) > 1:
        print(commands(Path(sys.argv[1])))
