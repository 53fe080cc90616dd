"""Load run: gunicorn with several workers on PostgreSQL, many simulated users for a fixed time,
mixed reads and writes; then every write the clients saw succeed is counted in the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benches/load_run.py [--duration 60] [--users 30] [--workers 4]

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
import collections
import contextlib
import datetime
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
BIN = Path(sys.executable).parent

PASSWORD = "load-run-password-2026"  # noqa: S105 - scratch accounts of a throw-away database
TITLE_PREFIX = "load"
ROLE_SHARES = (("requester", 0.6), ("reviewer", 0.2), ("executive", 0.2))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_arguments(parser)
    parser.add_argument("--database", default="bench_load", help="scratch database (name starts with bench_load)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database at the end")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
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


# --- Database and environment --------------------------------------------------------------------


def server_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must be a postgres://user@host:port/name URL (the run measures PostgreSQL).")
    return url


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def psycopg_url(url):
    return url.replace("postgres://", "postgresql://", 1)


def recreate_database(url, name):
    import psycopg
    from psycopg import sql

    with psycopg.connect(psycopg_url(url), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url, name):
    import psycopg
    from psycopg import sql

    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()
    with psycopg.connect(psycopg_url(url), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def app_environment(database_url, broker_url, mail_dir, extra=None):
    """The environment of the web and worker processes (and of this one, for seeding)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "EMAIL_", "SECURE_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        SECRET_KEY=os.environ.get("LOAD_SECRET_KEY") or "load-run-" + secrets.token_urlsafe(32),
        SECURE_COOKIES="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        EMAIL_URL=f"filemail://{mail_dir}",
        WHITENOISE_USE_FINDERS="true",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def setup_django(env):
    """Point this process at the scratch database with the web processes' settings."""
    os.environ.update(env)
    import django

    django.setup()


def migrate():
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


# --- Seeding ---------------------------------------------------------------------------------------

DEPARTMENTS = [("load-marketing", "マーケティング部", "Marketing"), ("load-sales", "営業部", "Sales"),
               ("load-support", "サポート部", "Support")]  # fmt: skip
INITIAL_STATUSES = ["draft", "submitted", "in_review", "approved", "piloting", "in_production", "rejected", "withdrawn"]


def role_counts(users):
    counts = {role: max(1, round(users * share)) for role, share in ROLE_SHARES}
    counts["requester"] = max(1, users - counts["reviewer"] - counts["executive"])
    return counts


