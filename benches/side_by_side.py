"""Side by side, in one run and alternating requests: any endpoint of the portal against the
framework floor (a trivial DRF view on the same stack) and against the same endpoint at an
earlier commit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benches.side_by_side [--use-cases 10000] [--requests 200] [--base REV] \\
        [--endpoints /api/v1/use-cases/{ref}/ /api/v1/use-cases/?page_size=50 ...]

Production settings: DEBUG off (a throw-away SECRET_KEY), SECURE_SSL_REDIRECT at its production
default, every request over HTTPS (the in-process client's ``secure=True``; to the servers, plain
HTTP on loopback with ``X-Forwarded-Proto: https`` and ``BEHIND_TLS_PROXY=true``, as behind the
production proxy). Each request is authenticated by an executive's API token (``Authorization:
Token``), the API's usual way in.

The floor is ``benches.side.floor.Floor``, an ``APIView`` returning ``{"ok": true}`` with the
project's default authentication and permission classes, mounted at ``/bench/floor/`` by the
bench's own settings (``benches.side.settings``: the portal's settings with ROOT_URLCONF pointing
at the project's root urls plus the floor). The product's urls never include it.

The scratch database (``--database``, default ``bench_side``) is created, migrated and seeded
with the adoption bench's deterministic seed (``--use-cases`` use cases, their stages, KPIs,
benefits; people, vendors), and dropped at the end unless ``--keep``. ``{ref}`` in an endpoint
is the newest use case's reference.

Measured, per round, every endpoint and the floor in turn (so the machine's load falls on all
alike):
  in process: ``django.test.Client`` (no HTTP, no server), with each request's queries counted
              by ``CaptureQueriesContext``;
  servers:    two gunicorns (one sync worker each, same environment, same database): the current
              code with the floor, and the code at ``--base`` (a git worktree; default: the
              merge-base with main, or HEAD~1 when this is main). Both share the database, which
              requires their migrations to be the same files; the bench refuses otherwise. Query
              counts are not taken through the servers (the in-process counts are those of the
              current code). ``--no-base`` skips the servers.
Printed: p50 and p95 of each, queries, and the ratios endpoint / floor (same code, same run) and
current / base (same endpoint, same run).
"""

import argparse
import os
import re
import secrets
import sys
import tempfile
import time
from types import SimpleNamespace

from benches import support
from benches.load.base import BaseCheckout, default_base
from benches.load.servers import Servers, app_environment

FLOOR = "/bench/floor/"
DEFAULT_ENDPOINTS = ["/api/v1/use-cases/{ref}/", "/api/v1/use-cases/?page_size=50", "/api/v1/adoption/summary/"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", nargs="+", default=DEFAULT_ENDPOINTS, help="paths ({ref}: a use case)")
    parser.add_argument("--use-cases", type=int, default=1000, help="use cases seeded (default 1000)")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per endpoint and side (default 100)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--base", metavar="REV", help="the earlier commit (default: merge-base with main, or HEAD~1)")
    parser.add_argument("--no-base", action="store_true", help="in process only: no servers, no earlier commit")
    parser.add_argument("--database", default="bench_side", help="scratch database (name starts with bench_)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database at the end")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.database):
        parser.error("--database must match bench_[a-z0-9_]+")
    if args.use_cases < 1 or args.requests < 2:
        parser.error("at least 1 use case and 2 requests")
    return args


# --- Seeding ------------------------------------------------------------------------------------------


