"""Every bench runs to the end at a tiny size, so none can silently break again.

Each row runs ``python -m benches.<module> <args>`` in a subprocess against the PostgreSQL
server of this test run (the benches measure PostgreSQL only and refuse SQLite); each bench
creates and drops its own scratch ``bench_*`` database there, named per process so concurrent
runs do not collide. A smoke run checks that the bench finishes with status 0 and prints its
report, not its figures. To add a bench, add its row to BENCHES.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from benches import support
from benches.support import REPO_ROOT

pytestmark = pytest.mark.services

SUFFIX = f"smoke{os.getpid()}"

# (module, its arguments, a line its report prints): one row per bench.
BENCHES = [
    (
        "adoption_bench",
        f"--use-cases 1000 --users 50 --vendors 20 --requests 2 --warmups 1 --database bench_{SUFFIX}_adoption "
        "--reseed --drop",
        "| `summary` |",
    ),
    (
        "reminders_bench",
        f"--use-cases 200 --due 10 --owners 10 --database bench_{SUFFIX}_reminders",
        "| send_due | 10 |",
    ),
    (
        "load_run",
        f"--users 5 --duration 3 --workers 1 --threads 2 --initial 10 --no-worker --database bench_load_{SUFFIX}",
        "passed: 0 errors",
    ),
    # Its scenarios take minutes (a private PostgreSQL cluster and Redis): tests/usecases/test_faults.py runs
    # their short versions; here the script and what it shares with the load run must still import.
    ("fault_runs", "--help", "usage:"),
    ("side_by_side", f"--use-cases 20 --requests 4 --no-base --database bench_{SUFFIX}_side", "endpoint / floor"),
    (
        "exports_bench",
        f"--use-cases 20 --users 200 --database bench_{SUFFIX}_exports",
        "| `GET /usecases/export.csv` | 20 |",
    ),
    (
        "import_bench",
        f"--use-cases 20 --database bench_{SUFFIX}_imports",
        "| confirm | 20 |",
    ),
    ("nightly_bench", f"--use-cases 20 --users 50 --database bench_{SUFFIX}_nightly", "| refresh | use cases |"),
    (
        "compression",
        f"--use-cases 50 --requests 2 --database bench_{SUFFIX}_compression",
        "| `GET /api/v1/use-cases/?page_size=50` (JSON) |",
    ),
]


def server_url():
    database = settings.DATABASES["default"]
    user = database.get("USER") or ""
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{database.get('HOST') or '127.0.0.1'}:{database.get('PORT') or 5432}/postgres"


@pytest.fixture(scope="module")
def runs():
    """Every bench started at once (they wait on the database, servers and sleeps more than on the
    CPUs, so together they take about as long as the slowest); each test then waits for its own."""
    if connection.vendor != "postgresql":
        yield {}
        return
    # One migrated database that every bench copies (CREATE DATABASE ... TEMPLATE) instead of
    # migrating its own: four migrations at once would take most of the time.
    template = f"bench_{SUFFIX}_template"
    support.recreate_database(server_url(), template)
    env = {**os.environ, "DATABASE_URL": server_url(), "LOG_LEVEL": "WARNING"}
    subprocess.run(  # noqa: S603 - this interpreter, the project's manage.py
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=REPO_ROOT,
        env={**env, "DATABASE_URL": support.with_database(server_url(), template)},
        check=True,
        timeout=180,
    )
    env["BENCH_TEMPLATE_DATABASE"] = template
    started = {}
    for module, arguments, _expected in BENCHES:
        started[module] = subprocess.Popen(  # noqa: S603 - this interpreter, a bench of this repository
            [sys.executable, "-m", f"benches.{module}", *arguments.split()],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        yield started
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
        support.drop_database(server_url(), template)


@pytest.mark.parametrize(("module", "arguments", "expected"), BENCHES, ids=[row[0] for row in BENCHES])
def test_bench_runs_at_a_tiny_size(postgres, runs, module, arguments, expected):
    stdout, stderr = runs[module].communicate(timeout=240)
    output = stdout + stderr
    assert runs[module].returncode == 0, output[-4000:]
    assert expected in stdout, output[-4000:]
