"""A real Celery worker process, on the configured broker, runs a task against the test database.

Redis in CI; the filesystem broker (the embedded default) elsewhere. The worker gets its
own queue name so a stray worker of another run cannot take the task.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from kombu import Exchange, Queue

from governance.models import Reminder
from governance.notify import sink
from governance.tasks import send_due_reminders
from portal.celery import app as celery_app
from tests.conftest import REQUIRE_SERVICES
from tests.factories import UseCaseFactory
from usecases import services

REPO_ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
TASK_TIMEOUT = 60
STOP_TIMEOUT = 30


def _database_url():
    """A URL for the *test* database, so the worker sees what the test committed."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(db["USER"] or "", safe="")
        password = quote(db["PASSWORD"] or "", safe="")
        host = db["HOST"] or "127.0.0.1"
        port = db["PORT"] or 5432
        return f"postgres://{user}:{password}@{host}:{port}/{quote(db['NAME'], safe='')}"
    if connection.vendor == "sqlite":
        name = Path(db["NAME"])
        assert name.is_absolute() and name.exists(), f"the worker needs a file test database, got {name}"
        return f"sqlite:///{name}"  # sqlite:////abs/path
    pytest.fail(f"no worker DATABASE_URL for {db['ENGINE']}")


def _delete_queue(name):
    """Remove the run's queue and its bindings, so a shared Redis keeps no leftovers."""
    try:
        with celery_app.connection_for_write() as broker_connection:
            exchange = Exchange(name)
            queue = Queue(name, exchange, routing_key=name)(broker_connection)
            queue.declare()  # binds it on this channel, so delete() finds the bindings
            queue.delete()
            exchange(broker_connection).delete()
    except Exception as error:  # noqa: BLE001 - clean-up only; the test's outcome stands
        warnings.warn(f"could not delete the test queue {name}: {error!r}", stacklevel=1)


def _tail(path, lines=80):
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.mark.services
# transaction=True: the worker must see committed rows. serialized_rollback restores
# the role groups (a data migration) that the flush of a transactional test deletes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_notifies_reviewers_of_a_submission(tmp_path, requester, reviewer, monkeypatch):
    broker = settings.CELERY_BROKER_URL
    if REQUIRE_SERVICES:
        assert broker.startswith(("redis://", "rediss://")), f"CI runs the worker on Redis, not {broker}"
    use_case = UseCaseFactory(complete=True, owner=requester)
    # Submitted, with its notice waiting in the outbox (the sender is enqueued below, on the test's queue).
    monkeypatch.setattr(sink, "enqueue_sending", lambda: None)
    services.submit(use_case, requester)
    notice = Reminder.objects.get(event="usecase.submitted", channel="email")
    assert notice.status == "pending"

    mail_dir = tmp_path / "mail"
    queue = f"test-worker-{uuid.uuid4().hex[:12]}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=broker,
        EMAIL_URL=f"filemail://{mail_dir}",
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    log = tmp_path / "worker.log"
    command = [
        str(CELERY),
        "-A",
        "portal",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-mingle",
        "--without-gossip",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
    ]
    with log.open("wb") as output:
        worker = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        celery_app.conf.task_always_eager = False  # the autouse fixture restores it
        started = time.monotonic()
        send_due_reminders.apply_async(queue=queue)

        deadline = started + TASK_TIMEOUT
        while notice.status != "sent" and time.monotonic() < deadline:
            assert worker.poll() is None, f"the worker exited ({worker.returncode}):\n{_tail(log)}"
            time.sleep(0.25)
            notice.refresh_from_db()
        assert notice.status == "sent", f"the worker did not run the task within {TASK_TIMEOUT} s:\n{_tail(log)}"
        print(f"worker ran the task {time.monotonic() - started:.1f} s after it was enqueued ({broker.split(':')[0]})")

        # Wait (bounded) for the task to report success in the worker's log.
        finished = "succeeded in"
        while finished not in log.read_text(errors="replace") and time.monotonic() < deadline:
            assert worker.poll() is None, f"the worker exited ({worker.returncode}):\n{_tail(log)}"
            time.sleep(0.25)
        assert finished in log.read_text(errors="replace"), _tail(log)
        mails = sorted(mail_dir.glob("*.log"))
        assert len(mails) == 1, f"expected one mail file in {mail_dir}, found {mails}\n{_tail(log)}"
        message = mails[0].read_text()
        assert f"To: {reviewer.email}" in message
        assert use_case.reference in message
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown
        try:
            worker.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            pytest.fail(f"the worker did not stop within {STOP_TIMEOUT} s of SIGTERM:\n{_tail(log)}")
        finally:
            _delete_queue(queue)
