"""A real Celery worker on Redis sends 1,000 due reminders, is killed with SIGKILL midway
and restarted: every reminder goes out, and only the rows in flight at the kill may go
out twice (at-least-once delivery, see ``governance.reminders``).

The worker runs with ``tests.governance.reminder_worker_settings``: the portal's settings
plus a mail backend that appends ``<pid> <Message-ID>`` to a file, fsynced, for every
delivery, and sleeps a few milliseconds per message so the kill lands mid-batch. The
first worker uses a long claim timeout; the restarted one a short timeout, and the test
enqueues the sender again once the killed claims are stale, as beat would.
"""

import collections
import contextlib
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import types
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from kombu import Exchange, Queue

from governance.models import Notification, Reminder
from governance.reminders import outbox, scan
from governance.tasks import send_due_reminders
from portal.celery import app as celery_app
from tests.conftest import require_service
from tests.factories import DepartmentFactory, UserFactory
from usecases.choices import UseCaseStatus
from usecases.models import UseCase

REPO_ROOT = Path(__file__).resolve().parents[2]
ROWS = 1000
BATCH = 50  # REMINDER_SEND_BATCH of the worker
CONCURRENCY = 2  # worker processes, and sender tasks enqueued per run
KILL_AFTER = 333  # deliveries recorded before the SIGKILL (not a multiple of BATCH: mid-batch)
MAIL_DELAY = 0.004  # seconds per message: a batch takes a few tenths of a second
CLAIM_TIMEOUT = 3  # seconds, for the restarted worker (the first one keeps 600)
START_TIMEOUT = 30
FINISH_TIMEOUT = 40
STOP_TIMEOUT = 20
LINE = re.compile(r"^(\d+) <reminder-(\d+)@[^>]+>$")

