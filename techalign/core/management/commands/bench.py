"""`techalign bench`: fill a fresh database with a generated organisation, or measure one.

    techalign bench seed --scale 1 --seed 1     # into the database DATABASE_URL names
    techalign bench run --scale 1               # the whole suite; see docs/benchmarks.md

The suite lives in the checkout's bench/ folder (it is a development tool, not shipped).
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _bench_package() -> None:
    """Make the checkout's bench/ package importable from the installed console script."""
    root = str(settings.BASE_DIR)
    if not (settings.BASE_DIR / "bench" / "generator.py").exists():
        raise CommandError(f"bench/ not found under {root}: run this from a source checkout")
    if root not in sys.path:
        sys.path.insert(0, root)


class Command(BaseCommand):
    help = "Generate a realistic organisation (seed) or run the benchmark suite (run)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed", help="fill a fresh, migrated database")
        seed.add_argument("--scale", type=float, default=1.0, help="1 = 20,000 requirements")
        seed.add_argument("--seed", type=int, default=1, help="random seed (same seed, same rows)")
        seed.add_argument("--quiet", action="store_true", help="no progress bar")
        run = sub.add_parser("run", help="measure; prints a table, writes bench/results/*.json")
        run.add_argument("--scale", type=float, default=1.0)
        run.add_argument("--seed", type=int, default=1)
        run.add_argument("--only", default="", help="comma-separated parts (default: all)")
        run.add_argument("--label", default="", help="suffix of the results file")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        _bench_package()
        if action == "seed":
            from bench.generator import json_counts, seed

            try:
                counts = seed(
                    options["scale"],
                    options["seed"],
                    stream=None if options["quiet"] else sys.stderr,
                )
            except (RuntimeError, ValueError) as error:
                raise CommandError(str(error)) from error
            self.stdout.write(json_counts(counts))
            return
        from bench.runner import main

        parts = [p for p in options["only"].split(",") if p]
        sys.exit(
            main(scale=options["scale"], seed=options["seed"], parts=parts, label=options["label"])
        )
