"""Smoke test of ``make run``: the whole product starts on the embedded default and Ctrl-C stops all of it.

``make run`` migrates and seeds a fresh SQLite database, then starts web, worker and
beat under honcho. The run gets its own ``VAR_DIR`` so its database, broker queues and
secret key stay out of the repository's ``var/``.
"""

import contextlib
import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120  # migrate + seed run before the server starts
STOP_TIMEOUT = 30
GROUP_GONE_TIMEOUT = 10
READY_MARKERS = (re.compile(r"celery@\S+ ready\."), re.compile(r"beat: Starting\.\.\."))


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port, path):
    """``(status, body)`` of a GET to the local server, or ``(None, "")`` while nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return None, ""
    finally:
        connection.close()


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _tail(path, lines=60):
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.mark.services
def test_make_run_serves_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    var_dir = tmp_path / "var"
    # What a newcomer has: none of the test or CI settings, so the embedded defaults apply
    # (SQLite, filesystem broker, mail files, DEBUG from the Makefile, a generated secret key).
    unset = {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DEBUG", "SECRET_KEY", "WHITENOISE_USE_FINDERS"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env["VAR_DIR"] = str(var_dir)
    log = tmp_path / "make-run.log"
    path = "/accounts/login/"

    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pgid = process.pid  # a new session: the process group id is make's pid
    try:
        started = time.monotonic()
        status, body = None, ""
        while time.monotonic() - started < START_TIMEOUT:
            assert process.poll() is None, f"make run exited early ({process.returncode}):\n{_tail(log)}"
            status, body = _get(port, path)
            if status == 200:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        assert status == 200, f"no 200 from :{port}{path} in {START_TIMEOUT} s (last: {status}):\n{_tail(log)}"
        assert 'name="username"' in body
        print(f"make run: first 200 from {path} after {elapsed:.1f} s")

        # The run used VAR_DIR, not the repository's var/: its seeded database is there.
        database = var_dir / "portal.sqlite3"
        assert database.exists()
        with contextlib.closing(sqlite3.connect(database)) as connection:
            (seeded,) = connection.execute("SELECT COUNT(*) FROM portal_user WHERE username = 'requester'").fetchone()
        assert seeded == 1
        assert (var_dir / "celery" / "queue").is_dir()
        assert (var_dir / "secret_key").exists()  # generated for the local run, kept for the next

        # Worker and beat came up too, and the worker sent the seed's submission
        # notifications through the filesystem broker: mail files under VAR_DIR.
        def not_ready():
            output = log.read_text(errors="replace")
            missing = [marker.pattern for marker in READY_MARKERS if not marker.search(output)]
            if not any((var_dir / "mail").glob("*.log")):
                missing.append("a mail file in VAR_DIR/mail")
            return missing

        deadline = started + START_TIMEOUT
        while not_ready() and time.monotonic() < deadline:
            assert process.poll() is None, f"make run exited early ({process.returncode}):\n{_tail(log)}"
            time.sleep(0.5)
        assert not not_ready(), f"make run: still missing {not_ready()} after {START_TIMEOUT} s\n{_tail(log)}"

        # Ctrl-C: SIGINT to the whole process group, as a terminal does.
        os.killpg(pgid, signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"make run did not stop within {STOP_TIMEOUT} s of SIGINT:\n{_tail(log)}")

        deadline = time.monotonic() + GROUP_GONE_TIMEOUT
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _group_alive(pgid), f"processes of the group outlived make run:\n{_tail(log)}"
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)
        assert _get(port, path)[0] is None, "the web server still answers after Ctrl-C"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
