"""What the bench scripts share: the scratch PostgreSQL database each works in, Django set up
against it, and the percentiles of their reports.

The scripts run from the repository root as modules (``python -m benches.load_run``), so the
project's apps and the ``benches`` package import as they are, with no path juggling.
"""

import contextlib
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


# --- The scratch database --------------------------------------------------------------------------


def server_url():
    """The PostgreSQL server named by DATABASE_URL (the benches measure PostgreSQL only)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must be a postgres://user@host:port/name URL (the bench measures PostgreSQL).")
    return url


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def psycopg_url(url):
    return url.replace("postgres://", "postgresql://", 1)


def admin_connection(url):
    """An autocommit connection to the server, to create and drop databases."""
    import psycopg

    return psycopg.connect(psycopg_url(url), autocommit=True)


def describe_database(url, name):
    """(whether ``name`` exists on the server, its comment or None)."""
    with admin_connection(url) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
    return row is not None, None if row is None else row[0]


def recreate_database(url, name):
    """An empty database ``name``, dropping any old one (and its sessions) first. With
    BENCH_TEMPLATE_DATABASE set (the smoke tests: an already migrated database on the same server),
    a copy of that instead, so the bench's own migrate has nothing left to do."""
    from psycopg import sql

    template = os.environ.get("BENCH_TEMPLATE_DATABASE")
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
    with admin_connection(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(create)


def drop_database(url, name):
    """Drop ``name``, closing this process's Django connections first when Django is set up."""
    from psycopg import sql

    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()
    with admin_connection(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- Django in this process ------------------------------------------------------------------------


def setup_django(env=None):
    """Set Django up in this process, with ``env`` laid over the environment first."""
    os.environ.update(env or {})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def migrate():
    """Migrate the database Django points at; the seconds it took."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def https_client(**defaults):
    """A django.test.Client whose every request arrives over HTTPS, as production serves them:
    the production settings redirect plain HTTP (SECURE_SSL_REDIRECT), and the benches keep them."""
    from django.test import Client

    class HttpsClient(Client):
        def generic(self, method, path, *args, secure=True, **kwargs):
            return super().generic(method, path, *args, secure=True, **kwargs)

    return HttpsClient(**defaults)


def app_version(root=REPO_ROOT):
    """The commit the application code is at (read-only git), and whether it has local changes."""
    import subprocess

    def git(*command):
        return subprocess.run(  # noqa: S603 - fixed arguments
            ["git", *command],  # noqa: S607 - git from PATH
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" with uncommitted changes" if changed else "")


# --- Figures ---------------------------------------------------------------------------------------


def interpolated_percentile(values, fraction):
    """Linear interpolation between the two nearest ranks (p95 of 30: between the 28th and 29th)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def nearest_rank_percentile(values, fraction):
    """The sorted value nearest to ``fraction`` of the way through (NaN when there is none)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
