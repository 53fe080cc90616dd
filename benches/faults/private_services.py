"""Private PostgreSQL and Redis servers for the fault runs, started in a scratch folder on a free
port, so the machine's own servers are never stopped."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from benches.load import servers as load_servers


def port_or_free(preferred):
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            return load_servers.free_port()
    return preferred


# --- A private PostgreSQL cluster -------------------------------------------------------------------


def postgres_bin():
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        sys.exit("no /usr/lib/postgresql/<version>/bin/initdb: install PostgreSQL's server package")
    return versions[-1].parent


class PrivatePostgres:
    """initdb in ``folder``, a server on 127.0.0.1:``port`` with its socket in the data folder.
    As root, every command runs as the ``postgres`` user (the server refuses to run as root)."""

    def __init__(self, folder, port):
        self.folder = Path(folder)
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = port
        self.bin = postgres_bin()
        self.url = f"postgres://postgres@127.0.0.1:{port}/postgres"

    def _command(self, *args):
        command = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, *args, timeout=120):
        result = subprocess.run(self._command(*args), capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr or result.stdout}")
        return result

    def init(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        return self

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def ready(self):
        result = subprocess.run(  # noqa: S603
            self._command("pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)), check=False
        )
        return result.returncode == 0

    def remove(self):
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


# --- A private Redis ---------------------------------------------------------------------------------


class PrivateRedis:
    """redis-server without persistence on 127.0.0.1:``port``, a child process."""

    def __init__(self, folder, port):
        self.folder = Path(folder)
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("ping") == "PONG":
                return self
            time.sleep(0.1)
        raise RuntimeError("the private redis-server did not answer")

    def cli(self, *args):
        result = subprocess.run(  # noqa: S603
            [shutil.which("redis-cli") or "redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout.strip()

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