def seed(users, initial):
    """People with tokens, an approved vendor with two models, ``initial`` use cases. Returns a
    dict the client side needs: {"people": [(username, role, key)], "models": [ids], ...}."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from portal.models import Department, ReferenceSequence
    from portal.services import create_api_token, next_reference
    from usecases.models import UseCase
    from vendors.models import AIModel, Licence, Vendor

    User = get_user_model()
    departments = [Department.objects.create(code=code, name=name, name_en=en) for code, name, en in DEPARTMENTS]
    password = make_password(PASSWORD)  # the production hasher: each login costs what it costs
    groups = {group.name: group for group in Group.objects.all()}
    people = []
    for role, count in role_counts(users).items():
        for n in range(count):
            user = User.objects.create(
                username=f"load-{role}-{n}",
                email=f"load-{role}-{n}@example.com",
                password=password,
                department=departments[n % len(departments)] if role != "executive" else None,
                language="ja" if n % 2 else "en",
            )
            user.groups.add(groups[role])
            if role == "reviewer":
                user.groups.add(groups["it-review"], groups["data-security-review"])
            _token, key = create_api_token(user, "load run")
            people.append(
                {"username": user.username, "role": role, "key": key, "id": user.pk, "department": user.department_id}
            )

    vendor = Vendor.objects.create(
        name="Load AI Inc.",
        kind="closed_api",
        headquarters_country="JP",
        status="approved",
        approved_level="confidential",
        zero_retention_available=True,
        next_reassessment_on=timezone.localdate() + datetime.timedelta(days=365),
    )
    licence = Licence.objects.get(identifier="LicenseRef-Proprietary-API")
    models = [
        AIModel.objects.create(
            name=f"load-model-{n}",
            publisher=vendor,
            openness="closed_api",
            licence=licence,
            price_input_per_million="2.50",
            price_output_per_million="10.00",
        ).pk
        for n in range(2)
    ]

    # Initial use cases in bulk (lists, pages and figures read them); references from the
    # application's counter, so it stays consistent with the rows.
    requesters = [p for p in people if p["role"] == "requester"]
    owners = {user.pk: user for user in User.objects.filter(pk__in=[p["id"] for p in requesters])}
    year = timezone.localdate().year
    rows = []
    now = timezone.now()
    for n in range(initial):
        owner = owners[requesters[n % len(requesters)]["id"]]
        status = INITIAL_STATUSES[n % len(INITIAL_STATUSES)]
        rows.append(
            UseCase(
                reference=next_reference("UC", year),
                title=f"seeded {n}",
                summary="広告コピーの案を出し、担当者が選ぶ。",
                department_id=owner.department_id,
                owner=owner,
                category="creative",
                audience="internal",
                data_classification="public",
                intended_style="closed_api",
                monthly_requests=1000 + n,
                avg_input_tokens=800,
                avg_output_tokens=400,
                status=status,
                roadmap_step=1 if status in ("draft", "submitted", "in_review") else 2,
                submitted_at=None if status == "draft" else now,
                approved_at=now if status in ("approved", "piloting", "in_production") else None,
            )
        )
    with transaction.atomic():
        UseCase.objects.bulk_create(rows, batch_size=500)
    sequence = ReferenceSequence.objects.get(scope=f"UC-{year}")
    by_department = collections.defaultdict(list)
    for row in rows:
        by_department[row.department_id].append(row.reference)
    return {
        "references": [row.reference for row in rows],
        "by_department": dict(by_department),
        "people": people,
        "models": models,
        "year": year,
        "sequence_before": sequence.last_value,
    }


# --- gunicorn and the worker --------------------------------------------------------------------------


class Servers:
    """gunicorn (and a Celery worker) as child processes in their own session, logs in ``folder``."""

    def __init__(self, env, folder, workers, threads, celery_worker=True, port=None, worker_class="gthread",
                 keep_alive=None):  # fmt: skip
        self.env = env
        self.folder = Path(folder)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.threads = threads
        self.celery_worker = celery_worker
        self.worker_class = worker_class
        self.keep_alive = keep_alive
        self.processes = {}

    @classmethod
    def from_args(cls, env, folder, args):
        """The servers the command-line options describe (load_run.py and fault_runs.py share them)."""
        return cls(
            env,
            folder,
            args.workers,
            args.threads,
            celery_worker=not args.no_worker,
            worker_class=args.worker_class,
            keep_alive=args.keep_alive,
        )

    def start(self, timeout=60):
        self.processes["web"] = self._spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                self.worker_class,
                "--threads",
                str(self.threads),
                *(["--keep-alive", str(self.keep_alive)] if self.keep_alive is not None else []),
                "--timeout",
                "60",
                "--graceful-timeout",
                "10",
                "--error-logfile",
                "-",
                # Time spent in the worker per request (microseconds), apart from queueing.
                "--access-logfile",
                str(self.folder / "access.log"),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(D)s",
            ],
        )
        if self.celery_worker:
            self.processes["worker"] = self._spawn(
                "worker",
                [
                    str(BIN / "celery"),
                    "-A",
                    "portal",
                    "worker",
                    "--concurrency=1",
                    "--loglevel=WARNING",
                    "--without-mingle",
                    "--without-gossip",
                    "-n",
                    f"load-{self.port}@%h",
                ],
            )
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name, command):
        log = (self.folder / f"{name}.log").open("ab")
        return subprocess.Popen(  # noqa: S603 - our own venv's executables
            command,
            cwd=REPO_ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout):
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.tail(name)}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base}/accounts/login/", timeout=5).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.tail('web')}")

    def tail(self, name, lines=60):
        path = self.folder / f"{name}.log"
        if not path.exists():
            return "(no output)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self):
        """The gunicorn worker processes (children of the master)."""
        master = self.processes["web"].pid
        with contextlib.suppress(FileNotFoundError):
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
            return [int(pid) for pid in children]
        return []

    def alive(self):
        return {name: process.poll() is None for name, process in self.processes.items()}

    def stop(self):
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop within 20 s of SIGTERM; killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


# --- The simulated users --------------------------------------------------------------------------


class Recorder:
    """Every request: (kind, started on the run's clock, seconds, status or exception name, ok)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []
        self.errors = []
        self.retry_after = collections.Counter()  # 503 responses with / without a Retry-After header
        self.t0 = time.monotonic()

    def add(self, kind, started, seconds, status, ok, detail=""):
        with self.lock:
            self.samples.append((kind, started - self.t0, seconds, status, ok))
            if not ok and len(self.errors) < 200:
                self.errors.append((kind, round(started - self.t0, 2), status, detail[:300]))


class Ledger:
    """What the clients saw: writes acknowledged and writes that failed (outcome unknown)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.creates = {}  # title -> {"ok": bool, "reference": str|None, "models": int, "owner": username}
        self.acked = collections.defaultdict(collections.Counter)  # reference -> Counter(action)
        self.failed = collections.defaultdict(collections.Counter)
        self.decisions = {}  # stage id -> (decision, reviewer username, ok)
        self.measurements = []  # (kpi id, date iso, value, ok)

    def create(self, title, ok, reference, models, owner):
        with self.lock:
            self.creates[title] = {"ok": ok, "reference": reference, "models": models, "owner": owner}

    def write(self, reference, action, ok):
        with self.lock:
            (self.acked if ok else self.failed)[reference][action] += 1


class Client:
    """One simulated user's HTTP side: a requests.Session with a token and, after ``login``, a session."""

    def __init__(self, base, person, recorder, timeout=30):
        import requests

        self.base = base
        self.person = person
        self.recorder = recorder
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "ja" if person["id"] % 2 else "en"
        self.token = {"Authorization": f"Token {person['key']}"}

    def login(self):
        page = self.http.get(f"{self.base}/accounts/login/", timeout=self.timeout)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if page.status_code != 200 or match is None:
            raise RuntimeError(f"login page: {page.status_code}")
        response = self.http.post(
            f"{self.base}/accounts/login/",
            data={"username": self.person["username"], "password": PASSWORD, "csrfmiddlewaretoken": match[1]},
            headers={"Referer": f"{self.base}/accounts/login/"},
            allow_redirects=False,
            timeout=self.timeout,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login of {self.person['username']}: {response.status_code} {response.text[:200]}")

    def call(self, kind, method, path, expected, *, api=True, **kwargs):
        """One request; returns the response when its status is the expected one, else None."""
        headers = self.token if api else {}
        started = time.monotonic()
        try:
            response = self.http.request(
                method, self.base + path, headers=headers, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except Exception as error:  # noqa: BLE001 - every exception is an outcome to count
            self.recorder.add(kind, started, time.monotonic() - started, type(error).__name__, False, repr(error))
            return None
        seconds = time.monotonic() - started
        ok = response.status_code == expected
        if response.status_code == 503:
            with self.recorder.lock:
                self.recorder.retry_after["with" if response.headers.get("Retry-After") else "without"] += 1
        self.recorder.add(kind, started, seconds, response.status_code, ok, "" if ok else response.text)
        return response if ok else None


def use_case_payload(title, models, rng):
    payload = {
        "title": title,
        "summary": "問い合わせメールの返信案を作り、担当者が確認して送る。",
        "category": rng.choice(["creative", "content_seo", "sales_support", "analytics"]),
        "audience": "internal",
        "data_classification": "public",
        "involves_personal_data": False,
        "intended_style": "closed_api",
        "monthly_requests": rng.randint(100, 50_000),
        "avg_input_tokens": rng.randint(200, 4000),
        "avg_output_tokens": rng.randint(100, 2000),
        "tasks": [
            {"description": "返信案を作る", "performer": "ai"},
            {"description": "内容を確認して送信を決める", "performer": "human"},
        ],
        "kpis": [{"name": "一次回答時間", "unit": "分", "direction": "decrease", "baseline": "30", "target": "10"}],
    }
    if models:
        payload["models"] = [{"ai_model": model, "deployment": "closed_api"} for model in models]
    return payload


class SimulatedUser(threading.Thread):
    """A simulated user: loops over its role's actions until ``stop`` is set."""

    def __init__(self, client, role, index, n_reviewers, context, ledger, stop, rng, think):
        super().__init__(daemon=True, name=client.person["username"])
        self.client = client
        self.role = role
        self.index = index
        self.n_reviewers = n_reviewers
        self.context = context
        self.ledger = ledger
        self.stop = stop
        self.rng = rng
        self.think = think
        self.drafts = []  # [{"reference", "version", "kpi"}]
        self.open = []  # submitted, not yet settled: [{"reference", "kpi"}]
        self.counter = 0
        self.measure_day = collections.Counter()

    def run(self):
        action = getattr(self, f"step_{self.role}")
        while not self.stop.is_set():
            action()
            if self.think:
                self.stop.wait(self.rng.uniform(0, 2 * self.think))

    def pick(self, weights):
        names = list(weights)
        return self.rng.choices(names, weights=[weights[name] for name in names])[0]

    # -- shared reads
    def read_list(self):
        self.client.call("api list", "GET", "/api/v1/use-cases/?page_size=20", 200)

    def read_detail(self, reference=None):
        if reference is None:  # requesters see their own department's use cases only
            if self.role == "requester":
                visible = self.context["by_department"][self.client.person["department"]]
            else:
                visible = self.context["references"]
            reference = self.rng.choice(visible)
        return self.client.call("api detail", "GET", f"/api/v1/use-cases/{reference}/", 200)

    def inventory_page(self):
        self.client.call("inventory page", "GET", "/usecases/", 200, api=False)

    # -- requesters
    def step_requester(self):
        weights = {"list": 22, "detail": 14, "page": 8, "create": 12, "check": 8}
        if self.drafts:
            weights.update(patch=10, submit=12)
        if self.drafts or self.open:
            weights["measure"] = 5
        getattr(self, f"requester_{self.pick(weights)}")()

    def requester_list(self):
        self.read_list()

    def requester_detail(self):
        own = [item["reference"] for item in self.drafts + self.open]
        self.read_detail(self.rng.choice(own) if own and self.rng.random() < 0.5 else None)

    def requester_page(self):
        self.inventory_page()

    def requester_create(self):
        self.counter += 1
        title = f"{TITLE_PREFIX} {self.context['run']} {self.client.person['username']} {self.counter}"
        models = self.context["models"][: self.rng.randint(0, 1)]
        response = self.client.call(
            "api create", "POST", "/api/v1/use-cases/", 201, json=use_case_payload(title, models, self.rng)
        )
        body = response.json() if response is not None else {}
        self.ledger.create(
            title, response is not None, body.get("reference"), len(models), self.client.person["username"]
        )
        if response is not None:
            self.drafts.append(
                {"reference": body["reference"], "version": body["version"], "kpi": body["kpis"][0]["id"]}
            )

    def requester_patch(self):
        item = self.rng.choice(self.drafts)
        self.counter += 1
        response = self.client.call(
            "api patch",
            "PATCH",
            f"/api/v1/use-cases/{item['reference']}/",
            200,
            json={"summary": f"改訂 {self.counter}: 返信案を作り、担当者が確認する。", "version": item["version"]},
        )
        self.ledger.write(item["reference"], "update", response is not None)
        if response is not None:
            item["version"] = response.json()["version"]
        else:
            self.drafts.remove(item)  # outcome unknown: leave it alone from now on

    def requester_submit(self):
        item = self.drafts.pop(self.rng.randrange(len(self.drafts)))
        response = self.client.call("api submit", "POST", f"/api/v1/use-cases/{item['reference']}/submit/", 200)
        self.ledger.write(item["reference"], "submit", response is not None)
        if response is not None:
            self.open.append(item)

    def requester_check(self):
        """Read one of mine in review; resubmit it when it was sent back, forget it once approved."""
        if not self.open:
            return self.read_list()
        item = self.rng.choice(self.open)
        response = self.read_detail(item["reference"])
        if response is None:
            return None
        status = response.json()["status"]
        if status == "approved":
            self.open.remove(item)
        elif status == "changes_requested":
            done = self.client.call("api resubmit", "POST", f"/api/v1/use-cases/{item['reference']}/submit/", 200)
            self.ledger.write(item["reference"], "resubmit", done is not None)
            if done is None:
                self.open.remove(item)
        return None

    def requester_measure(self):
        item = self.rng.choice(self.drafts + self.open)
        self.measure_day[item["kpi"]] += 1  # one new day per measurement: none replaces another
        day = (datetime.date.today() - datetime.timedelta(days=self.measure_day[item["kpi"]])).isoformat()
        value = f"{self.rng.uniform(5, 30):.2f}"
        response = self.client.call(
            "api measurement",
            "POST",
            f"/api/v1/use-cases/{item['reference']}/measurements/",
            201,
            json={"kpi": item["kpi"], "measured_on": day, "value": value},
        )
        self.ledger.write(item["reference"], "record_measurement", response is not None)
        with self.ledger.lock:
            self.ledger.measurements.append((item["kpi"], day, value, response is not None))

    # -- reviewers
    def step_reviewer(self):
        choice = self.pick({"queue": 45, "page": 20, "list": 15, "detail": 20})
        if choice == "queue":
            self.reviewer_queue()
        elif choice == "page":
            self.inventory_page()
        elif choice == "list":
            self.read_list()
        else:
            self.read_detail()

    def reviewer_queue(self):
        response = self.client.call("api stages mine", "GET", "/api/v1/approval-stages/?mine=true&page_size=100", 200)
        if response is None:
            return
        mine = [stage for stage in response.json()["results"] if stage["id"] % self.n_reviewers == self.index]
        if not mine:
            return
        stage = mine[0]
        if self.rng.random() < 0.75:
            decision, body = "approve", {"decision": "approve"}
        else:
            decision = "request_changes"
            body = {"decision": decision, "comment": "KPIの根拠を追記してください。"}
        done = self.client.call("api decide", "POST", f"/api/v1/approval-stages/{stage['id']}/decide/", 200, json=body)
        with self.ledger.lock:
            self.ledger.decisions[stage["id"]] = (decision, self.client.person["username"], done is not None)

    # -- executives
    def step_executive(self):
        choice = self.pick({"dashboard": 25, "summary": 25, "trend": 10, "page": 20, "list": 20})
        if choice == "dashboard":
            self.client.call("dashboard page", "GET", "/dashboard/", 200, api=False)
        elif choice == "summary":
            self.client.call("adoption summary", "GET", "/api/v1/adoption/summary/", 200)
        elif choice == "trend":
            self.client.call("adoption trend", "GET", "/api/v1/adoption/trend/", 200)
        elif choice == "page":
            self.inventory_page()
        else:
            self.client.call("api list", "GET", "/api/v1/use-cases/?page_size=50", 200)


def make_users(base, context, recorder, ledger, stop, seed_value, think):
    """Clients for every seeded person, logged in (in parallel) through the login form."""
    people = context["people"]
    n_reviewers = sum(1 for person in people if person["role"] == "reviewer")
    users, indexes = [], collections.Counter()
    for n, person in enumerate(people):
        client = Client(base, person, recorder)
        index = indexes[person["role"]]
        indexes[person["role"]] += 1
        rng = random.Random(seed_value * 1000 + n)
        users.append(SimulatedUser(client, person["role"], index, n_reviewers, context, ledger, stop, rng, think))
    failures = []

    def login(user):
        try:
            user.client.login()
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(f"{user.client.person['username']}: {error!r}")

    threads = [threading.Thread(target=login, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError("logins failed: " + "; ".join(failures[:5]))
    return users


def run_load(users, duration, stop, on_tick=None, tick=1.0):
    """Start the users, let them run ``duration`` seconds (calling ``on_tick(elapsed)`` each
    ``tick``), then stop and join them. Returns the measured wall time."""
    started = time.monotonic()
    for user in users:
        user.start()
    while (elapsed := time.monotonic() - started) < duration:
        if on_tick is not None:
            on_tick(elapsed)
        time.sleep(min(tick, max(0.0, duration - elapsed)))
    stop.set()
    for user in users:
        user.join(timeout=60)
    return time.monotonic() - started


# --- Figures ---------------------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def figures(samples, wall):
    """Per kind and overall: count, errors, p50/p95/p99/max ms, requests/s."""
    by_kind = collections.defaultdict(list)
    for kind, _started, seconds, _status, ok in samples:
        by_kind[kind].append((seconds * 1000, ok))
    rows = []
    for kind in sorted(by_kind):
        times = [ms for ms, _ok in by_kind[kind]]
        rows.append(_row(kind, times, sum(1 for _ms, ok in by_kind[kind] if not ok), wall))
    everything = [seconds * 1000 for _kind, _started, seconds, _status, _ok in samples]
    rows.append(_row("all", everything, sum(1 for sample in samples if not sample[4]), wall))
    return rows


def _row(kind, times, errors, wall):
    return {
        "kind": kind,
        "count": len(times),
        "errors": errors,
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "max": max(times) if times else float("nan"),
        "per_second": len(times) / wall if wall else 0.0,
    }


SERVER_KINDS = [  # (method, path pattern, kind) to name the access log's lines like the clients do
    ("GET", r"/api/v1/use-cases/", "api list"),
    ("POST", r"/api/v1/use-cases/", "api create"),
    ("GET", r"/api/v1/use-cases/UC-[0-9-]+/", "api detail"),
    ("PATCH", r"/api/v1/use-cases/UC-[0-9-]+/", "api patch"),
    ("POST", r"/api/v1/use-cases/UC-[0-9-]+/submit/", "api submit/resubmit"),
    ("POST", r"/api/v1/use-cases/UC-[0-9-]+/measurements/", "api measurement"),
    ("GET", r"/api/v1/approval-stages/", "api stages mine"),
    ("POST", r"/api/v1/approval-stages/[0-9]+/decide/", "api decide"),
    ("GET", r"/api/v1/adoption/summary/", "adoption summary"),
    ("GET", r"/api/v1/adoption/trend/", "adoption trend"),
    ("GET", r"/dashboard/", "dashboard page"),
    ("GET", r"/usecases/", "inventory page"),
]


def server_times(access_log):
    """{kind: [ms in the gunicorn worker]} from the access log (logins and probes left out)."""
    times = collections.defaultdict(list)
    path = Path(access_log)
    if not path.exists():
        return times
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        method, url, _status, micros = parts
        kind = next((k for m, pattern, k in SERVER_KINDS if m == method and re.fullmatch(pattern, url)), None)
        if kind is not None:
            times[kind].append(int(micros) / 1000)
            times["all"].append(int(micros) / 1000)
    return times


def print_server_times(times):
    if not times:
        return
    print("\ntime inside the gunicorn workers (access log), apart from waiting for a free worker thread:\n")
    print("| request | count | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|")
    for kind in sorted(times, key=lambda k: (k == "all", k)):
        values = times[kind]
        name = f"**{kind}**" if kind == "all" else kind
        print(
            f"| {name} | {len(values):,} | {percentile(values, 0.5):.0f} | {percentile(values, 0.95):.0f} | "
            f"{percentile(values, 0.99):.0f} |"
        )


def print_table(rows):
    print("| request | count | errors | p50 ms | p95 ms | p99 ms | max ms | req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        name = f"**{row['kind']}**" if row["kind"] == "all" else row["kind"]
        print(
            f"| {name} | {row['count']:,} | {row['errors']} | {row['p50']:.0f} | {row['p95']:.0f} | "
            f"{row['p99']:.0f} | {row['max']:.0f} | {row['per_second']:.1f} |"
        )


# --- Verification ---------------------------------------------------------------------------------

TRANSITION_ACTIONS = ("submit", "resubmit", "approve", "approve_stage", "request_changes", "reject", "withdraw")
COUNTED_ACTIONS = ("update", "submit", "resubmit", "record_measurement")


def verify(context, ledger):
    """Compare what the clients saw with the database. Returns (figures dict, [problems])."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections
    from django.db.models import Count

    from governance.models import ApprovalStage
    from portal.models import AuditEvent, ReferenceSequence
    from usecases.models import Kpi, KpiMeasurement, UseCase, UseCaseModel, UseCaseTask

    connections.close_all()  # the server may have restarted since this process last asked
    problems = []
    prefix = f"{TITLE_PREFIX} {context['run']} "
    rows = {uc.title: uc for uc in UseCase.objects.filter(title__startswith=prefix)}
    acked_titles = {title for title, item in ledger.creates.items() if item["ok"]}
    failed_titles = {title for title, item in ledger.creates.items() if not item["ok"]}
    lost_creates = sorted(acked_titles - set(rows))
    phantom_creates = sorted(set(rows) - acked_titles - failed_titles)
    ambiguous_creates = sorted(set(rows) & failed_titles)  # failed for the client, yet committed
    for title in acked_titles & set(rows):
        if rows[title].reference != ledger.creates[title]["reference"]:
            problems.append(f"{title}: reference {rows[title].reference}, the client was told {ledger.creates[title]}")
    if lost_creates:
        problems.append(f"lost creates (acknowledged, not in the database): {lost_creates[:5]}")
    if phantom_creates:
        problems.append(f"use cases no client created: {phantom_creates[:5]}")
    if ambiguous_creates:
        problems.append(f"creates reported failed but committed: {ambiguous_creates[:5]}")

    ids = {uc.pk: uc for uc in rows.values()}
    content_type = ContentType.objects.get_for_model(UseCase)
    events = collections.defaultdict(collections.Counter)
    last_state = {}
    for object_id, action, to_state in (
        AuditEvent.objects.filter(content_type=content_type, object_id__in=[str(pk) for pk in ids])
        .order_by("pk")
        .values_list("object_id", "action", "to_state")
    ):
        events[int(object_id)][action] += 1
        if to_state:
            last_state[int(object_id)] = to_state
    children = {}
    for name, model in (("tasks", UseCaseTask), ("kpis", Kpi), ("models", UseCaseModel)):
        counts = model.objects.filter(use_case_id__in=ids).values("use_case_id").annotate(n=Count("id"))
        children[name] = dict(counts.values_list("use_case_id", "n"))
    stages = collections.defaultdict(list)
    for stage in ApprovalStage.objects.filter(use_case_id__in=ids):
        stages[stage.use_case_id].append(stage)

    lost_writes = phantom_writes = ambiguous_writes = 0
    acked_total = collections.Counter()
    for title, uc in rows.items():
        counted = events[uc.pk]
        expected_models = ledger.creates.get(title, {}).get("models", 0)
        whole = (
            counted["create"] == 1
            and children["tasks"].get(uc.pk, 0) == 2
            and children["kpis"].get(uc.pk, 0) == 1
            and children["models"].get(uc.pk, 0) == expected_models
        )
        if not whole:
            problems.append(
                f"{uc.reference} is not whole: create events {counted['create']}, tasks "
                f"{children['tasks'].get(uc.pk, 0)}, kpis {children['kpis'].get(uc.pk, 0)}, models "
                f"{children['models'].get(uc.pk, 0)} (expected {expected_models})"
            )
        transitions = sum(counted[action] for action in TRANSITION_ACTIONS)
        if uc.version != 1 + counted["update"] + transitions:
            problems.append(f"{uc.reference}: version {uc.version} but {counted['update']} edits, {transitions} moves")
        if counted["plan_stages"] != counted["submit"] + counted["resubmit"]:
            problems.append(f"{uc.reference}: {counted['plan_stages']} stage plans for {counted['submit']} submits")
        if last_state.get(uc.pk) != uc.status:
            problems.append(f"{uc.reference}: status {uc.status}, its audit trail ends at {last_state.get(uc.pk)}")
        if uc.status != "draft" and uc.submitted_at is None:
            problems.append(f"{uc.reference}: {uc.status} without a submission date")
        if uc.status in ("submitted", "in_review") and not any(s.status == "pending" for s in stages[uc.pk]):
            problems.append(f"{uc.reference}: in review with no pending stage")
        acked, failed = ledger.acked.get(uc.reference, {}), ledger.failed.get(uc.reference, {})
        for action in COUNTED_ACTIONS:
            db, ok, ko = counted[action], acked.get(action, 0), failed.get(action, 0)
            acked_total[action] += ok
            lost_writes += max(0, ok - db)
            phantom_writes += max(0, db - ok - ko)
            ambiguous_writes += min(ko, max(0, db - ok))
            if db < ok:
                problems.append(f"{uc.reference}: {ok} {action} acknowledged, {db} in the audit trail (lost)")
            elif db > ok + ko:
                problems.append(f"{uc.reference}: {db} {action} in the audit trail, only {ok} + {ko} sent")

    # Stage decisions.
    decided = {stage.pk: stage for stage in ApprovalStage.objects.filter(pk__in=list(ledger.decisions))}
    acked_decisions = 0
    for stage_id, (decision, username, ok) in ledger.decisions.items():
        stage = decided.get(stage_id)
        in_db = stage is not None and stage.decision == decision and stage.decided_by.username == username
        if ok:
            acked_decisions += 1
            if not in_db:
                lost_writes += 1
                problems.append(
                    f"stage {stage_id}: {decision} acknowledged, in the database {stage and stage.decision}"
                )
        elif in_db:
            ambiguous_writes += 1
            problems.append(f"stage {stage_id}: {decision} reported failed but committed")
    ambiguous_decisions = sum(
        1 for stage_id, (decision, _u, ok) in ledger.decisions.items()
        if not ok and stage_id in decided and decided[stage_id].decision == decision
    )  # fmt: skip
    load_reviewers = [p["username"] for p in context["people"] if p["role"] == "reviewer"]
    decided_in_db = ApprovalStage.objects.filter(decided_by__username__in=load_reviewers).count()
    if decided_in_db != acked_decisions + ambiguous_decisions:
        problems.append(f"{decided_in_db} stages decided by the run's reviewers, {acked_decisions} acknowledged")

    # KPI measurements.
    stored = set(KpiMeasurement.objects.filter(kpi__use_case_id__in=ids).values_list("kpi_id", "measured_on", "value"))
    stored_keys = {(kpi, day.isoformat()): value for kpi, day, value in stored}
    acked_measurements = 0
    for kpi, day, value, ok in ledger.measurements:
        if ok:
            acked_measurements += 1
            if stored_keys.get((kpi, day)) is None or f"{stored_keys[(kpi, day)]:.2f}" != value:
                problems.append(f"measurement of KPI {kpi} on {day} acknowledged, not stored")

    # Reference codes: the counter matches the rows, with no gap and no duplicate.
    year = context["year"]
    references = list(UseCase.objects.filter(reference__startswith=f"UC-{year}-").values_list("reference", flat=True))
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    counter = ReferenceSequence.objects.get(scope=f"UC-{year}").last_value
    if numbers != list(range(1, len(numbers) + 1)) or counter != len(numbers):
        problems.append(f"references: counter {counter}, {len(numbers)} rows, highest {numbers[-1] if numbers else 0}")

    summary = {
        "use_cases_created": len(acked_titles),
        "creates_failed": len(failed_titles),
        "rows": len(rows),
        "lost_creates": len(lost_creates),
        "phantom_creates": len(phantom_creates),
        "ambiguous_creates": len(ambiguous_creates),
        "edits": acked_total["update"],
        "submits": acked_total["submit"],
        "resubmits": acked_total["resubmit"],
        "measurements": acked_measurements,
        "decisions": acked_decisions,
        "lost_writes": lost_writes + len(lost_creates),
        "phantom_writes": phantom_writes + len(phantom_creates),
        "ambiguous_writes": ambiguous_writes + len(ambiguous_creates),
        "reference_counter": counter,
        "references": len(numbers),
    }
    return summary, problems


def print_verification(summary, problems):
    print(
        f"\nwrites acknowledged: {summary['use_cases_created']} creates, {summary['edits']} edits, "
        f"{summary['submits']} submits, {summary['resubmits']} resubmits, {summary['decisions']} stage decisions, "
        f"{summary['measurements']} KPI measurements"
    )
    print(
        f"in the database: {summary['rows']} use cases of the run; lost writes {summary['lost_writes']}, "
        f"writes no client saw succeed {summary['phantom_writes'] + summary['ambiguous_writes']} "
        f"(of which reported failed but committed {summary['ambiguous_writes']}); reference counter "
        f"{summary['reference_counter']} for {summary['references']} references"
    )
    if problems:
        print(f"\nverification found {len(problems)} problem(s):")
        for problem in problems[:40]:
            print(f"  - {problem}")
    else:
        print("verification: every acknowledged write is in the database once, every use case is whole")


def print_errors(recorder, limit=15):
    if not recorder.errors:
        return
    print(f"\nfirst errors ({len(recorder.errors)} recorded):")
    for kind, at, status, detail in recorder.errors[:limit]:
        print(f"  {at:7.2f} s  {kind:<18} {status}  {' '.join(detail.split())[:160]}")


# --- Main -------------------------------------------------------------------------------------------


def prepare(database_url, broker_url, folder, args, extra_env=None):
    """Environment, Django in this process, migrate, seed. Returns (env, context)."""
    env = app_environment(database_url, broker_url, Path(folder) / "mail", extra_env)
    setup_django(env)
    seconds = migrate()
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


def main():
    args = parse_args()
    url = server_url()
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    recreate_database(url, args.database)
    database_url = with_database(url, args.database)
    failed, total = True, None
    with tempfile.TemporaryDirectory(prefix="load-run-") as folder:
        try:
            env, context = prepare(database_url, broker, folder, args)
            servers = Servers.from_args(env, folder, args).start()
            try:
                recorder, ledger, stop = Recorder(), Ledger(), threading.Event()
                users = make_users(servers.base, context, recorder, ledger, stop, args.seed, args.think)
                print(
                    f"gunicorn on {servers.base}: {args.workers} {args.worker_class} workers x {args.threads} threads"
                    f"{'' if args.keep_alive is None else f', keep-alive {args.keep_alive} s'}, "
                    f"{'a' if not args.no_worker else 'no'} Celery worker; {len(users)} users logged in; "
                    f"{os.cpu_count()} CPUs; running {args.duration:.0f} s, think time 0-{2 * args.think:.1f} s"
                )
                load_before = os.getloadavg()
                recorder.t0 = time.monotonic()
                wall = run_load(users, args.duration, stop)
                alive = servers.alive()
                load_after = os.getloadavg()
            finally:
                servers.stop()
                if args.no_worker:
                    purge_broker(env)
            rows = figures(recorder.samples, wall)
            print(
                f"\nmeasured {wall:.1f} s; server processes alive at the end: {alive}; load average "
                f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min; other jobs share the machine)\n"
            )
            print_table(rows)
            print_server_times(server_times(Path(folder) / "access.log"))
            print_errors(recorder)
            summary, problems = verify(context, ledger)
            print_verification(summary, problems)
            total = rows[-1]
            failed = bool(total["errors"] or problems or not all(alive.values()))
            if args.json:
                args.json.write_text(json.dumps({"figures": rows, "verification": summary, "problems": problems}))
        finally:
            if not args.keep:
                drop_database(url, args.database)
    print(f"\n{'FAILED' if failed else 'passed'}: {total['errors'] if total else '?'} errors")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
