"""Adoption figures at scale on PostgreSQL: each endpoint through the full Django stack
against the same aggregates as one hand-written SQL statement, plus the inventory list and
the CSV export.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benches.adoption_bench [--use-cases 100000] [--requests 30] [--reseed]

DATABASE_URL names the server (any database on it the role may connect to); the bench works
in its own database, ``bench_adoption`` by default. The first run creates, migrates and seeds
it and keeps it: later runs reuse it, since seeding takes minutes (``--reseed`` drops and
seeds it afresh, ``--drop`` drops it at the end). DEBUG stays off (a throw-away SECRET_KEY
is set when none is given), so Django does not log every query during the timings.

Seeded (deterministic, ``--seed``): 12 departments, ``--users`` people (requesters, reviewers,
executives, admins), ``--vendors`` vendors with reassessment dates and 40 AI models,
``--use-cases`` use cases over the last 24 months (statuses, roadmap steps, categories, styles,
risk tiers, dates of submission, approval, going live and retirement), their chosen models,
approval stages (decided ones, and the pending queue of the use cases in review), KPIs with
measurements, monthly benefit records, a policy in force with acknowledgements and a course
with completions. The stored cost estimates are filled by the application's own
``usecases.economics.refresh_cost_estimates`` (timed). Then ``VACUUM ANALYZE``.

Measured (``ANALYZE`` first): for each adoption endpoint, ``--warmups`` then ``--requests``
GETs through ``django.test.Client`` logged in as an executive (middleware, session, DRF,
permissions, serializers, JSON); its query count (one more request under
``CaptureQueriesContext``); the same figures computed by calling ``dashboard.adoption`` directly
(no HTTP); and one hand-written SQL statement computing the same aggregates, run as many
times through ``connection.cursor()``, whose result is checked against the endpoint's.
Then ``GET /api/v1/use-cases/?page_size=50`` and the streamed CSV export of every use case
(time, rows, and memory: the process RSS sampled every 1,000 rows while consuming it; with
``--tracemalloc``, a second pass for the peak of Python allocations after 10% and 100% of
the rows, about four times slower).
"""

import argparse
import os
import re
import secrets
import sys
import time

from benches import support
from benches.adoption.measure import measure_dashboard_page, measure_endpoints, measure_export, measure_list
from benches.adoption.seed import seed, seed_marker

TARGET_QUERIES = 10
TARGET_RATIO = 3.0
TARGET_SUMMARY_P95_MS = 300.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-cases", type=int, default=100_000, help="use cases seeded (default 100000)")
    parser.add_argument("--users", type=int, default=2_000, help="people seeded (default 2000)")
    parser.add_argument("--vendors", type=int, default=200, help="vendors seeded (default 200)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint (default 30)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument("--seed", type=int, default=20261128, help="random seed of the data (default 20261128)")
    parser.add_argument("--database", default="bench_adoption", help="database (name starts with bench_)")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed it afresh")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each endpoint's slowest query")
    parser.add_argument("--show-queries", action="store_true", help="print every query of each endpoint")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="export a second time under tracemalloc for the peak of Python allocations (about 4x slower)",
    )
    args = parser.parse_args()
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.database):
        parser.error("--database must match bench_[a-z0-9_]+")
    if args.use_cases < 1000 or args.users < 50 or args.vendors < 20 or args.requests < 2:
        parser.error("at least 1000 use cases, 50 users, 20 vendors and 2 requests")
    return args


def prepare_database(url, name, reseed):
    """Create the database unless it exists (drop it first with ``reseed``). Its comment, set
    when seeding finished, says what it holds; None when it was (re)created or not finished."""
    exists, comment = support.describe_database(url, name)
    # No comment means seeding never finished: start afresh rather than seed over half of it.
    if exists and not reseed and comment is not None:
        return comment
    support.recreate_database(url, name)
    return None


# --- Report --------------------------------------------------------------------------------------


app_version = support.app_version


def mark(ok):
    return "met" if ok else "**not met**"