def seed(args):
    """The adoption bench's seed at ``--use-cases``; an API token for its executive. Returns the key."""
    from django.contrib.auth import get_user_model

    from benches.adoption.seed import seed as adoption_seed
    from portal.services import create_api_token

    sizes = SimpleNamespace(
        use_cases=args.use_cases, users=max(50, min(2000, args.use_cases // 50)), vendors=20, seed=20261128
    )
    started = time.perf_counter()
    adoption_seed(sizes)
    executive = get_user_model().objects.get(username="bench-executive")
    _token, key = create_api_token(executive, "side-by-side bench")
    print(f"seeded {args.use_cases:,} use cases in {time.perf_counter() - started:.1f} s")
    return key


def newest_reference():
    from usecases.models import UseCase

    return UseCase.objects.order_by("-created_at", "-id").values_list("reference", flat=True).first()


# --- Measuring ----------------------------------------------------------------------------------------


class InProcess:
    """The current code through django.test.Client over HTTPS; queries counted per request."""

    label = "in process"

    def __init__(self, key):
        self.client = support.https_client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {key}")

    def get(self, path):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = self.client.get(path)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            elapsed = time.perf_counter() - started
        check(self.label, path, response.status_code)
        return elapsed * 1000, len(captured.captured_queries)


class Server:
    """A gunicorn over loopback HTTP, told the request came over HTTPS (as behind the proxy)."""

    def __init__(self, label, base, key):
        import requests

        self.label = label
        self.base = base
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Token {key}", "X-Forwarded-Proto": "https"})

    def get(self, path):
        started = time.perf_counter()
        response = self.http.get(self.base + path, allow_redirects=False, timeout=60)
        _body = response.content
        elapsed = time.perf_counter() - started
        check(self.label, path, response.status_code)
        return elapsed * 1000, None


def check(label, path, status):
    if status != 200:
        raise SystemExit(f"{label}: GET {path} answered {status}, not 200")


def measure(sides, paths, requests, warmups):
    """{(side label, path): (milliseconds, queries)}: rounds of every path on every side in turn."""
    samples = {(side.label, path): ([], []) for side in sides for path in paths}
    for round_number in range(warmups + requests):
        for path in paths:
            for side in sides:
                if path not in side.paths:
                    continue
                ms, queries = side.get(path)
                if round_number >= warmups:
                    times, counts = samples[(side.label, path)]
                    times.append(ms)
                    counts.append(queries)
    return samples


# --- Report -------------------------------------------------------------------------------------------


def p(values, fraction):
    return support.interpolated_percentile(values, fraction) if values else float("nan")


def report(samples, paths, sides, base_rev):
    labels = [side.label for side in sides]
    print("\n| endpoint | side | queries | p50 ms | p95 ms | endpoint / floor (p50) | current / base (p50) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for path in paths:
        for label in labels:
            times, counts = samples.get((label, path), ([], []))
            if not times:
                continue
            floor = samples.get((label, FLOOR), ([], []))[0]  # the earlier code has none
            over_floor = f"{p(times, 0.5) / p(floor, 0.5):.2f}x" if floor and path != FLOOR else ""
            versus = ""
            if label == "server current" and (f"server {base_rev}", path) in samples:
                old = samples[(f"server {base_rev}", path)][0]
                versus = f"{p(times, 0.5) / p(old, 0.5):.2f}x" if old else ""
            if counts[0] is None:
                queries = "-"
            else:
                queries = str(counts[0]) if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
            print(
                f"| `{path}` | {label} | {queries} | {p(times, 0.5):.1f} | {p(times, 0.95):.1f} | "
                f"{over_floor} | {versus} |"
            )
    print(
        "\nendpoint / floor: the endpoint's p50 over the floor's, same side, same run. current / base: the "
        "current code's server over the earlier commit's, same endpoint, same run. Servers: queries not "
        "counted (-)."
    )


# --- Main ---------------------------------------------------------------------------------------------


def main():
    args = parse_args()
    url = support.server_url()
    checkout = None if args.no_base else BaseCheckout(args.base or default_base())
    support.recreate_database(url, args.database)
    database_url = support.with_database(url, args.database)
    secret = "bench-only-" + secrets.token_urlsafe(32)
    production = {"SECURE_SSL_REDIRECT": "true", "SECURE_COOKIES": "true", "BEHIND_TLS_PROXY": "true"}
    servers = []
    try:
        with tempfile.TemporaryDirectory(prefix="side-by-side-") as folder:
            os.environ["LOAD_SECRET_KEY"] = secret  # the same key in this process and both servers
            env = app_environment(database_url, "memory://", os.path.join(folder, "mail"), production)
            env.update(CELERY_TASK_ALWAYS_EAGER="true", DEBUG="false")
            support.setup_django({**env, "DJANGO_SETTINGS_MODULE": "benches.side.settings"})
            from django.conf import settings

            if settings.DEBUG or not settings.SECURE_SSL_REDIRECT:
                sys.exit("not the production settings: DEBUG must be off and SECURE_SSL_REDIRECT on")
            print(f"database {args.database}: migrated in {support.migrate():.1f} s; app at {support.app_version()}")
            key = seed(args)
            reference = newest_reference()
            paths = [FLOOR, *(path.replace("{ref}", reference or "") for path in args.endpoints)]
            sides = [InProcess(key)]
            sides[0].paths = paths
            if checkout:
                current = Servers({**env, "DJANGO_SETTINGS_MODULE": "benches.side.settings"}, folder, 1, 1,
                                  celery_worker=False, worker_class="sync")  # fmt: skip
                base_folder = os.path.join(folder, "base")
                os.mkdir(base_folder)
                earlier = Servers(env, base_folder, 1, 1, celery_worker=False, worker_class="sync", cwd=checkout.path)
                servers = [current.start(), earlier.start()]
                sides.append(Server("server current", current.base, key))
                sides[-1].paths = paths
                sides.append(Server(f"server {checkout.rev}", earlier.base, key))
                sides[-1].paths = paths[1:]  # the earlier code has no floor
            print(
                f"{len(paths) - 1} endpoints and the floor; {args.requests} timed rounds after {args.warmups}; "
                f"sides: {', '.join(side.label for side in sides)}; {os.cpu_count()} CPUs, load average "
                f"{os.getloadavg()[0]:.1f}"
            )
            started = time.perf_counter()
            samples = measure(sides, paths, args.requests, args.warmups)
            print(f"measured in {time.perf_counter() - started:.1f} s")
            report(samples, paths, sides, checkout.rev if checkout else None)
    finally:
        for running in servers:
            running.stop()
        if checkout:
            checkout.remove()
        if not args.keep:
            support.drop_database(url, args.database)


if __name__ == "__main__":
    main()
