"""Faults against real processes: a request killed mid-transaction, Redis restarted with a reminder
send queued, PostgreSQL restarted under load.

Each test starts what it breaks: gunicorn against the pytest database (or a private copy of it),
a private ``redis-server`` or a private PostgreSQL cluster, on free ports, and removes them at
the end. The machine's own PostgreSQL and Redis are never stopped. ``benches/fault_runs.py``
runs the longer versions (more load, a real beat) and ``benches/README.md`` has their figures.
"""

import collections
import contextlib
import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.utils import timezone

from governance.models import ApprovalStage, Reminder
from governance.reminders import scan
from governance.tasks import send_due_reminders
from portal.celery import app as celery_app
from portal.models import AuditEvent, ReferenceSequence
from portal.services import create_api_token
from tests.conftest import require_service
from tests.factories import UseCaseFactory
from usecases.models import Kpi, UseCase, UseCaseTask

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BASE = "/api/v1/use-cases/"

pytestmark = [
    pytest.mark.services,
    # transaction=True: the server processes must see what the test committed. serialized_rollback
    # restores the migrations' data (roles, stage definitions) that the flush of such a test deletes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url(name=None):
    """A URL of the pytest database (what the server processes must use), or of ``name`` on its server."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(name or db['NAME'], safe='')}"


def _libpq(url):
    return url.replace("postgres://", "postgresql://", 1)


def _app_env(tmp_path, database_url, broker_url, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "EMAIL_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        SECRET_KEY="fault-tests-" + uuid.uuid4().hex,
        SECURE_COOKIES="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_ALWAYS_EAGER="true",
        EMAIL_URL=f"filemail://{tmp_path / 'mail'}",
        WHITENOISE_USE_FINDERS="true",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _tail(path, lines=60):
    path = Path(path)
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no output)"


class Process:
    """A child in its own session (so a kill reaches its children), output to ``log``."""

    def __init__(self, command, env, log):
        self.log = Path(log)
        with self.log.open("ab") as output:
            self.popen = subprocess.Popen(  # noqa: S603 - our own venv's executables
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self):
        return self.popen.poll() is None

    def kill(self, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def children(self):
        pid = self.popen.pid
        with contextlib.suppress(FileNotFoundError):
            return sorted(int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        return []


def _gunicorn(env, log, workers=1, worker_class="sync", threads=1):
    port = _free_port()
    command = [
        str(BIN / "gunicorn"),
        "portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--error-logfile",
        "-",
    ]
    server = Process(command, env, log)
    server.base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.alive(), f"gunicorn exited:\n{_tail(log)}"
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{server.base}/accounts/login/", timeout=5).status_code == 200:
                return server
        time.sleep(0.2)
    server.kill()
    pytest.fail(f"gunicorn did not answer within 60 s:\n{_tail(log)}")


def _complete_payload(title):
    return {
        "title": title,
        "summary": "問い合わせの返信案を作り、担当者が確認して送る。",
        "category": "sales_support",
        "audience": "internal",
        "data_classification": "public",
        "involves_personal_data": False,
        "intended_style": "closed_api",
        "monthly_requests": 1000,
        "avg_input_tokens": 800,
        "avg_output_tokens": 400,
        "tasks": [
            {"description": f"{title}: 返信案を作る", "performer": "ai"},
            {"description": f"{title}: 確認して送信を決める", "performer": "human"},
        ],
        "kpis": [
            {"name": f"{title}: 一次回答時間", "unit": "分", "direction": "decrease", "baseline": "30", "target": "10"}
        ],
    }


# --- A request killed mid-transaction -----------------------------------------------------------------


@contextlib.contextmanager
def _audit_table_locked():
    """A second connection holds EXCLUSIVE on the audit table: reads go on, but the audit event that
    every use-case change writes last in its transaction waits, with the rest already written."""
    with psycopg.connect(_libpq(_database_url())) as locker:
        locker.execute("LOCK TABLE portal_auditevent IN EXCLUSIVE MODE")
        try:
            yield locker
        finally:
            locker.rollback()


def _wait_for_waiter(timeout=30):
    """The pid of the server's backend blocked inserting the audit event (there must be exactly one).
    Asked on a connection of its own in autocommit: within a transaction pg_stat_activity is a snapshot."""
    with psycopg.connect(_libpq(_database_url()), autocommit=True) as probe:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = probe.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND query LIKE %s",
                ['INSERT INTO "portal_auditevent"%'],
            ).fetchall()
            if rows:
                assert len(rows) == 1, rows
                return rows[0][0]
            time.sleep(0.05)
    pytest.fail("the request never reached the audit event insert")


def _wait_backend_gone(pid, timeout=30):
    with psycopg.connect(_libpq(_database_url()), autocommit=True) as probe:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if probe.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is None:
                return
            time.sleep(0.05)
    pytest.fail(f"backend {pid} of the killed server is still there after {timeout} s")


def _tables_written_by(pid):
    """Tables the backend ``pid`` has written in its open transaction (it holds RowExclusiveLock on them)."""
    with psycopg.connect(_libpq(_database_url()), autocommit=True) as probe:
        rows = probe.execute(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = %s AND l.mode = 'RowExclusiveLock' AND l.granted AND c.relkind = 'r'",
            [pid],
        ).fetchall()
    return {name for (name,) in rows}


def _kill_mid_request(server, method, url, written, **kwargs):
    """Send the request, wait until its transaction is blocked on the audit table having written
    the tables ``written``, SIGKILL the server, and return the backend pid that held the open
    transaction. The caller releases the lock."""
    outcome = {}

    def send():
        try:
            outcome["response"] = requests.request(method, url, timeout=60, **kwargs)
        except requests.RequestException as error:
            outcome["error"] = error

    sender = threading.Thread(target=send)
    sender.start()
    pid = _wait_for_waiter()
    assert written <= _tables_written_by(pid), "the request had not written what it should before the audit event"
    server.kill(signal.SIGKILL)
    sender.join(timeout=30)
    assert "response" not in outcome, f"the killed server answered: {outcome['response'].status_code}"
    assert isinstance(outcome.get("error"), requests.ConnectionError), outcome
    return pid


def _reference_number(reference):
    return int(reference.rsplit("-", 1)[1])


def test_request_killed_mid_create_leaves_no_half_written_use_case(postgres, requester, tmp_path):
    _token, key = create_api_token(requester, "fault test")
    headers = {"Authorization": f"Token {key}"}
    env = _app_env(tmp_path, _database_url(), settings.CELERY_BROKER_URL)
    server = _gunicorn(env, tmp_path / "web.log")
    try:
        first = requests.post(server.base + BASE, json=_complete_payload("killed-before"), headers=headers, timeout=30)
        assert first.status_code == 201, first.text
        events_before = AuditEvent.objects.count()
        title = "killed-mid-create"
        with _audit_table_locked():
            # Inside the open transaction the use case, its tasks and KPI are already inserted.
            written = {"portal_referencesequence", "usecases_usecase", "usecases_usecasetask", "usecases_kpi"}
            pid = _kill_mid_request(
                server, "POST", server.base + BASE, written, json=_complete_payload(title), headers=headers
            )
        _wait_backend_gone(pid)
    finally:
        server.kill()
    connections.close_all()
    assert not UseCase.objects.filter(title=title).exists()
    assert not UseCaseTask.objects.filter(description__startswith=title).exists()
    assert not Kpi.objects.filter(name__startswith=title).exists()
    assert AuditEvent.objects.count() == events_before
    # The reference counter was rolled back with the rest: the next use case takes the next number.
    counter = ReferenceSequence.objects.get(scope=first.json()["reference"].rsplit("-", 1)[0])
    assert counter.last_value == _reference_number(first.json()["reference"])

    server = _gunicorn(env, tmp_path / "web-again.log")
    try:
        after = requests.post(server.base + BASE, json=_complete_payload("after-kill"), headers=headers, timeout=30)
    finally:
        server.kill()
    assert after.status_code == 201, after.text
    assert _reference_number(after.json()["reference"]) == _reference_number(first.json()["reference"]) + 1
    assert UseCase.objects.filter(title__in=["killed-before", "after-kill"]).count() == 2


def test_request_killed_mid_submit_leaves_the_draft_as_it_was(postgres, requester, reviewer, tmp_path):
    _token, key = create_api_token(requester, "fault test")
    headers = {"Authorization": f"Token {key}"}
    env = _app_env(tmp_path, _database_url(), settings.CELERY_BROKER_URL)
    server = _gunicorn(env, tmp_path / "web.log")
    try:
        created = requests.post(
            server.base + BASE, json=_complete_payload("submit-killed"), headers=headers, timeout=30
        )
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]
        use_case = UseCase.objects.get(reference=reference)
        events_before = list(AuditEvent.objects.filter(object_id=str(use_case.pk)).values_list("action", flat=True))
        path = f"{BASE}{reference}/submit/"
        with _audit_table_locked():
            # The status, version and submission date are updated in the open transaction.
            pid = _kill_mid_request(server, "POST", server.base + path, {"usecases_usecase"}, headers=headers)
        _wait_backend_gone(pid)
    finally:
        server.kill()
    connections.close_all()
    use_case.refresh_from_db()
    assert (use_case.status, use_case.version, use_case.submitted_at) == ("draft", 1, None)
    assert not ApprovalStage.objects.filter(use_case=use_case).exists()
    assert list(AuditEvent.objects.filter(object_id=str(use_case.pk)).values_list("action", flat=True)) == events_before

    # Nothing is left locked: the same submit goes through on a fresh server.
    server = _gunicorn(env, tmp_path / "web-again.log")
    try:
        again = requests.post(server.base + path, headers=headers, timeout=30)
    finally:
        server.kill()
    assert again.status_code == 200, again.text
    use_case.refresh_from_db()
    assert (use_case.status, use_case.version) == ("submitted", 2)
    assert ApprovalStage.objects.filter(use_case=use_case, status="pending").exists()


# --- Redis restarted: queued reminders are not lost ------------------------------------------------------


class PrivateRedis:
    def __init__(self, folder):
        require_service(shutil.which("redis-server") is not None, "redis-server")
        self.folder = Path(folder)
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        command = [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(self.folder)]  # fmt: skip
        self.process = Process(command, dict(os.environ), self.folder / "redis.log")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.client().ping():
                    return self
            time.sleep(0.05)
        pytest.fail(f"the private redis-server did not start:\n{_tail(self.folder / 'redis.log')}")

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def kill(self):
        if self.process is not None:
            self.process.kill(signal.SIGKILL)


def _enqueue_send(broker_url):
    """What beat (every minute) and the scan do: queue ``send_due_reminders`` on the broker."""
    with celery_app.connection_for_write(broker_url) as broker:
        send_due_reminders.apply_async(connection=broker)


def _mails_by_reminder(mail_dir):
    counts = collections.Counter()
    for path in Path(mail_dir).glob("*.log"):
        for match in re.finditer(r"^Message-ID: <reminder-(\d+)@", path.read_text(errors="replace"), re.MULTILINE):
            counts[int(match[1])] += 1
    return counts


def _wait_until_sent(worker, log, expected, timeout=45):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.alive(), f"the worker exited:\n{_tail(log)}"
        if Reminder.objects.filter(status="sent").count() >= expected:
            return
        time.sleep(0.2)
    pytest.fail(f"{Reminder.objects.exclude(status='sent').count()} reminders still unsent:\n{_tail(log)}")


def test_redis_restart_loses_no_queued_reminder(postgres, requester, other_requester, tmp_path):
    """The send task queued in Redis dies with it (no persistence), but the outbox rows live in the
    database: the next periodic send delivers each reminder exactly once. Then the same with the
    worker in the middle of sending (one row per batch) when Redis dies."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    def approved_due_tomorrow(owner):
        now = timezone.now()
        return UseCaseFactory(
            owner=owner, status="approved", submitted_at=now, approved_at=now, next_review_on=tomorrow
        )

    for n in range(12):
        approved_due_tomorrow(requester if n % 2 else other_requester)
    redis = PrivateRedis(tmp_path).start()
    mail_dir = tmp_path / "mail"
    env = _app_env(tmp_path, _database_url(), redis.url, CELERY_TASK_ALWAYS_EAGER="false", REMINDER_SEND_BATCH="1")
    worker = None
    celery_app.conf.task_always_eager = False  # the autouse fixture restores it
    try:
        # 1. Killed before any worker consumed the task.
        scan.scan()
        due = Reminder.objects.count()
        assert due >= 12 and Reminder.objects.filter(status="pending").count() == due
        _enqueue_send(redis.url)
        assert redis.client().llen("celery") == 1
        redis.kill()
        redis.start()
        assert redis.client().llen("celery") == 0, "a restarted Redis without persistence is empty"
        log = tmp_path / "worker.log"
        worker = Process(
            [str(BIN / "celery"), "-A", "portal", "worker", "--pool=solo", "--loglevel=INFO", "--without-mingle",
             "--without-gossip", "-n", f"faults-{uuid.uuid4().hex[:8]}@%h"],
            env,
            log,
        )  # fmt: skip
        time.sleep(1)
        assert Reminder.objects.filter(status="pending").count() == due, "nothing sends without a task"
        _enqueue_send(redis.url)  # beat's next run
        _wait_until_sent(worker, log, due)
        mails = _mails_by_reminder(mail_dir)
        assert set(mails) == set(Reminder.objects.values_list("pk", flat=True))
        assert set(mails.values()) == {1}, "each reminder e-mailed exactly once"

        # 2. Killed while the worker sends (REMINDER_SEND_BATCH=1: one claim per row).
        for _n in range(40):
            approved_due_tomorrow(requester)
        scan.scan()
        total = Reminder.objects.count()
        assert total >= due + 40
        _enqueue_send(redis.url)
        deadline = time.monotonic() + 30
        while Reminder.objects.filter(status="sent").count() <= due and time.monotonic() < deadline:
            time.sleep(0.02)
        redis.kill()
        in_flight = Reminder.objects.filter(status__in=["pending", "sending"]).count()
        redis.start()
        _enqueue_send(redis.url)  # beat's next run after Redis is back
        _wait_until_sent(worker, log, total)
        mails = _mails_by_reminder(mail_dir)
        assert set(mails) == set(Reminder.objects.values_list("pk", flat=True))
        assert set(mails.values()) == {1}, f"duplicates: {[pk for pk, n in mails.items() if n > 1]}"
        print(f"reminders: {due} + {total - due} sent exactly once; {in_flight} were unsent when Redis died")
    finally:
        if worker is not None:
            worker.kill(signal.SIGTERM)
        redis.kill()


# --- PostgreSQL restarted under load ------------------------------------------------------------------


def _postgres_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name))
    require_service(bool(found), "PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin)")
    return found[-1].parent


