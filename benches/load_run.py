"""Load run: gunicorn with several workers on PostgreSQL, many simulated users for a fixed time,
mixed reads and writes; then every write the clients saw succeed is counted in the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benches.load_run [--duration 60] [--users 30] [--workers 4]

DATABASE_URL names the server (any database on it the role may connect to); the run works in
its own scratch database, ``bench_load`` by default, dropped and created afresh, migrated and
seeded, and dropped at the end (``--keep`` keeps it). CELERY_BROKER_URL (default Redis
database 14 on 127.0.0.1:6379) is the broker of the web processes and of one real Celery worker
started beside them (``--no-worker``: none; the queued tasks are then purged at the end).

Started here, bound to 127.0.0.1 on a free port: ``gunicorn portal.wsgi`` with ``--workers``
processes of ``--threads`` threads (gthread) and DEBUG off. Seeded in-process through the
application's own services: departments, people in each role (an API token each, and a session
through the login form for the pages), an approved vendor with two models, and
``--initial`` use cases in every status so the lists and figures have something to read.

Simulated users (``--users``, 60% requesters, 20% reviewers, 20% executives) loop for
``--duration`` seconds with a think time of 0 to 2x ``--think`` seconds between requests:
  requesters: list and read use cases (API), the inventory page (session); create drafts with
              tasks, a KPI and (half of them) a model, edit them (with the version read), submit
              them, record KPI measurements, and resubmit those sent back for changes;
  reviewers:  read their queue of approval stages and decide one (approve, or request changes),
              the inventory page, the list and a detail;
  executives: the dashboard page, the adoption summary and trend (API), the inventory page and
              the list.
Reviewers split the queue by stage id so two never decide the same stage: every request has one
expected status (200, or 201 for a create) and anything else, or an exception, is an error.

Afterwards, from the database: every write the clients saw succeed is there exactly once (use
cases by their unique titles; per use case the audit events of each action against the
acknowledged edits, submits, resubmits and decisions; decided stages; KPI measurements), nothing
is there that no client saw succeed, and each use case is whole (its tasks, KPI and models, a
``create`` event, a ``plan_stages`` event per submit, a version equal to 1 + its changes, its
status equal to the last state its audit trail records, stages for those in review) and the
reference counter matches the references. Exit status 1 on any error or verification problem.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benches import support
from benches.load.base import BaseCheckout
from benches.load.report import (
    figures,
    print_errors,
    print_server_times,
    print_table,
    print_verification,
    server_times,
    verify,
)
from benches.load.seed import seed
from benches.load.servers import Servers, app_environment
from benches.load.users import Ledger, Recorder, make_users, run_load
from benches.support import BIN, REPO_ROOT


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_arguments(parser)
    parser.add_argument("--database", default="bench_load", help="scratch database (name starts with bench_load)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database at the end")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--base",
        metavar="REV",
        help="also serve the code at REV (a git worktree, its own gunicorn, the same database): half the "
        "users on each, concurrently, for both p95 and throughput in one run",
    )
    args = parser.parse_args(argv)
    if not re.fullmatch(r"bench_load[a-z0-9_]*", args.database):
        parser.error("--database must match bench_load[a-z0-9_]*")
    return args


def add_load_arguments(parser):
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=30, help="simulated users (default 30)")
    parser.add_argument("--think", type=float, default=0.2, help="mean think time between requests, s (default 0.2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument(
        "--worker-class", default="gthread", choices=["gthread", "sync"], help="gunicorn worker class (default gthread)"
    )
    parser.add_argument(
        "--keep-alive", type=int, default=None, help="gunicorn --keep-alive seconds (default: gunicorn's, 2)"
    )
    parser.add_argument("--initial", type=int, default=300, help="use cases seeded before the run (default 300)")
    parser.add_argument("--no-worker", action="store_true", help="start no Celery worker")
    parser.add_argument("--seed", type=int, default=20261128, help="random seed of the users' choices")


# --- Main -------------------------------------------------------------------------------------------


def prepare(database_url, broker_url, folder, args, extra_env=None):
    """Environment, Django in this process, migrate, seed. Returns (env, context)."""
    env = app_environment(database_url, broker_url, Path(folder) / "mail", extra_env)
    support.setup_django(env)
    seconds = support.migrate()
    started = time.perf_counter()
    context = seed(args.users, args.initial)
    context["run"] = secrets.token_hex(3)
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    connections.close_all()
    print(
        f"PostgreSQL {version}; database migrated in {seconds:.1f} s, seeded in {time.perf_counter() - started:.1f} s: "
        f"{len(context['people'])} people, {args.initial} use cases"
    )
    return env, context


def purge_broker(env):
    """Drop the tasks left in the run's broker database when no worker consumed them."""
    with contextlib.suppress(Exception):
        subprocess.run(  # noqa: S603 - our own venv's celery
            [str(BIN / "celery"), "-A", "portal", "purge", "-f"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=30,
            check=False,
        )


def split_users(users, base_servers, base_recorder):
    """Every other user of each role to the earlier code's server, recorded apart. Sessions live
    in the shared database under the same SECRET_KEY, so each login holds on both servers."""
    seen = {}
    for user in users:
        seen[user.role] = seen.get(user.role, -1) + 1
        if seen[user.role] % 2:
            user.client.base, user.client.recorder = base_servers.base, base_recorder


def report_side(label, recorder, wall, access_log):
    rows = figures(recorder.samples, wall)
    print(f"\n### {label}\n")
    print_table(rows)
    print_server_times(server_times(access_log))
    print_errors(recorder)
    return rows


def main():
    args = parse_args()
    url = support.server_url()
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    checkout = BaseCheckout(args.base) if args.base else None
    support.recreate_database(url, args.database)
    database_url = support.with_database(url, args.database)
    failed, total = True, None
    with tempfile.TemporaryDirectory(prefix="load-run-") as folder:
        try:
            env, context = prepare(database_url, broker, folder, args)
            servers = Servers.from_args(env, folder, args).start()
            base_servers = None
            try:
                if checkout:
                    # No second Celery worker: the current one consumes what both servers queue.
                    base_folder = Path(folder) / "base"
                    base_folder.mkdir()
                    base_servers = Servers.from_args(env, base_folder, args, celery_worker=False, cwd=checkout.path)
                    base_servers.start()
                recorder, ledger, stop = Recorder(), Ledger(), threading.Event()
                base_recorder = Recorder()
                users = make_users(servers.base, context, recorder, ledger, stop, args.seed, args.think)
                if base_servers:
                    split_users(users, base_servers, base_recorder)
                print(
                    f"gunicorn on {servers.base}: {args.workers} {args.worker_class} workers x {args.threads} threads"
                    f"{'' if args.keep_alive is None else f', keep-alive {args.keep_alive} s'}, "
                    f"{'a' if not args.no_worker else 'no'} Celery worker; {len(users)} users logged in; "
                    f"{os.cpu_count()} CPUs; running {args.duration:.0f} s, think time 0-{2 * args.think:.1f} s"
                )
                if base_servers:
                    print(
                        f"and the code at {checkout.rev} on {base_servers.base} (same options, same database): "
                        "half the users of each role on each server, concurrently"
                    )
                load_before = os.getloadavg()
                recorder.t0 = base_recorder.t0 = time.monotonic()
                wall = run_load(users, args.duration, stop)
                alive = servers.alive()
                if base_servers:
                    alive.update({f"base {name}": up for name, up in base_servers.alive().items()})
                load_after = os.getloadavg()
            finally:
                servers.stop()
                if base_servers:
                    base_servers.stop()
                if args.no_worker:
                    purge_broker(env)
            print(
                f"\nmeasured {wall:.1f} s; server processes alive at the end: {alive}; load average "
                f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min; other jobs share the machine)"
            )
            label = f"the current code ({support.app_version()})" if base_servers else "all requests"
            rows = report_side(label, recorder, wall, Path(folder) / "access.log")
            base_rows = None
            if base_servers:
                base_rows = report_side(
                    f"the code at {checkout.rev}", base_recorder, wall, Path(folder) / "base" / "access.log"
                )
                new, old = rows[-1], base_rows[-1]
                print(
                    f"\ncurrent / {checkout.rev}: p95 {new['p95']:.0f} / {old['p95']:.0f} ms = "
                    f"{new['p95'] / old['p95']:.2f}x; throughput {new['per_second']:.1f} / {old['per_second']:.1f} "
                    f"req/s = {new['per_second'] / old['per_second']:.2f}x"
                )
            summary, problems = verify(context, ledger)
            print_verification(summary, problems)
            total = rows[-1]
            errors = total["errors"] + (base_rows[-1]["errors"] if base_rows else 0)
            failed = bool(errors or problems or not all(alive.values()))
            if args.json:
                payload = {"figures": rows, "base_figures": base_rows, "verification": summary, "problems": problems}
                args.json.write_text(json.dumps(payload))
        finally:
            if not args.keep:
                support.drop_database(url, args.database)
            if checkout:
                checkout.remove()
    print(f"\n{'FAILED' if failed else 'passed'}: {errors if total else '?'} errors")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