pytestmark = [
    pytest.mark.services,
    # transaction=True: the worker must see committed rows. serialized_rollback restores
    # the data-migration rows (role groups, reminder settings) that the flush deletes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _redis_available(url):
    if not url.startswith(("redis://", "rediss://")):
        return False
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


def _database_url():
    """The *test* database, so the worker sees what the test committed."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(db['NAME'], safe='')}"


def _tail(path, lines=60):
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _deliveries(mail_log):
    """[(pid, reminder pk)] in the order the backend recorded them."""
    if not mail_log.exists():
        return []
    result = []
    for line in mail_log.read_text().splitlines():
        match = LINE.match(line)
        assert match, f"malformed line in the mail log: {line!r}"
        result.append((int(match[1]), int(match[2])))
    return result


def _other_backends():
    """Connections to the test database other than this test's (the worker's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class Worker:
    """``celery -A portal worker`` in its own process group, logging to a file."""

    def __init__(self, name, queue, log, env):
        self.log = log
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "prefork",
            "-c",
            str(CONCURRENCY),
            "-Q",
            queue,
            "-n",
            f"{name}@%h",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches the pool children
            )

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while " ready." not in self.log.read_text(errors="replace"):
            self.check_alive()
            assert time.monotonic() < deadline, f"the worker did not start within {START_TIMEOUT} s:\n{self.tail()}"
            time.sleep(0.1)

    def check_alive(self):
        assert self.process.poll() is None, f"the worker exited ({self.process.returncode}):\n{self.tail()}"

    def tail(self):
        return _tail(self.log)

    def kill(self):
        """SIGKILL to the whole group (main process and pool children), then reap."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _group_alive(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self):
        """Warm shutdown (SIGTERM); SIGKILL if it hangs. Safe to call twice."""
        if self.process.poll() is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # orphaned pool children, if any
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            warnings.warn(f"the worker ignored SIGTERM for {STOP_TIMEOUT} s and was killed", stacklevel=1)


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _clean_broker(queue):
    """Remove the run's queue, its bindings and the killed worker's unacknowledged messages
    (Redis would redeliver them to this queue after its visibility timeout)."""
    try:
        with celery_app.connection_for_write() as broker_connection:
            exchange = Exchange(queue)
            bound = Queue(queue, exchange, routing_key=queue)(broker_connection)
            bound.declare()  # binds it on this channel, so delete() finds the bindings
            bound.delete()
            exchange(broker_connection).delete()
            client = broker_connection.default_channel.client
            for member in client.smembers("_kombu.binding.celery.pidbox"):  # the killed worker's
                if queue.encode() in member:
                    client.srem("_kombu.binding.celery.pidbox", member)
            for tag, value in client.hgetall("unacked").items():
                with contextlib.suppress(ValueError, IndexError, TypeError):
                    if json.loads(value)[2] == queue:
                        client.hdel("unacked", tag)
                        client.zrem("unacked_index", tag)
    except Exception as error:  # noqa: BLE001 - clean-up only; the test's outcome stands
        warnings.warn(f"could not clean the test queue {queue}: {error!r}", stacklevel=1)


def _due_reminders(count=ROWS):
    """``count`` approved use cases due for re-review tomorrow, scanned into as many outbox rows."""
    department = DepartmentFactory()
    owners = [UserFactory(department=department, language="ja" if n % 2 else "en") for n in range(20)]
    now = timezone.now()
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    run = uuid.uuid4().hex[:6]
    UseCase.objects.bulk_create(
        [
            UseCase(
                reference=f"UC-W{run}-{n:04d}",
                title=f"Reminder worker test {n}",
                owner=owners[n % len(owners)],
                department=department,
                status=UseCaseStatus.APPROVED,
                submitted_at=now,
                approved_at=now,
                next_review_on=tomorrow,
            )
            for n in range(count)
        ],
        batch_size=500,
    )
    offered = scan.scan(now=now)
    assert sum(offered.values()) == count, offered
    assert Reminder.objects.filter(status="pending").count() == count


def test_a_killed_worker_loses_no_reminder_and_repeats_only_the_batch_in_flight(tmp_path, postgres):
    broker = settings.CELERY_BROKER_URL
    require_service(_redis_available(broker), f"Redis (CELERY_BROKER_URL=redis://..., got {broker.split(':')[0]})")
    _due_reminders()
    ids = set(Reminder.objects.values_list("pk", flat=True))

    mail_log = tmp_path / "deliveries.log"
    queue = f"test-reminders-{uuid.uuid4().hex[:12]}"
    base_env = dict(os.environ)
    base_env.setdefault("SECRET_KEY", "test-only-secret-key-for-the-reminder-worker-0123456789")
    base_env.update(
        DJANGO_SETTINGS_MODULE="tests.governance.reminder_worker_settings",
        DATABASE_URL=_database_url(),
        CONN_MAX_AGE="0",
        CELERY_BROKER_URL=broker,
        CELERY_TASK_ALWAYS_EAGER="false",
        REMINDER_SEND_BATCH=str(BATCH),
        REMINDER_SEND_SECONDS="120",
        REMINDER_MAIL_LOG=str(mail_log),
        REMINDER_MAIL_DELAY=str(MAIL_DELAY),
        LOG_LEVEL="INFO",
    )
    celery_app.conf.task_always_eager = False  # the autouse fixture restores it
    workers = []
    try:
        # --- First run: two sender tasks on two processes, killed midway. ---
        first = Worker(f"{queue}-1", queue, tmp_path / "worker-1.log", {**base_env, "REMINDER_CLAIM_TIMEOUT": "600"})
        workers.append(first)
        first.wait_ready()
        started = time.monotonic()
        for _task in range(CONCURRENCY):
            send_due_reminders.apply_async(queue=queue)
        deadline = started + FINISH_TIMEOUT
        while len(_deliveries(mail_log)) < KILL_AFTER:
            first.check_alive()
            assert time.monotonic() < deadline, f"{len(_deliveries(mail_log))} deliveries after {FINISH_TIMEOUT} s"
            time.sleep(0.02)
        first.kill()
        killed_at = time.monotonic()
        delivered_before_kill = _deliveries(mail_log)
        # The server may still be finishing a commit the worker sent just before dying:
        # wait until its connections are gone, then read the state the kill left.
        while _other_backends() and time.monotonic() < killed_at + 10:
            time.sleep(0.05)
        assert _other_backends() == 0, "the killed worker's database connections did not go away"
        status_at_kill = dict(Reminder.objects.values_list("pk", "status"))
        in_flight = {pk for pk, status in status_at_kill.items() if status == "sending"}
        sent_at_kill = {pk for pk, status in status_at_kill.items() if status == "sent"}
        first_pks = {pk for _pid, pk in delivered_before_kill}
        assert len(delivered_before_kill) < ROWS, "the worker finished before the kill: raise MAIL_DELAY"
        assert in_flight, "the kill landed between batches: nothing was in flight"
        assert set(status_at_kill.values()) <= {"pending", "sending", "sent"}, collections.Counter(
            status_at_kill.values()
        )
        # Recorded as sent only after delivery; delivered but not recorded means in flight.
        assert sent_at_kill <= first_pks, "rows marked sent that were never delivered"
        assert first_pks <= sent_at_kill | in_flight, "rows delivered but neither sent nor in flight"
        assert len(first_pks) == len(delivered_before_kill), "a row was delivered twice before the kill"

        # --- Restart with a short claim timeout; once the killed claims are stale, send again. ---
        second = Worker(
            f"{queue}-2", queue, tmp_path / "worker-2.log", {**base_env, "REMINDER_CLAIM_TIMEOUT": str(CLAIM_TIMEOUT)}
        )
        workers.append(second)
        second.wait_ready()
        time.sleep(max(0.0, killed_at + CLAIM_TIMEOUT + 0.5 - time.monotonic()))
        for _task in range(CONCURRENCY):  # as beat would, every minute
            send_due_reminders.apply_async(queue=queue)
        deadline = time.monotonic() + FINISH_TIMEOUT
        unfinished = Reminder.objects.filter(status__in=["pending", "sending"])
        while unfinished.exists():
            second.check_alive()
            assert time.monotonic() < deadline, (
                f"{unfinished.count()} reminders still pending or sending {FINISH_TIMEOUT} s after the restart:\n"
                f"{second.tail()}"
            )
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        for worker in reversed(workers):
            worker.stop()
        _clean_broker(queue)

    deliveries = _deliveries(mail_log)
    counts = collections.Counter(pk for _pid, pk in deliveries)
    duplicates = {pk for pk, count in counts.items() if count > 1}
    processes = collections.Counter(pid for pid, _pk in deliveries)
    print(
        f"\nreminders: {ROWS}, delivered: {len(deliveries)}, distinct: {len(counts)}, "
        f"duplicates: {len(duplicates)}, delivered before the kill: {len(delivered_before_kill)}, "
        f"sent at the kill: {len(sent_at_kill)}, in flight at the kill: {len(in_flight)} "
        f"(bound {BATCH} x {CONCURRENCY} = {BATCH * CONCURRENCY}), "
        f"deliveries per process: {sorted(processes.values(), reverse=True)}, {elapsed:.1f} s"
    )
    rows = {row.pk: row for row in Reminder.objects.all()}
    assert set(rows) == ids
    assert collections.Counter(row.status for row in rows.values()) == {"sent": ROWS}
    assert set(counts) == ids, f"never delivered: {sorted(ids - set(counts))[:20]}"
    assert max(counts.values()) <= 2, f"delivered more than twice: {[pk for pk, c in counts.items() if c > 2]}"
    assert duplicates <= in_flight, f"delivered twice but not in flight at the kill: {sorted(duplicates - in_flight)}"
    assert len(in_flight) <= BATCH * CONCURRENCY
    # Claimed once, except the rows the killed worker held (claimed again after the timeout).
    assert {pk for pk, row in rows.items() if row.attempts != 1} == in_flight
    assert all(rows[pk].attempts == 2 for pk in in_flight)
    assert Notification.objects.count() == ROWS
    assert set(Notification.objects.values_list("reminder_id", flat=True)) == ids


# A sender whose rows are taken by another sender between its SELECT and its UPDATE
# must take other rows and go on, not stop as if nothing were due.
def test_a_sender_that_loses_a_claim_race_keeps_sending(postgres, monkeypatch):
    _due_reminders(60)
    real_uuid4 = uuid.uuid4
    rival = []

    def uuid4():
        """Between this sender's SELECT and its UPDATE, another sender (its own
        connection, another thread) claims a batch and keeps it (as if it crashed)."""
        if not rival:
            rival.append(None)

            def claim():
                try:
                    rival[0] = outbox.claim(timezone.now(), 10)[1]
                finally:
                    connection.close()

            thread = threading.Thread(target=claim)
            thread.start()
            thread.join(timeout=30)
            assert not thread.is_alive(), "the rival sender is stuck (waiting on a lock?)"
        return real_uuid4()

    monkeypatch.setattr(outbox, "uuid", types.SimpleNamespace(uuid4=uuid4))
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        totals = outbox.send_due(size=10)
    assert len(rival[0]) == 10
    assert totals.get("sent", 0) == 50, f"the sender stopped after losing the race: {totals}"
    assert Reminder.objects.filter(status="sent").count() == 50
