"""Where one page's or endpoint's time goes, in process, against a benchmark database.

    DATABASE_URL=sqlite:////tmp/copy.sqlite3 python -m bench.profile u0606 /requirements/REQ-2000/
    ... python -m bench.profile u0606 /api/v1/requirements/REQ-2000 --token --top 30
    ... python -m bench.profile u0606 /api/v1/requirements/REQ-2000 --token --revalidate

Signs in as USER (session, or a fresh API token with --token), requests PATH a few times to
warm up, then reports the median wall time and CPU time (this process's, so a busy machine
slows it less than the wall time), the queries of one request and their total time,
and the functions that took the most cumulative time under cProfile. Run it on a copy of a
`make bench` database (bench/results/db/): the token it issues is a write.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("SECRET_KEY", "bench-profile-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("username")
    parser.add_argument("path")
    parser.add_argument("--token", action="store_true", help="call as an API client")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--queries", action="store_true", help="print every query")
    parser.add_argument(
        "--revalidate",
        action="store_true",
        help="send the ETag of the first answer in If-None-Match: profile the unchanged case",
    )
    parser.add_argument("--callers", nargs="*", default=[], help="who calls these functions")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from techalign.org.models import User
    from techalign.org.services import issue_token

    user = User.objects.get(username=args.username)
    if args.token:
        token = issue_token(actor=None, user=user, name="profile", expires_in_days=1)[1]
        client = Client(headers={"Authorization": f"Bearer {token}"})
    else:
        client = Client()
        client.force_login(user)

    headers: dict[str, str] = {}

    def fetch() -> int:
        return client.get(args.path, headers=headers).status_code

    status = fetch()
    if args.revalidate:
        headers["If-None-Match"] = client.get(args.path).headers.get("ETag", "")
        status = fetch()
    times, cpu = [], []
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fetch()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        fetch()
    query_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
    print(
        f"{args.path}: HTTP {status}, median {statistics.median(times):.1f} ms, "
        f"fastest {min(times):.1f} ms; CPU median {statistics.median(cpu):.2f} ms "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    print(f"{len(captured)} queries, {query_ms:.1f} ms in the database")
    if args.queries:
        for query in captured.captured_queries:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
    profile = cProfile.Profile()
    profile.runcall(fetch)
    stats = pstats.Stats(profile).sort_stats("cumulative")
    stats.print_stats(args.top)
    for function in args.callers:
        stats.print_callers(function)


if __name__ == "__main__":
    main()
