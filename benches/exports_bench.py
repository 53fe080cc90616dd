"""The inventory export at scale on PostgreSQL: every use case as CSV and as Excel, through the
full Django stack, with time, rows, memory of this process and the database's temporary files.

    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal \\
        .venv/bin/python -m benches.exports_bench [--use-cases 100000] [--keep] [--reuse]

DATABASE_URL names the server; the bench works in its own database, ``bench_q3_exports`` by
default, created afresh, migrated and seeded, and dropped at the end unless ``--keep``.
``--reuse`` starts from a kept one when its comment says it holds the same seed (otherwise it
seeds afresh). DEBUG stays off (a throw-away SECRET_KEY when none is set) and
``SECURE_SSL_REDIRECT=false``, so the requests are served as in production, over plain HTTP.

Seeded (deterministic, ``--seed``) with the adoption bench's people, vendors and use-case plans
(``benches.adoption.seed_plan``): 12 departments, ``--users`` people, ``--vendors`` vendors and
``--use-cases`` use cases in every status, bulk-inserted; no children (the export reads none).

Measured, logged in as an executive (a session, as the inventory page's download links):
``GET /usecases/export.csv`` streamed to its end and ``GET /usecases/export.xlsx`` (the view
writes the workbook to a temporary file, then it is streamed). For each: seconds, rows, bytes,
queries (``CaptureQueriesContext``; the cursor's further FETCHes are not queries), the CPU
seconds of this process (the app's share; on a busy machine the wall time is mostly waiting), the process
RSS sampled every 20 ms by a thread (growth over the value before the request), and the
database's ``temp_files``/``temp_bytes`` from ``pg_stat_database`` before and after (Django's
connection is closed after each export so its backend reports its statistics). While the CSV
streams, ``pg_cursors`` shows whether its server-side cursor is declared ``WITH HOLD``. The CPU
seconds of the export's PostgreSQL backend are read from ``/proc`` (same machine), beside the
app's, since on a shared machine the wall time also counts the wait for a CPU.
"""

import argparse
import contextlib
import io
import os
import re
import secrets
import sys
import threading
import time
import zipfile

from benches import support

