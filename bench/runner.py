"""`techalign bench run`: every measurement of docs/benchmarks.md, one table, one JSON file.

Runs against the database DATABASE_URL names (make bench points it at a cached SQLite file, or
at a throwaway PostgreSQL), seeding it first when it holds no organisation of this scale and
seed. Each figure carries the command that produced it, the target it is held to, and the load
average of the machine while it ran (this machine is shared; a busy neighbour shows there).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import NoReverseMatch, reverse

from bench import coverage
from bench.generator import ANCHOR, BENCH_PASSWORD, large_plan_numbers
from bench.generator import seed as generate
from bench.server import RESULTS, ROOT, Client, Server, timed
from techalign.core.db import refresh_planner_statistics
from techalign.org.models import ApiToken, Membership, Role, User
from techalign.org.services import issue_token
from techalign.plans.models import Plan
from techalign.plans.selectors import org_coverage
from techalign.requirements.models import Requirement, Status

PARTS = ["seed", "api", "pages", "throughput", "writes", "coverage", "tools", "lint", "slots"]
LATENCY_SAMPLES = 100
LATENCY_BUDGET_S = 40
WARMUP = 5
LOAD_SECONDS = 20
LOAD_MAX_REQUESTS = 30_000
CONCURRENCY = [1, 8, 32]
WRITE_CONCURRENCY = [8, 32]
TOOLS_SLICE = 100


@dataclass
class Figure:
    """One measured figure: what, the numbers, the command that produced them, the target."""

    part: str
    name: str
    values: dict[str, Any]
    command: str
    target: str = ""
    met: bool | None = None
    note: str = ""
    load: float = field(default_factory=lambda: round(os.getloadavg()[0], 2))


class Run:
    def __init__(self, scale: float, seed: int, label: str) -> None:
        self.scale, self.seed, self.label = scale, seed, label
        self.vendor = connection.vendor
        self.figures: list[Figure] = []
        self.missing: list[str] = []
        self.started = dt.datetime.now(dt.UTC)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        status = {True: "met", False: "MISSED", None: ""}[figure.met]
        print(
            f"  {figure.part:<10} {figure.name:<38} {_brief(figure.values):<52} {status}",
            flush=True,
        )
        return figure

    def not_measured(self, what: str) -> None:
        self.missing.append(what)
        print(f"  not measured yet: {what}", flush=True)

    def write(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = self.started.strftime("%Y%m%dT%H%M%S")
        path = (
            RESULTS
            / f"{self.vendor}-S{self.scale:g}-{stamp}{'-' + self.label if self.label else ''}.json"
        )
        path.write_text(
            json.dumps(
                {
                    "vendor": self.vendor,
                    "scale": self.scale,
                    "seed": self.seed,
                    "started_at": self.started.isoformat(),
                    "commit": _commit(),
                    "machine": {
                        "cpus": os.cpu_count(),
                        "python": platform.python_version(),
                        "platform": platform.platform(),
                    },
                    "figures": [f.__dict__ for f in self.figures],
                    "not_measured": self.missing,
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
        )
        return path


def _commit() -> str:
    """The checkout measured: HEAD, marked when the tree has uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("+dirty" if git("status", "--porcelain") else "")


def _brief(values: dict[str, Any]) -> str:
    shown = [f"{k}={v}" for k, v in values.items() if not isinstance(v, dict | list)]
    return " ".join(shown)[:52]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
        "n": len(ordered),
    }


# --- the organisation under test -------------------------------------------------------------


def seeded_marker() -> Path | None:
    """Where a SQLite database records what it was seeded with (None on PostgreSQL)."""
    if connection.vendor != "sqlite":
        return None
    return Path(str(connection.settings_dict["NAME"]) + ".seeded.json")


def generator_digest() -> str:
    import hashlib

    return hashlib.sha256((ROOT / "bench" / "generator.py").read_bytes()).hexdigest()[:12]


def seed_target(run: Run, counts: dict[str, Any]) -> tuple[str, bool | None]:
    """The seed's target at S=1 (600 s) and S=10 (30 minutes of CPU, 2 GB), on SQLite."""
    if run.vendor != "sqlite" or run.scale not in (1, 10):
        return "S=1 under 600 s, S=10 under 30 min and 2 GB, on SQLite", None
    if run.scale == 1:
        return "S=1 under 600 s on SQLite", counts["seconds"] < 600
    peak = counts.get("peak_rss_mb")
    met = counts["cpu_seconds"] < 1800 and (peak is None or peak < 2048)
    return "S=10 under 30 min CPU and 2 GB on SQLite", met