class PrivateCluster:
    """initdb in ``folder`` and a server on a free port; as root, run as the ``postgres`` user."""

    def __init__(self):
        self.bin = _postgres_bin()
        # Under the system's temporary folder (world-traversable), not pytest's 0700 one.
        self.folder = Path(tempfile.mkdtemp(prefix="pg-fault-test-"))
        self.data = self.folder / "data"
        self.port = _free_port()

    def run(self, *args):
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
        assert result.returncode == 0, f"{args[0]}: {result.stderr or result.stdout}"

    def init(self):
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        return self

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")
        return self

    def stop(self, mode="fast"):
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, name="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self):
        with contextlib.suppress(AssertionError, subprocess.SubprocessError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def _copy_test_database(cluster, name):
    """The migrated pytest database (roles, stage definitions, the test's users and token) copied
    into the private cluster: faster than migrating a new one."""
    with psycopg.connect(_libpq(cluster.url()), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dump = subprocess.run(  # noqa: S603
        [str(cluster.bin / "pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-d", _libpq(_database_url())],
        capture_output=True,
        timeout=120,
        check=True,
    )
    subprocess.run(  # noqa: S603
        [str(cluster.bin / "pg_restore"), "--no-owner", "--no-privileges", "-d", _libpq(cluster.url(name))],
        input=dump.stdout,
        capture_output=True,
        timeout=120,
        check=True,
    )


def test_postgres_restart_under_load_fails_cleanly_and_recovers(postgres, requester, executive, tmp_path):
    """gunicorn (2 workers) on a private cluster; clients create use cases and read lists while the
    cluster is stopped (fast: sessions terminated) and started again. During the outage every
    failure is a 503 with Retry-After (no 500, no reset connection); afterwards requests succeed
    again on the same gunicorn processes; every acknowledged create is in the database, whole."""
    keys = {user.username: create_api_token(user, "fault test")[1] for user in (requester, executive)}
    cluster = PrivateCluster()
    server = None
    try:
        cluster.init().start()
        _copy_test_database(cluster, "portal_faults")
        env = _app_env(tmp_path, cluster.url("portal_faults"), settings.CELERY_BROKER_URL)
        server = _gunicorn(env, tmp_path / "web.log", workers=2, worker_class="gthread", threads=2)
        workers_before = server.children()
        samples, acked, failed = [], [], []
        stop = threading.Event()
        lock = threading.Lock()
        t0 = time.monotonic()

        def client(name, username, writer):
            session = requests.Session()
            session.headers["Authorization"] = f"Token {keys[username]}"
            n = 0
            while not stop.is_set():
                n += 1
                started = time.monotonic() - t0
                title = f"load {name} {n}"
                try:
                    if writer and n % 2:
                        response = session.post(server.base + BASE, json=_complete_payload(title), timeout=30)
                    else:
                        response = session.get(server.base + BASE + "?page_size=20", timeout=30)
                    status, retry_after = response.status_code, response.headers.get("Retry-After")
                except requests.RequestException as error:
                    status, retry_after = type(error).__name__, None
                with lock:
                    samples.append((started, time.monotonic() - t0, status, retry_after))
                    if writer and n % 2:
                        (acked if status == 201 else failed).append(title)
                stop.wait(0.05)

        threads = [
            threading.Thread(target=client, args=("writer-1", requester.username, True)),
            threading.Thread(target=client, args=("writer-2", requester.username, True)),
            threading.Thread(target=client, args=("reader", executive.username, False)),
        ]
        for thread in threads:
            thread.start()
        time.sleep(3)
        down_at = time.monotonic() - t0
        cluster.stop("fast")
        time.sleep(2)
        cluster.start()
        ready_at = time.monotonic() - t0
        time.sleep(6)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        workers_after = server.children()
        with psycopg.connect(_libpq(cluster.url("portal_faults"))) as db:
            rows = db.execute(
                "SELECT u.title, (SELECT count(*) FROM usecases_usecasetask t WHERE t.use_case_id = u.id), "
                "(SELECT count(*) FROM usecases_kpi k WHERE k.use_case_id = u.id), "
                "(SELECT count(*) FROM portal_auditevent e WHERE e.object_id = u.id::text AND e.action = 'create' "
                "AND e.content_type_id = (SELECT id FROM django_content_type WHERE app_label = 'usecases' "
                "AND model = 'usecase')) FROM usecases_usecase u WHERE u.title LIKE %s",
                ["load %"],
            ).fetchall()
    finally:
        if server is not None:
            server.kill(signal.SIGTERM)
        cluster.remove()

    statuses = collections.Counter(status for _s, _e, status, _r in samples)
    print(f"statuses: {dict(statuses)}; outage {down_at:.1f}-{ready_at:.1f} s; {len(acked)} creates acknowledged")
    unexpected = [(s, e, status) for s, e, status, _r in samples if status not in (200, 201, 503)]
    assert not unexpected, f"500s or broken connections: {unexpected[:10]}"
    assert statuses[503] > 0, "the outage was not seen at all"
    assert all(retry for _s, _e, status, retry in samples if status == 503), "a 503 without Retry-After"
    outside = [(s, e) for s, e, status, _r in samples if status == 503 and (e < down_at or s > ready_at + 2)]
    assert not outside, f"503s outside the outage (from {down_at:.1f} to {ready_at:.1f} s): {outside[:10]}"
    after = [status for s, _e, status, _r in samples if s > ready_at + 2]
    assert after and set(after) <= {200, 201}, f"not recovered after the restart: {collections.Counter(after)}"
    assert workers_after == workers_before, "gunicorn's workers were replaced"
    stored = {title: (tasks, kpis, events) for title, tasks, kpis, events in rows}
    assert set(acked) <= set(stored), f"lost creates: {sorted(set(acked) - set(stored))}"
    assert set(stored) <= set(acked) | set(failed), "use cases that no client sent"
    assert all(value == (2, 1, 1) for value in stored.values()), f"half-written: {stored}"
    # Requests are atomic (ATOMIC_REQUESTS): a create answered 503 must not be stored.
    print(f"creates answered 503 yet committed: {sorted(set(stored) & set(failed))}")


def test_create_answered_unavailable_is_not_committed(postgres, requester, monkeypatch):
    """A 503 says "try again": the write must then not have happened, or the retry makes a second
    use case. Seen under PostgreSQL restarts (benches/fault_runs.py): a create in flight was
    committed by ``services.create_draft`` and then answered 503, because ``_respond`` re-read the
    row after the commit on a dead connection. Fixed by making every request one transaction
    (``ATOMIC_REQUESTS``). Here the re-read fails on purpose, as it did then."""
    from rest_framework.test import APIClient

    from usecases.api.views import UseCaseViewSet

    def connection_lost(self, use_case, code=None):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(UseCaseViewSet, "_respond", connection_lost)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(requester)
    response = client.post(BASE, _complete_payload("answered-503"), format="json")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert not UseCase.objects.filter(title="answered-503").exists(), "answered 503, yet the use case was saved"


def test_deciding_a_stage_does_not_lock_its_group(postgres, requester, reviewer):
    """Seen under load (benches/fault_runs.py, 20 users, no fault at the time): two reviewers
    deciding stages of two different use cases deadlocked ("deadlock detected ... while locking
    tuple in relation auth_group"), because ``decide_stage`` locked FOR UPDATE every joined row:
    the stage, and also its StageDefinition and auth Group, shared by every stage of that review
    group. Fixed with ``select_for_update(of=("self",))``. Here another transaction holds the group
    row as a concurrent submit's stage insert does; the decision must not wait for it."""
    from django.contrib.auth.models import Group

    from governance import services as governance_services
    from usecases import services

    payload = _complete_payload("decide-lock")
    draft = services.create_draft(requester, payload, payload["tasks"], payload["kpis"])
    services.submit(draft, requester)
    stage = ApprovalStage.objects.get(use_case=draft, status="pending")
    group = Group.objects.get(name="it-review")
    assert stage.group_id == group.pk
    with psycopg.connect(_libpq(_database_url())) as other:
        # What a concurrent transaction inserting a stage of this group holds until it commits.
        other.execute("SELECT id FROM auth_group WHERE id = %s FOR KEY SHARE", [group.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        try:
            governance_services.decide_stage(stage, reviewer, "request_changes", "KPIの根拠を追記してください。")
        except OperationalError as error:
            pytest.fail(f"the decision waited for the shared group row: {error}")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
            other.rollback()
    stage.refresh_from_db()
    assert stage.decision == "request_changes"