def report(args, version, jit, refresh_seconds, endpoints, listing, export):
    print(
        f"\nPostgreSQL {version} (jit {jit}); app at {app_version()}; {args.use_cases:,} use cases; "
        f"{os.cpu_count()} CPUs; {args.requests} timed requests per endpoint after {args.warmups} warm-ups; DEBUG off\n"
    )
    header = (
        "endpoint",
        "queries",
        "p50 ms",
        "p95 ms",
        "dashboard.adoption alone p50 ms",
        "raw SQL p50 ms",
        "p50 / raw",
        f"<= {TARGET_QUERIES} queries",
        f"<= {TARGET_RATIO:g}x raw",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if n == 0 else "---:" for n in range(len(header))) + "|")
    for row in endpoints:
        cells = (
            f"`{row['name']}`",
            str(row["queries"]),
            f"{row['p50']:.1f}",
            f"{row['p95']:.1f}",
            f"{row['orm_p50']:.1f}",
            f"{row['raw_p50']:.1f}",
            f"{row['ratio']:.1f}x",
            mark(row["queries"] <= TARGET_QUERIES),
            mark(row["ratio"] <= TARGET_RATIO),
        )
        print("| " + " | ".join(cells) + " |")
    summary = next(row for row in endpoints if row["name"] == "summary")
    print(
        f"\n`summary` p95 {summary['p95']:.1f} ms: target < {TARGET_SUMMARY_P95_MS:.0f} ms "
        f"{mark(summary['p95'] < TARGET_SUMMARY_P95_MS)}"
    )
    print(
        f"\n| other | queries | p50 ms | p95 ms |\n|---|---:|---:|---:|\n"
        f"| `GET /api/v1/use-cases/?page_size=50` | {listing['queries']} | {listing['p50']:.1f} | "
        f"{listing['p95']:.1f} |"
    )
    traced = (
        "not measured (--tracemalloc)"
        if export["peak_all"] is None
        else f"{export['peak_tenth'] / 1e6:.2f} / {export['peak_all'] / 1e6:.2f}"
    )
    print(
        f"\n| CSV export | rows | MB | seconds | rows/s | first row ms | queries | RSS growth MB | "
        f"tracemalloc peak MB (10% / 100% of rows) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| `GET /usecases/export.csv` | {export['rows']:,} | {export['bytes'] / 1e6:.1f} | {export['seconds']:.1f} | "
        f"{export['rows'] / export['seconds']:,.0f} | {export['first_row'] * 1000:.0f} | {export['queries']} | "
        f"{export['rss_growth'] / 1e6:.1f} | {traced} |"
    )
    if refresh_seconds is not None:
        print(f"\nrefresh_cost_estimates() over all {args.use_cases:,} use cases (seeding): {refresh_seconds:.1f} s")
    if export["rows"] != args.use_cases:
        print(f"\nWARNING: the export streamed {export['rows']:,} rows, not {args.use_cases:,}")
    mismatched = [row["name"] for row in endpoints if row["problems"]]
    if mismatched:
        print(f"\nWARNING: the raw SQL's figures differ from the endpoint's for: {', '.join(mismatched)}")
    return bool(mismatched) or export["rows"] != args.use_cases


def main():
    args = parse_args()
    url = support.server_url()
    marker = prepare_database(url, args.database, args.reseed)
    os.environ["DATABASE_URL"] = support.with_database(url, args.database)
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "bench-only-" + secrets.token_urlsafe(32)  # lets DEBUG stay off
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    support.setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from usecases.models import UseCase

    if settings.DEBUG:
        print("warning: DEBUG is on; Django records every query, which adds to the timings")
    print(f"database {args.database}: migrated in {support.migrate():.1f} s; app at {app_version()}")
    refresh_seconds = None
    if marker == seed_marker(args):
        print(f"reusing the seeded database ({marker}); --reseed seeds it afresh")
    else:
        if marker is not None or UseCase.objects.exists():
            sys.exit(f"{args.database} holds other or unfinished data ({marker!r}); run with --reseed")
        print("seeding:")
        started = time.perf_counter()
        refresh_seconds = seed(args)
        print(f"seeded in {time.perf_counter() - started:.1f} s")

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
        cursor.execute("ANALYZE")
    executive = get_user_model().objects.get(username="bench-executive")
    # Over HTTPS, as production serves it: SECURE_SSL_REDIRECT stays at its production default.
    client = support.https_client(HTTP_HOST="localhost")
    client.force_login(executive)
    measuring = time.perf_counter()
    try:
        print("adoption endpoints:")
        endpoints = measure_endpoints(args, client, executive)
        print("the dashboard page (every figure at once):")
        page = measure_dashboard_page(args, client, endpoints)
        print("inventory:")
        listing = measure_list(args, client)
        export = measure_export(client, args.use_cases, args.tracemalloc)
    finally:
        if args.drop:
            support.drop_database(url, args.database)
    print(f"measured in {time.perf_counter() - measuring:.0f} s")
    differs = report(args, version, jit, refresh_seconds, endpoints, listing, export)
    print(
        f"\n| dashboard page | {page['queries']} queries (endpoints together: {page['endpoint_queries']}) | "
        f"p50 {page['p50']:.1f} ms | p95 {page['p95']:.1f} ms | p95 < 1 s: {'met' if page['p95_met'] else 'not met'} | "
        f"queries: {'met' if page['queries_met'] else 'not met'} |"
    )
    if args.drop:
        print(f"\n(dropped {args.database})")
    # A mismatch means the bench or an endpoint computes the wrong figures: not a run to quote.
    sys.exit(1 if differs else 0)


if __name__ == "__main__":
    main()