TARGET_CSV_SECONDS = 5.0
TARGET_XLSX_SECONDS = 30.0
# Flat memory: 100,000 rows are 30 MB of CSV and 5 MB of xlsx; an export holding its rows in
# memory would grow the process by hundreds of MB.
TARGET_RSS_GROWTH_MB = 32.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-cases", type=int, default=100_000, help="use cases seeded (default 100000)")
    parser.add_argument("--users", type=int, default=2_000, help="people seeded (default 2000)")
    parser.add_argument("--vendors", type=int, default=200, help="vendors seeded (default 200)")
    parser.add_argument("--seed", type=int, default=20261205, help="random seed of the data (default 20261205)")
    parser.add_argument("--database", default="bench_q3_exports", help="database (name starts with bench_)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="start from a kept database with the same seed")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.database):
        parser.error("--database must match bench_[a-z0-9_]+")
    if args.use_cases < 1 or args.users < 200 or args.vendors < 20:
        parser.error("at least 1 use case, 200 users and 20 vendors")
    return args


def seed_marker(args):
    return f"exports_bench: {args.use_cases} use cases, {args.users} users, {args.vendors} vendors, seed {args.seed}"


# --- Seeding ---------------------------------------------------------------------------------------


def seed(args):
    """People, vendors and use cases (the adoption bench's plans), 5,000 use cases a transaction."""
    import random

    from django.db import connection, transaction
    from django.utils import timezone

    from benches.adoption.seed_plan import Context, explicit_timestamps, plan_use_case, seed_people, seed_vendors
    from usecases.models import UseCase

    rng = random.Random(args.seed)
    ctx = Context()
    ctx.now, ctx.today = timezone.now(), timezone.localdate()
    started = time.perf_counter()
    seed_people(args, rng, ctx)
    seed_vendors(args, rng, ctx)
    timestamps = [UseCase._meta.get_field(name) for name in ("created_at", "updated_at")]
    for start in range(0, args.use_cases, 5000):
        plans = [plan_use_case(n, rng, ctx) for n in range(start, min(start + 5000, args.use_cases))]
        with transaction.atomic(), explicit_timestamps(*timestamps):
            UseCase.objects.bulk_create([plan["use_case"] for plan in plans], batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f"COMMENT ON DATABASE {args.database} IS %s", [seed_marker(args)])  # noqa: S608 - checked name
    print(
        f"seeded {args.users:,} people, {args.vendors} vendors, {args.use_cases:,} use cases "
        f"in {time.perf_counter() - started:.1f} s"
    )


# --- Measuring -------------------------------------------------------------------------------------


def current_rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def rss_peak(every=0.02):
    """{"start", "peak"}: the process RSS before and its highest sample while the block ran."""
    figures = {"start": current_rss()}
    figures["peak"] = figures["start"]
    done = threading.Event()

    def sample():
        while not done.wait(every):
            figures["peak"] = max(figures["peak"], current_rss())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield figures
    finally:
        done.set()
        thread.join()
        figures["peak"] = max(figures["peak"], current_rss())


def temp_usage(url, name):
    """(temp_files, temp_bytes) of database ``name`` as the statistics collector has them."""
    with support.admin_connection(url) as admin:
        admin.execute("SELECT pg_stat_clear_snapshot()")
        return admin.execute(
            "SELECT temp_files, temp_bytes FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()


def flush_statistics():
    """Close Django's connection: its backend reports its statistics (temp files) as it exits."""
    from django.db import connections

    connections.close_all()
    time.sleep(1.0)


def holdable_cursors():
    """``is_holdable`` of the server-side cursors open on Django's connection now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT is_holdable FROM pg_cursors")
        return [row[0] for row in cursor.fetchall()]


def backend_cpu():
    """CPU seconds used so far by the PostgreSQL backend of Django's connection (None when its
    /proc entry is not readable). Each export runs on a fresh connection (flush_statistics()),
    so this is the database's share of the export's work."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def warm_up(client):
    """One small export first, so lazy imports and catalogues are not counted as the export's memory."""
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/usecases/export.{fmt}?q=no-such-use-case")
        b"".join(response.streaming_content)
        response.close()


def measure_csv(client, url, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    flush_statistics()
    temp_before = temp_usage(url, name)
    with rss_peak() as rss, CaptureQueriesContext(connection) as captured:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get("/usecases/export.csv")
        assert response.status_code == 200 and response.streaming, response.status_code
        size = lines = 0
        first = holdable = None
        for chunks, chunk in enumerate(response.streaming_content, start=1):
            size += len(chunk)
            lines += chunk.count(b"\n")
            if chunks == 3:  # BOM, header, the first row
                first = time.perf_counter() - started
                holdable = holdable_cursors()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        database_cpu = backend_cpu()
        response.close()
    queries = [query for query in captured.captured_queries if "pg_cursors" not in query["sql"]]
    queries = [query for query in queries if "pg_backend_pid" not in query["sql"]]
    flush_statistics()
    temp_after = temp_usage(url, name)
    return {
        "format": "csv",
        "seconds": seconds,
        "cpu": cpu,
        "database_cpu": database_cpu,
        "first_row": first,
        "rows": max(0, lines - 1),
        "bytes": size,
        "queries": len(queries),
        "rss_growth": rss["peak"] - rss["start"],
        "temp_files": temp_after[0] - temp_before[0],
        "temp_bytes": temp_after[1] - temp_before[1],
        "holdable": holdable,
    }


def sheet_rows(body):
    """The rows of the workbook's sheet (its ``<row`` elements, less the header)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        count, tail = 0, b""
        while block := sheet.read(1 << 20):
            count += (tail + block).count(b"<row ")
            tail = block[-4:]
        return count - 1


def measure_xlsx(client, url, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    flush_statistics()
    temp_before = temp_usage(url, name)
    with rss_peak() as rss, CaptureQueriesContext(connection) as captured:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get("/usecases/export.xlsx")
        assert response.status_code == 200, response.status_code
        written = time.perf_counter() - started
        body = io.BytesIO()
        for block in response.streaming_content:  # kept whole here only to count its rows below
            body.write(block)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        response.close()
    database_cpu = backend_cpu()
    flush_statistics()
    temp_after = temp_usage(url, name)
    body = body.getvalue()
    return {
        "format": "xlsx",
        "seconds": seconds,
        "cpu": cpu,
        "database_cpu": database_cpu,
        "first_row": written,  # the workbook is complete before its first byte is sent
        "rows": sheet_rows(body),
        "bytes": len(body),
        "queries": len(captured.captured_queries),
        "rss_growth": rss["peak"] - rss["start"] - len(body),  # the bench's own copy of the file
        "temp_files": temp_after[0] - temp_before[0],
        "temp_bytes": temp_after[1] - temp_before[1],
        "holdable": None,
    }


# --- Report ----------------------------------------------------------------------------------------


def mark(ok):
    return "met" if ok else "**not met**"


def app_version():
    """The commit the application code is at (read-only git), and whether it has local changes."""
    import subprocess

    def git(*command):
        return subprocess.run(  # noqa: S603 - fixed arguments
            ["git", *command],  # noqa: S607 - git from PATH
            cwd=support.REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + (" with uncommitted changes" if changed else "")


def report(args, results):
    print(
        f"\napp at {app_version()}; {args.use_cases:,} use cases; {os.cpu_count()} CPUs; DEBUG off; "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| export | rows | MB | seconds | app CPU s | database CPU s | rows/s | first byte s | queries | "
        "RSS growth MB | temp files | temp MB | cursor WITH HOLD |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in results:
        database_cpu = "?" if row["database_cpu"] is None else f"{row['database_cpu']:.2f}"
        holdable = "-" if row["holdable"] is None else ("yes" if any(row["holdable"]) else "no")
        print(
            f"| `GET /usecases/export.{row['format']}` | {row['rows']:,} | {row['bytes'] / 1e6:.1f} | "
            f"{row['seconds']:.2f} | {row['cpu']:.2f} | {database_cpu} | "
            f"{row['rows'] / row['seconds']:,.0f} | {row['first_row']:.2f} | "
            f"{row['queries']} | {row['rss_growth'] / 1e6:.1f} | {row['temp_files']} | "
            f"{row['temp_bytes'] / 1e6:.1f} | {holdable} |"
        )
    csv, xlsx = results
    targets = [
        (f"CSV under {TARGET_CSV_SECONDS:g} s", csv["seconds"] < TARGET_CSV_SECONDS),
        (f"XLSX under {TARGET_XLSX_SECONDS:g} s", xlsx["seconds"] < TARGET_XLSX_SECONDS),
        (
            f"RSS growth under {TARGET_RSS_GROWTH_MB:g} MB (both)",
            max(csv["rss_growth"], xlsx["rss_growth"]) / 1e6 < TARGET_RSS_GROWTH_MB,
        ),
        ("no temporary files in the database (both)", csv["temp_files"] == xlsx["temp_files"] == 0),
        ("no cursor WITH HOLD", not any(csv["holdable"] or [])),
    ]
    print()
    for label, ok in targets:
        print(f"- {label}: {mark(ok)}")
    if csv["database_cpu"] is not None:
        work = csv["cpu"] + csv["database_cpu"]
        print(
            f"\nThe CSV's work: {work:.2f} CPU s (app + database) for {csv['seconds']:.2f} s of wall time, "
            f"{csv['seconds'] / work:.1f}x: the rest is waiting for a CPU (load average above)."
        )
    for row in results:
        if row["rows"] != args.use_cases:
            print(f"\nWARNING: the {row['format']} export has {row['rows']:,} rows, not {args.use_cases:,}")
    return all(ok for _label, ok in targets) and all(row["rows"] == args.use_cases for row in results)


def main(argv=None):
    args = parse_args(argv)
    url = support.server_url()
    exists, comment = support.describe_database(url, args.database)
    reuse = args.reuse and exists and comment == seed_marker(args)
    if not reuse:
        support.recreate_database(url, args.database)
    os.environ["DATABASE_URL"] = support.with_database(url, args.database)
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "bench-only-" + secrets.token_urlsafe(32)  # lets DEBUG stay off
    os.environ["DEBUG"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    support.setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    try:
        print(f"database {args.database}: migrated in {support.migrate():.1f} s")
        if reuse:
            print(f"reusing the seeded database ({comment})")
        else:
            seed(args)
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username="bench-executive"))
        warm_up(client)
        results = [measure_csv(client, url, args.database), measure_xlsx(client, url, args.database)]
    finally:
        if not args.keep:
            support.drop_database(url, args.database)
    ok = report(args, results)
    print(f"\n({'kept' if args.keep else 'dropped'} {args.database})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
