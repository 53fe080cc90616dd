"""The processes under load: gunicorn on a free loopback port and a Celery worker, with the
environment they and the seeding process share."""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

from benches.support import BIN, REPO_ROOT


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
        # The production redirect to HTTPS stays on: the clients say the request came over TLS, as the
        # proxy in front of gunicorn does (X-Forwarded-Proto). Cookies are not marked Secure, though:
        # the clients speak plain HTTP on loopback and would not send them back.
        SECURE_SSL_REDIRECT="true",
        BEHIND_TLS_PROXY="true",
        SECURE_COOKIES="false",
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


# --- gunicorn and the worker --------------------------------------------------------------------------


class Servers:
    """gunicorn (and a Celery worker) as child processes in their own session, logs in ``folder``."""

    def __init__(self, env, folder, workers, threads, celery_worker=True, port=None, worker_class="gthread",
                 keep_alive=None, cwd=REPO_ROOT):  # fmt: skip
        self.env = env
        self.cwd = cwd  # the code served: this checkout, or an earlier commit's worktree
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
    def from_args(cls, env, folder, args, **overrides):
        """The servers the command-line options describe (load_run.py and fault_runs.py share them)."""
        return cls(
            env,
            folder,
            args.workers,
            args.threads,
            **{"celery_worker": not args.no_worker, **overrides},
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
            cwd=self.cwd,
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
                # Forwarded as HTTPS, for servers that keep the production redirect behind a proxy.
                headers = {"X-Forwarded-Proto": "https"}
                if requests.get(f"{self.base}/accounts/login/", headers=headers, timeout=5).status_code == 200:
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
