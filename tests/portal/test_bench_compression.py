"""Smoke run of ``benches/compression.py`` at a tiny size, so the bench cannot silently break:
it seeds its own scratch database, checks every compressed body against the plain one itself,
and prints the savings table."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def server_url():
    db = connection.settings_dict
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_the_compression_bench_runs_at_a_tiny_size(postgres):
    environment = {**os.environ, "DATABASE_URL": server_url()}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "benches.compression", "--use-cases", "50", "--requests", "2"]
    command += ["--database", f"bench_smoke_compression_{os.getpid()}"]
    run = subprocess.run(  # noqa: S603 - our own interpreter and module
        command, cwd=Path(settings.BASE_DIR), env=environment, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "| `GET /api/v1/use-cases/?page_size=50` (JSON) |" in run.stdout
    assert "| `vendor/bootstrap/bootstrap.min.css` |" in run.stdout and "| gzip |" in run.stdout
