"""Bytes on the wire with and without compression: a JSON page of 50 use cases, the dashboard
page (HTML), and the main stylesheets and scripts as whitenoise serves them after
``collectstatic``.

    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal \\
        .venv/bin/python -m benches.compression [--use-cases 1000] [--database bench_compression] [--keep]

Works in its own scratch database (created, migrated and seeded with the adoption bench's
generator, then dropped unless ``--keep``; reused as it is when ``--keep`` left it seeded) and a
temporary STATIC_ROOT, with production settings (DEBUG off, the manifest storage that writes
``.gz`` files, and ``.br`` ones when the ``brotli`` package is installed). Each response is
fetched once plain and ``--requests`` times with ``Accept-Encoding: gzip``: the gzip bodies
differ in length from one response to the next, since Django adds up to 100 random bytes
against BREACH, so the smallest and largest are printed. Every compressed body is checked to
decompress to a plain one (the HTML after blanking its per-request CSRF token and CSP nonce).
"""

import argparse
import gzip
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from benches import support

LIST_URL = "/api/v1/use-cases/?page_size=50"
STATIC_FILES = (
    "vendor/bootstrap/bootstrap.min.css",
    "portal/portal.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/chartjs/chart.umd.min.js",
    "portal/base.js",
    "dashboard/dashboard.js",
)
# What differs between two renderings of the same page: the masked CSRF token and the CSP nonce.
PER_REQUEST = re.compile(rb'(name="csrfmiddlewaretoken" value="|nonce="|csrf-token" content=")[^"]*"')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-cases", type=int, default=1000, help="use cases seeded (default 1000)")
    parser.add_argument("--requests", type=int, default=20, help="gzip requests per response (default 20)")
    parser.add_argument("--database", default="bench_compression", help="database (name starts with bench_)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database for the next run")
    args = parser.parse_args()
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.database):
        parser.error("--database must match bench_[a-z0-9_]+")
    if args.use_cases < 50 or args.requests < 1:
        parser.error("at least 50 use cases and 1 request")
    return args


def seed_marker(args):
    return f"compression bench: {args.use_cases} use cases"


def prepare(args, url, static_root):
    """Django on the scratch database, seeded unless ``--keep`` left it so."""
    exists, comment = support.describe_database(url, args.database)
    reuse = exists and comment == seed_marker(args)
    if not reuse:
        support.recreate_database(url, args.database)
    support.setup_django(
        {
            "DATABASE_URL": support.with_database(url, args.database),
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + secrets.token_urlsafe(32),
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "STATIC_ROOT": str(static_root),
            "WHITENOISE_USE_FINDERS": "false",
        }
    )
    from django.core.management import call_command
    from django.db import connection

    support.migrate()
    if not reuse:
        from benches.adoption.seed import seed

        started = time.perf_counter()
        seed(SimpleNamespace(use_cases=args.use_cases, users=50, vendors=20, seed=20261205))
        with connection.cursor() as cursor:
            cursor.execute(f"COMMENT ON DATABASE {args.database} IS %s", [seed_marker(args)])  # noqa: S608
        print(f"seeded {args.use_cases:,} use cases in {time.perf_counter() - started:.1f} s")
    call_command("collectstatic", interactive=False, verbosity=0)


def fetch(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return b"".join(response.streaming_content) if response.streaming else response.content, response


def measure_response(client, name, url, requests, html=False):
    plain, _response = fetch(client, url)
    sizes, seconds = [], []
    for _ in range(requests):
        started = time.perf_counter()
        body, response = fetch(client, url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        seconds.append(time.perf_counter() - started)
        assert response["Content-Encoding"] == "gzip", (url, response.headers)
        assert "Accept-Encoding" in response["Vary"], (url, response.headers)
        decompressed = gzip.decompress(body)
        if html:
            assert PER_REQUEST.sub(b"", decompressed) == PER_REQUEST.sub(b"", plain), url
        else:
            assert decompressed == plain, url
        sizes.append(len(body))
    return {"name": name, "plain": len(plain), "smallest": min(sizes), "largest": max(sizes), "gzip": None}


def measure_static(client, static_root):
    from django.contrib.staticfiles.storage import staticfiles_storage

    rows = []
    for path in STATIC_FILES:
        hashed = staticfiles_storage.stored_name(path)
        on_disk = static_root / hashed
        gz = on_disk.with_name(on_disk.name + ".gz")
        br = on_disk.with_name(on_disk.name + ".br")
        body, response = fetch(client, staticfiles_storage.url(path), HTTP_ACCEPT_ENCODING="gzip")
        served = response.get("Content-Encoding", "none")
        if gz.exists():
            assert served == "gzip" and body == gz.read_bytes(), (path, served)
        rows.append(
            {
                "name": path,
                "plain": on_disk.stat().st_size,
                "gzip": gz.stat().st_size if gz.exists() else None,
                "brotli": br.stat().st_size if br.exists() else None,
                "served": served,
            }
        )
    return rows


def saving(plain, compressed):
    return f"{(1 - compressed / plain) * 100:.0f}%"


def report(args, responses, static, brotli):
    print(f"\nDjango GZipMiddleware (level 6, up to 100 random bytes per response); {args.use_cases:,} use cases\n")
    print("| response | plain bytes | gzip bytes (smallest-largest) | saved |")
    print("|---|---:|---:|---:|")
    for row in responses:
        print(
            f"| {row['name']} | {row['plain']:,} | {row['smallest']:,}-{row['largest']:,} | "
            f"{saving(row['plain'], row['largest'])} |"
        )
    print("\nStatic files (whitenoise, compressed by collectstatic)\n")
    print("| file | plain bytes | .gz bytes | saved | .br bytes | served with Accept-Encoding: gzip |")
    print("|---|---:|---:|---:|---:|---|")
    for row in static:
        gz = "-" if row["gzip"] is None else f"{row['gzip']:,}"
        saved = "-" if row["gzip"] is None else saving(row["plain"], row["gzip"])
        br = f"{row['brotli']:,}" if row["brotli"] is not None else ("-" if brotli else "no brotli package")
        print(f"| `{row['name']}` | {row['plain']:,} | {gz} | {saved} | {br} | {row['served']} |")
    total_plain = sum(row["plain"] for row in static)
    total_gz = sum(row["gzip"] or row["plain"] for row in static)
    print(f"\nstatic total: {total_plain:,} bytes plain, {total_gz:,} gzip ({saving(total_plain, total_gz)} saved)")
    if not brotli:
        print("brotli is not installed: whitenoise writes no .br files (gzip only)")


def main():
    args = parse_args()
    url = support.server_url()
    static_root = Path(tempfile.mkdtemp(prefix="bench-compression-static-"))
    try:
        prepare(args, url, static_root)
        from django.contrib.auth import get_user_model
        from django.test import Client

        executive = get_user_model().objects.get(username="bench-executive")
        client = Client(HTTP_HOST="localhost")
        client.force_login(executive)
        responses = [
            measure_response(client, "`GET /api/v1/use-cases/?page_size=50` (JSON)", LIST_URL, args.requests),
            measure_response(client, "`GET /dashboard/` (HTML)", "/dashboard/", args.requests, html=True),
        ]
        static = measure_static(client, static_root)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        if not args.keep:
            support.drop_database(url, args.database)
    try:
        import brotli  # noqa: F401

        has_brotli = True
    except ImportError:
        has_brotli = False
    report(args, responses, static, has_brotli)


if __name__ == "__main__":
    sys.exit(main())