def ensure_seeded(run: Run) -> None:
    """Migrate, and seed unless this database already holds this scale and seed."""
    wanted = {"scale": run.scale, "seed": run.seed, "generator": generator_digest()}
    marker = seeded_marker()
    # A cached database still takes the migrations added since it was seeded.
    call_command("migrate", verbosity=0, interactive=False)
    # A database seeded before the generator refreshed the planner's statistics.
    refresh_planner_statistics()
    if marker is not None and marker.exists():
        recorded = json.loads(marker.read_text())
        if {k: recorded.get(k) for k in wanted} == wanted:
            run.add(
                Figure(
                    "seed",
                    "generator (cached database)",
                    recorded["counts"],
                    f"techalign bench seed --scale {run.scale:g} --seed {run.seed}",
                    *seed_target(run, recorded["counts"]),
                    note=f"seeded {recorded['at']}",
                )
            )
            return
        if connection.vendor == "sqlite":
            # Another scale, seed or generator: start the file over.
            name = Path(str(connection.settings_dict["NAME"]))
            connection.close()
            for path in (name, Path(f"{name}-wal"), Path(f"{name}-shm"), marker):
                path.unlink(missing_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    counts = generate(run.scale, run.seed, stream=sys.stderr)
    if marker is not None:
        marker.write_text(
            json.dumps({**wanted, "counts": counts, "at": dt.datetime.now(dt.UTC).isoformat()})
        )
    run.add(
        Figure(
            "seed",
            "generator",
            counts,
            f"techalign bench seed --scale {run.scale:g} --seed {run.seed}",
            *seed_target(run, counts),
        )
    )


@dataclass
class Cast:
    """Who the measurements act as, and on what."""

    user: User
    token: str
    large: Requirement
    typical: list[Requirement]
    personas: list[dict[str, Any]]


def _token(user: User) -> str:
    # Earlier runs' tokens are only stored as digests: issue a fresh one.
    ApiToken.objects.filter(user=user, name="bench").delete()
    return issue_token(actor=None, user=user, name="bench", expires_in_days=None)[1]


def cast(run: Run) -> Cast:
    rng = random.Random(run.seed)
    large = Requirement.objects.select_related("lead_dev", "lead_team").get(
        number=large_plan_numbers(run.scale)[0]
    )
    assert large is not None and large.lead_dev is not None
    user = large.lead_dev
    public = list(
        Requirement.objects.filter(is_private=False)
        .exclude(pk=large.pk)
        .values_list("pk", flat=True)
    )
    typical = list(
        Requirement.objects.filter(pk__in=rng.sample(public, min(20, len(public)))).order_by(
            "number"
        )
    )
    writable_statuses = [
        Status.HANDED_OFF,
        Status.PLANNING,
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.ALIGNING,
    ]
    personas = []
    pms = Membership.objects.filter(role=Role.PM).select_related("user", "team").order_by("pk")
    seen_teams: set[int] = set()
    for membership in pms:
        if len(personas) == max(CONCURRENCY) or membership.team_id in seen_teams:
            continue
        led = Requirement.objects.filter(lead_team_id=membership.team_id)
        writable = list(led.filter(status__in=writable_statuses).values_list("number", flat=True))
        finalized = list(led.filter(status=Status.FINALIZED).values_list("number", flat=True))
        if not writable or not finalized:
            continue
        # A question's answer comes from the other side, never its asker: another PM of the
        # same team answers what this one raises (a PM may answer hand-off and plan questions).
        answerer = (
            Membership.objects.filter(
                team_id=membership.team_id, role=Role.PM, user__is_active=True
            )
            .exclude(user_id=membership.user_id)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if answerer is None:
            continue
        seen_teams.add(membership.team_id)
        personas.append(
            {
                "username": membership.user.username,
                "token": _token(membership.user),
                "answerer": answerer.user.username,
                "answerer_token": _token(answerer.user),
                "team": membership.team.code,
                "writable": [f"REQ-{n}" for n in writable],
                "finalized": [f"REQ-{n}" for n in finalized],
                "readable": [f"REQ-{n}" for n in rng.sample(public, min(200, len(public)))],
            }
        )
    return Cast(user, _token(user), large, typical, personas)


# --- latency ---------------------------------------------------------------------------------


def latency(
    run: Run,
    client: Client,
    part: str,
    name: str,
    paths: list[str],
    target_ms: float,
    command: str,
) -> None:
    """Single client, warm: a few unmeasured requests, then up to LATENCY_SAMPLES measured ones
    (fewer when a slow path would exceed LATENCY_BUDGET_S), rotating over `paths`: different
    rows, so no row is measured only from a warm cache."""
    for path in paths[:WARMUP]:
        client.get(path)
    samples, errors = [], 0
    deadline = time.monotonic() + LATENCY_BUDGET_S
    for i in range(LATENCY_SAMPLES):
        elapsed, status = timed(client, paths[i % len(paths)])
        samples.append(elapsed)
        errors += status >= 400
        if len(samples) >= 5 and time.monotonic() > deadline:
            break
    values = {**percentiles(samples), "errors": errors}
    run.add(
        Figure(
            part,
            name,
            values,
            command,
            f"p95 < {target_ms:g} ms",
            met=values["p95"] < target_ms and errors == 0,
        )
    )


def measure_api(run: Run, server: Server, who: Cast) -> None:
    client = Client(server.base, headers={"Authorization": f"Bearer {who.token}"})
    keys = [r.key for r in who.typical]
    api = "/api/v1"
    command = f"GET {api}/... as {who.user.username} (token), single client, {server.command}"
    endpoints = [
        ("GET /requirements (list, page 1)", [f"{api}/requirements"]),
        ("GET /requirements?status=finalized", [f"{api}/requirements?status=finalized"]),
        ("GET /requirements/{key} (detail)", [f"{api}/requirements/{k}" for k in keys]),
        ("GET /requirements/{key}/plan", [f"{api}/requirements/{k}/plan" for k in keys]),
        ("GET /requirements/{large}/plan (50x100)", [f"{api}/requirements/{who.large.key}/plan"]),
        ("GET /requirements/{large} (50x100)", [f"{api}/requirements/{who.large.key}"]),
        (
            "GET /requirements/{key}/plan/revisions",
            [f"{api}/requirements/{k}/plan/revisions" for k in keys],
        ),
        ("GET /requirements/{key}/questions", [f"{api}/requirements/{k}/questions" for k in keys]),
        ("GET /requirements/{key}/meetings", [f"{api}/requirements/{k}/meetings" for k in keys]),
        ("GET /teams", [f"{api}/teams"]),
        ("GET /components", [f"{api}/components"]),
    ]
    for name, paths in endpoints:
        latency(run, client, "api", name, paths, 250, command)


def url_for(name: str, **kwargs: Any) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def measure_pages(run: Run, server: Server, who: Cast) -> None:
    client = Client(server.base)
    client.login(who.user.username, BENCH_PASSWORD)
    command = f"GET (session of {who.user.username}), single client, {server.command}"
    if url_for("web:requirement", key="REQ-1") is None:
        run.not_measured("pages: techalign/web URLs missing")
        return
    team = who.large.lead_team.code
    pages: list[tuple[str, list[str | None], float]] = [
        ("requirement page", [url_for("web:requirement", key=r.key) for r in who.typical], 100),
        ("requirement page (50x100)", [url_for("web:requirement", key=who.large.key)], 100),
        ("inbox", [url_for("web:inbox")], 250),
        ("coverage matrix (plan page, 50x100)", [url_for("web:plan", key=who.large.key)], 250),
        ("requirement list", [url_for("web:requirements")], 250),
        ("team page", [url_for("web:team", code=team)], 250),
    ]
    health = url_for("web:team_health", code=team) or url_for("health:team", code=team)
    if health:
        department = who.large.lead_team.department.code
        pages += [
            ("team health view", [health], 250),
            ("health overview (organisation)", [url_for("health:overview")], 250),
            ("department health view", [url_for("health:department", code=department)], 250),
        ]
        # The worker keeps the stored findings the health pages read; after a seed, catch up.
        from techalign.health.services import refresh_findings

        refresh_findings()
    else:
        run.not_measured("team health view: no URL named web:team_health or health:team")
    for name, paths, target in pages:
        if None in paths:
            run.not_measured(f"{name}: URL missing")
            continue
        latency(run, client, "pages", name, [p for p in paths if p], target, command)
    if who.personas:
        # A PM's My work: their teams are asked for hundreds of items and have hundreds of
        # milestones due at S=10, where the lead DEV above has few.
        pm = who.personas[0]["username"]
        pm_client = Client(server.base)
        pm_client.login(pm, BENCH_PASSWORD)
        inbox = [url_for("web:inbox") or ""]
        command = f"GET (session of {pm}), single client, {server.command}"
        latency(run, pm_client, "pages", "inbox of a PM", inbox, 250, command)


# --- throughput ------------------------------------------------------------------------------


def locust(server: Server, user_class: str, users: int, personas: Path) -> dict[str, Any]:
    """One bounded locust run (time and request count), headless, against 127.0.0.1."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder) / "run"
        argv = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "--run-time",
            f"{LOAD_SECONDS}s",
            "--host",
            server.base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--stop-timeout",
            "5",
            user_class,
        ]
        env = {
            **os.environ,
            "BENCH_PERSONAS": str(personas),
            "BENCH_MAX_REQUESTS": str(LOAD_MAX_REQUESTS),
        }
        started, cpu_before = time.perf_counter(), server.workers_cpu_ms()
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=LOAD_SECONDS + 120
        )
        wall, cpu_after = time.perf_counter() - started, server.workers_cpu_ms()
        rows = _csv(Path(f"{prefix}_stats.csv"))
        failures = _csv(Path(f"{prefix}_failures.csv"))
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total is None:
        raise RuntimeError(f"locust gave no summary: {done.stderr[-2000:]}")
    requests = int(total["Request Count"])
    failed = int(total["Failure Count"])
    # The workers' own CPU per request: unlike the rate, it barely moves when the machine is
    # busy with something else (this host's floor rate moved by a third from run to run).
    same_workers = cpu_before.keys() == cpu_after.keys()
    cpu_ms = sum(cpu_after.values()) - sum(cpu_before.values()) if same_workers else None
    return {
        "rps": round(float(total["Requests/s"]), 1),
        "worker_cpu_ms_per_request": (
            round(cpu_ms / requests, 2) if cpu_ms is not None and requests else None
        ),
        "requests": requests,
        "errors": failed,
        "error_rate": round(failed / requests, 4) if requests else None,
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "wall_s": round(wall, 1),
        "by_name": {
            r["Name"]: {
                "count": int(r["Request Count"]),
                "failures": int(r["Failure Count"]),
                "p50": r["50%"],
                "p95": r["95%"],
            }
            for r in rows
            if r["Name"] != "Aggregated"
        },
        "failures": [
            f"{r['Method']} {r['Name']}: {r['Error']} x{r['Occurrences']}" for r in failures
        ],
    }


def _csv(path: Path) -> list[dict[str, str]]:
    import csv

    if not path.exists():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


def measure_throughput(
    run: Run, server: Server, who: Cast, *, part: str = "throughput", runs: Callable | None = None
) -> None:
    if not who.personas:
        run.not_measured(f"{part}: no team with both open and finalized requirements")
        return
    with tempfile.TemporaryDirectory() as folder:
        # The personas carry API tokens: they live only as long as the runs that need them.
        personas = Path(folder) / "personas.json"
        personas.write_text(json.dumps(who.personas))
        (runs or _throughput_runs)(run, server, personas)


def _throughput_runs(run: Run, server: Server, personas: Path) -> None:
    for users in CONCURRENCY:
        floor = locust(server, "Floor", users, personas)
        mixed = locust(server, "Mixed", users, personas)
        ratio = round(mixed["rps"] / floor["rps"], 3) if floor["rps"] else None
        floor_cpu = floor["worker_cpu_ms_per_request"]
        mixed_cpu = mixed["worker_cpu_ms_per_request"]
        command = (
            f"locust -f bench/locustfile.py --headless -u {users} -r {users} "
            f"--run-time {LOAD_SECONDS}s Mixed|Floor; {server.command}"
        )
        target = "at 32 clients: >= 25% of the floor, no errors" if users == 32 else ""
        met = None
        if users == 32:
            met = ratio is not None and ratio >= 0.25 and mixed["errors"] == 0
        run.add(
            Figure(
                "throughput",
                f"mixed API vs floor, {users} clients",
                {
                    "mixed_rps": mixed["rps"],
                    "floor_rps": floor["rps"],
                    "ratio": ratio,
                    "errors": mixed["errors"],
                    "error_rate": mixed["error_rate"],
                    "mixed_p95_ms": mixed["p95_ms"],
                    # The same comparison in the workers' CPU: a floor request's CPU over a
                    # mixed one's. It leaves out the database server's and locust's share.
                    "cpu_ratio": (
                        round(floor_cpu / mixed_cpu, 3) if floor_cpu and mixed_cpu else None
                    ),
                    "mixed": mixed,
                    "floor": floor,
                },
                command,
                target,
                met,
            )
        )
        if users == max(CONCURRENCY):
            peaks = server.worker_peak_rss_mb()
            top = max(peaks.values()) if peaks else None
            run.add(
                Figure(
                    "memory",
                    "worker peak RSS after 32-client load",
                    {"peak_mb": top, "workers": list(peaks.values())},
                    f"VmHWM of each gunicorn worker of {server.command}",
                    "< 300 MB",
                    met=top is not None and top < 300,
                )
            )


def measure_writes(run: Run, server: Server, who: Cast) -> None:
    """Write-only throughput (issue 16): every audited write appends to the audit chain."""
    measure_throughput(run, server, who, part="writes", runs=_write_runs)
    if connection.vendor == "postgresql":
        measure_chain_appends(run)


def _write_runs(run: Run, server: Server, personas: Path) -> None:
    for users in WRITE_CONCURRENCY:
        floor = locust(server, "Floor", users, personas)
        writes = locust(server, "Writes", users, personas)
        # The few reads a Writes user makes (one ETag per requirement) are not writes.
        written = sum(
            row["count"]
            for name, row in writes["by_name"].items()
            if name.split()[0] in ("POST", "PUT")
        )
        ratio = round(writes["rps"] / floor["rps"], 3) if floor["rps"] else None
        run.add(
            Figure(
                "writes",
                f"write-only API vs floor, {users} clients",
                {
                    "writes_rps": writes["rps"],
                    "floor_rps": floor["rps"],
                    "ratio": ratio,
                    "write_share": round(written / writes["requests"], 3)
                    if writes["requests"]
                    else None,
                    "errors": writes["errors"],
                    "writes_p95_ms": writes["p95_ms"],
                    "writes": writes,
                    "floor": floor,
                },
                f"locust -f bench/locustfile.py --headless -u {users} -r {users} "
                f"--run-time {LOAD_SECONDS}s Writes|Floor; {server.command}",
                "no errors",
                met=writes["errors"] == 0,
            )
        )


def measure_chain_appends(run: Run) -> None:
    """The audit chain alone, in process: threads with their own connections each append
    events about their own requirement (`record()` in a transaction of its own), 5 s a run.
    Two web workers on this machine seldom wait on the chain's lock; these threads show what it
    costs when many writers do. Each thread count runs with the log in one partition (one lock
    for every writer, as before issue 16) and in the installed partitions, alternately, twice,
    so both see the same neighbours; the best of the two runs counts."""
    import threading

    from django.db import connections, transaction

    from techalign.audit.models import ChainLayout
    from techalign.audit.services import chain_partitions, record

    targets = list(Requirement.objects.order_by("pk")[: max(WRITE_CONCURRENCY)])
    installed = chain_partitions()
    rates: dict[tuple[int, int], float] = {}

    def appends_per_s(threads: int) -> float:
        counts = [0] * threads
        deadline = time.perf_counter() + 5

        def append(n: int) -> None:
            try:
                while time.perf_counter() < deadline:
                    with transaction.atomic():
                        record(actor=None, target=targets[n], action="bench.appended")
                    counts[n] += 1
            finally:
                connections.close_all()

        workers = [threading.Thread(target=append, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return sum(counts) / 5

    try:
        for _ in range(2):
            for threads in [1, *WRITE_CONCURRENCY]:
                for partitions in (1, installed):
                    ChainLayout.objects.filter(pk=1).update(partitions=partitions)
                    rate = appends_per_s(threads)
                    rates[threads, partitions] = max(rates.get((threads, partitions), 0), rate)
    finally:
        ChainLayout.objects.filter(pk=1).update(partitions=installed)
    for threads in WRITE_CONCURRENCY:
        one, split = rates[threads, 1], rates[threads, installed]
        run.add(
            Figure(
                "writes",
                f"audit appends in process, {threads} threads",
                {
                    "one_partition_per_s": round(one, 1),
                    f"{installed}_partitions_per_s": round(split, 1),
                    "gain": round(split / one, 2) if one else None,
                    "one_thread_per_s": round(rates[1, installed], 1),
                },
                "bench.runner.measure_chain_appends: threads x (atomic + record()), 5 s, "
                "1 partition vs installed, alternately, best of 2",
            )
        )


# --- org-wide coverage, lint, slots ----------------------------------------------------------


def measure_coverage(run: Run) -> None:
    repeat = 5
    techalign_s, answer = coverage.median_seconds(org_coverage, repeat)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "coverage.json"
        exported = coverage.export_rows(path)
        size_mb = round(path.stat().st_size / 1e6, 1)
        floor_s, floor_answer = coverage.median_seconds(lambda: coverage.floor(path), repeat)
        data = json.loads(path.read_text())
        compute_s, _ = coverage.median_seconds(lambda: coverage.floor_compute(data), repeat)
    agree = floor_answer == answer
    ratio = round(techalign_s / floor_s, 2)
    run.add(
        Figure(
            "coverage",
            "org-wide coverage vs plain-set floor",
            {
                "techalign_s": round(techalign_s, 3),
                "floor_s": round(floor_s, 3),
                "ratio": ratio,
                "floor_compute_only_s": round(compute_s, 3),
                "ratio_to_compute_only": round(techalign_s / compute_s, 2),
                "requirements_with_gaps": len(answer),
                "answers_agree": agree,
                "exported_rows": exported,
                "export_mb": size_mb,
            },
            "plans.selectors.org_coverage() vs bench/coverage.py floor (json.load + sets), "
            f"median of {repeat}",
            "within 3x of the floor (load + compute)",
            met=agree and ratio <= 3,
        )
    )


def measure_tools(run: Run) -> None:
    python = coverage.tools_python(RESULTS / "tools-venv")
    ids = list(
        Plan.objects.filter(current_revision__isnull=False)
        .order_by("requirement_id")
        .values_list("requirement_id", flat=True)[:TOOLS_SLICE]
    )
    techalign_s, answer = coverage.median_seconds(lambda: org_coverage(ids), 5)
    expected = sum(len(v) for v in answer.values())
    with tempfile.TemporaryDirectory() as folder:
        for tool, export, script, module in [
            ("doorstop", coverage.export_doorstop, coverage.DOORSTOP_QUESTION, "doorstop"),
            ("strictdoc", coverage.export_strictdoc, coverage.STRICTDOC_QUESTION, "strictdoc"),
        ]:
            root = Path(folder) / tool
            export(root, ids)
            try:
                seconds, said = coverage.run_tool(python, script, root)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                run.not_measured(f"{tool}: {str(error).strip().splitlines()[-1][:200]}")
                continue
            startup = coverage.tool_startup(python, module)
            run.add(
                Figure(
                    "tools",
                    f"coverage by {tool} {coverage.TOOLS[tool]} vs techalign",
                    {
                        "requirements": len(ids),
                        "tool_s": round(seconds, 2),
                        "tool_startup_s": round(startup, 2),
                        "techalign_s": round(techalign_s, 4),
                        "ratio_tool_to_techalign": round(seconds / techalign_s, 1),
                        "ratio_without_startup": round(max(seconds - startup, 0) / techalign_s, 1),
                        "uncovered_tool": said,
                        "uncovered_techalign": expected,
                    },
                    f"{tool} (venv at bench/results/tools-venv) on {len(ids)} requirements "
                    "exported by bench/coverage.py; techalign: org_coverage(ids)",
                    "",
                )
            )


def measure_lint(run: Run) -> None:
    try:
        from techalign.health.management.commands import lint  # noqa: F401
    except ImportError:
        run.not_measured("lint: techalign lint (techalign/health) missing")
        return
    # What a CI job on recent changes runs: the last day of the generated history (it ends at
    # the generator's ANCHOR), a few percent of the requirements.
    last_day = (ANCHOR - dt.timedelta(days=1)).isoformat()
    for name, extra, target in [
        ("techalign lint, whole organisation", [], 10),
        ("techalign lint --since (last day's changes)", ["--since", last_day], 5),
    ]:
        argv = [sys.executable, "-m", "techalign.cli", "lint", "--format", "json", *extra]
        # CPU time of the process too: on a shared machine its wall time carries the load.
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        seconds = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in ("ru_utime", "ru_stime"))
        findings = checked = None
        try:
            report = json.loads(done.stdout)
            findings = len(report.get("findings", [])) if isinstance(report, dict) else len(report)
            checked = report.get("requirements_checked") if isinstance(report, dict) else None
        except json.JSONDecodeError:
            pass
        if done.returncode not in (0, 1):
            run.not_measured(f"{name}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
            continue
        run.add(
            Figure(
                "lint",
                name,
                {
                    "seconds": round(seconds, 1),
                    "cpu_s": round(cpu, 1),
                    "exit": done.returncode,
                    "findings": findings,
                    "requirements": Requirement.objects.count(),
                    "checked": checked,
                },
                " ".join(["techalign lint --format json", *extra]),
                f"< {target} s",
                met=seconds < target,
            )
        )


def measure_slots(run: Run) -> None:
    from bench import slots

    try:
        values = slots.measure()
    except slots.NotReady as missing:
        run.not_measured(f"slot finder: {missing}")
        return
    run.add(
        Figure(
            "slots",
            "slot finder, 20 invitees x a year of events",
            values,
            "bench/slots.py: calendars.slots.find_slots for 20 required invitees",
            "p95 < 250 ms",
            met=values.get("p95", 1e9) < 250,
        )
    )


# --- the whole run ---------------------------------------------------------------------------


def print_table(run: Run) -> None:
    print(f"\ntechalign bench — {run.vendor}, S={run.scale:g}, seed {run.seed}")
    print(f"{'part':<10} {'figure':<40} {'numbers':<58} {'target':<28} ok")
    for f in run.figures:
        status = {True: "yes", False: "NO", None: "-"}[f.met]
        print(
            f"{f.part:<10} {f.name[:40]:<40} {_brief(f.values)[:58]:<58} {f.target[:28]:<28} "
            f"{status}"
        )
    for what in run.missing:
        print(f"not measured yet: {what}")


def main(*, scale: float, seed: int, parts: list[str], label: str) -> int:
    unknown = set(parts) - set(PARTS)
    if unknown:
        print(f"unknown parts: {', '.join(sorted(unknown))}; known: {', '.join(PARTS)}")
        return 2
    wanted = parts or PARTS
    run = Run(scale, seed, label)
    print(
        f"== bench on {run.vendor} ({settings.DATABASES['default']['NAME']}), S={scale:g}",
        flush=True,
    )
    ensure_seeded(run)
    who = cast(run)
    steps: list[tuple[str, Callable[[], None]]] = []
    served_parts: dict[str, Callable[[Run, Server, Cast], None]] = {
        "api": measure_api,
        "pages": measure_pages,
        "throughput": measure_throughput,
        "writes": measure_writes,
    }
    # Latency is what building an answer costs: one client rereading a few paths would
    # otherwise time the kept answers (techalign/core/answers.py). Under load they stay on,
    # shared between clients as in real use.
    for parts, kept_answers in [(("api", "pages"), False), (("throughput", "writes"), True)]:
        if wanted_here := [p for p in parts if p in wanted]:

            def served(wanted_here: list[str] = wanted_here, kept: bool = kept_answers) -> None:
                with Server(kept_answers=kept) as server:
                    for part in wanted_here:
                        served_parts[part](run, server, who)

            steps.append(("server", served))
    steps += [
        (p, f)
        for p, f in [
            ("coverage", lambda: measure_coverage(run)),
            ("tools", lambda: measure_tools(run)),
            ("lint", lambda: measure_lint(run)),
            ("slots", lambda: measure_slots(run)),
        ]
        if p in wanted
    ]
    for name, step in steps:
        try:
            step()
        except Exception:  # one broken part must not lose the others' figures
            traceback.print_exc()
            run.not_measured(f"{name}: failed, see the traceback above")
    print_table(run)
    print(f"results: {run.write()}")
    return 0
