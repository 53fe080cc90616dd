"""Reminders at scale on PostgreSQL: time and query count of one scan and of sending.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres DEBUG=true \\
        .venv/bin/python -m benches.reminders_bench [--use-cases 100000] [--due 1000 10000]

DATABASE_URL names the server (any database on it the role may connect to); the bench
works in its own scratch database, ``bench_reminders`` by default: dropped and created
afresh, migrated, seeded, and dropped again at the end (``--keep`` keeps it, ``--reuse``
starts from a kept one). It seeds ``--use-cases`` approved use cases owned by
``--owners`` users, all with their next review far away; then, for each ``--due`` size N,
it makes exactly N of them due for re-review tomorrow (one reminder each), and measures
``governance.reminders.scan.scan()`` and ``governance.reminders.outbox.send_due()`` with
Django's dummy mail backend (the e-mails are still built and rendered, not transmitted). Queries are counted with
``CaptureQueriesContext``; they must grow with the number of chunks and batches
(``REMINDER_SCAN_CHUNK``, ``REMINDER_SEND_BATCH``), not with the number of rows.

Caveat: the scan reads its items through a server-side cursor; the FETCH of each further
chunk is not an ``execute`` and so is not counted (one round trip per chunk).
"""

import argparse
import datetime
import math
import os
import re
import sys
import time

from benches import support


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-cases", type=int, default=100_000, help="use cases seeded (default 100000)")
    parser.add_argument(
        "--due", type=int, nargs="+", default=[1_000, 10_000], help="due use cases per run (default 1000 10000)"
    )
    parser.add_argument("--owners", type=int, default=300, help="users owning the use cases (default 300)")
    parser.add_argument("--database", default="bench_reminders", help="scratch database (name starts with bench_)")
    parser.add_argument("--reuse", action="store_true", help="use the scratch database if it exists and is seeded")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database at the end")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="old sent reminders already in the outbox (it keeps every row it sent; default 0)",
    )
    args = parser.parse_args()
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.database):
        parser.error("--database must match bench_[a-z0-9_]+")
    if any(due > args.use_cases or due < 1 for due in args.due):
        parser.error("each --due must be between 1 and --use-cases")
    return args


def prepare_database(url, name, reuse):
    """Create the scratch database (dropping an old one unless ``reuse``); True if it existed."""
    exists, _comment = support.describe_database(url, name)
    if exists and reuse:
        return True
    support.recreate_database(url, name)
    return False


def seed(use_cases, owners, far):
    """Users and approved use cases, in bulk. Returns the seconds taken."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from portal.models import Department
    from usecases.choices import UseCaseStatus
    from usecases.models import UseCase

    started = time.perf_counter()
    department, _created = Department.objects.get_or_create(
        code="bench", defaults={"name": "ベンチ部", "name_en": "Bench"}
    )
    User = get_user_model()
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(
                username=f"bench-owner-{n}",
                email=f"bench-owner-{n}@example.com",
                password=unusable,
                department=department,
                language="ja" if n % 2 else "en",
            )
            for n in range(owners)
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    owner_ids = list(User.objects.filter(username__startswith="bench-owner-").values_list("pk", flat=True))
    now = timezone.now()
    for start in range(0, use_cases, 5000):
        UseCase.objects.bulk_create(
            [
                UseCase(
                    reference=f"BENCH-{n:07d}",
                    title=f"Bench use case {n}",
                    owner_id=owner_ids[n % len(owner_ids)],
                    department=department,
                    status=UseCaseStatus.APPROVED,
                    submitted_at=now,
                    approved_at=now,
                    next_review_on=far,
                )
                for n in range(start, min(start + 5000, use_cases))
            ]
        )
    return time.perf_counter() - started


HISTORY_BEFORE = datetime.date(2021, 1, 1)  # history rows are due before this date


def add_history(rows):
    """``rows`` old reminders, sent long ago, as a year or more of scans leaves them. Returns seconds."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from usecases.models import UseCase

    started = time.perf_counter()
    use_cases = UseCase.objects.count()
    per_use_case = math.ceil(rows / use_cases)
    assert per_use_case < (HISTORY_BEFORE - datetime.date(2011, 1, 1)).days
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO governance_reminder (
                kind, step, days_before, content_type_id, object_id, object_repr, due_on, recipient_id,
                email, language, recipient_key, urgent, url, params, status, created_at, next_attempt_at,
                claimed_at, claim_token, attempts, sent_at, error)
            SELECT 'use_case_review', 'before', 30, %s, u.id, 'history', DATE '2011-01-01' + g, u.owner_id,
                '', '', 'user:' || u.owner_id, false, '', '{}', 'sent', now() - interval '400 days',
                now() - interval '400 days', now() - interval '400 days', NULL, 1, now() - interval '400 days', ''
            FROM usecases_usecase u CROSS JOIN generate_series(1, %s) g
            ORDER BY g, u.id
            LIMIT %s
            """,
            [ContentType.objects.get_for_model(UseCase).pk, per_use_case, rows],
        )
    return time.perf_counter() - started


def measure(call):
    """(result, seconds, queries, seconds spent in queries) of ``call()``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
    in_queries = sum(float(query["time"]) for query in captured.captured_queries)
    return result, seconds, len(captured.captured_queries), in_queries


def run(due, far, tomorrow):
    """Make exactly ``due`` use cases due tomorrow, then scan and send. Returns table rows."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.test.utils import override_settings

    from governance.models import Notification, Reminder
    from governance.reminders import outbox, scan
    from usecases.models import UseCase

    Notification.objects.all().delete()
    Reminder.objects.filter(due_on__gte=HISTORY_BEFORE).delete()  # the previous run's, not the history
    UseCase.objects.exclude(next_review_on=far).update(next_review_on=far)
    first = UseCase.objects.order_by("pk").values_list("pk", flat=True)[due - 1]
    assert UseCase.objects.filter(pk__lte=first).update(next_review_on=tomorrow) == due

    ContentType.objects.clear_cache()  # every scan starts cold, like one in a fresh worker process
    offered, scan_seconds, scan_queries, scan_db = measure(scan.scan)
    current = Reminder.objects.filter(due_on__gte=HISTORY_BEFORE)
    created = current.count()
    assert created == sum(offered.values()) == due, (created, offered)

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        totals, send_seconds, send_queries, send_db = measure(lambda: outbox.send_due(max_seconds=3600))
    sent = current.filter(status="sent").count()
    assert totals.get("sent") == sent == due, (totals, sent)
    assert Notification.objects.count() == due

    chunks = math.ceil(due / settings.REMINDER_SCAN_CHUNK)
    batches = math.ceil(due / settings.REMINDER_SEND_BATCH)
    return [
        ("scan", due, chunks, scan_seconds, scan_db, scan_queries),
        ("send_due", due, batches, send_seconds, send_db, send_queries),
    ]


def main():
    args = parse_args()
    url = support.server_url()
    existed = prepare_database(url, args.database, args.reuse)
    os.environ["DATABASE_URL"] = support.with_database(url, args.database)
    os.environ.setdefault("DEBUG", "true")  # settings refuse to start without DEBUG or SECRET_KEY
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    support.setup_django()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from usecases.models import UseCase

    print(f"database {args.database}: {'reused' if existed else 'created'}, migrated in {support.migrate():.1f} s")
    today = timezone.localdate()
    far = today + datetime.timedelta(days=400)  # outside every reminder window
    tomorrow = today + datetime.timedelta(days=1)  # the "1 day before" window of the re-review
    seeded = UseCase.objects.filter(reference__startswith="BENCH-").count()
    if seeded != args.use_cases or UseCase.objects.count() != seeded:
        if seeded or UseCase.objects.exists():
            sys.exit(f"{args.database} holds other use cases; run without --reuse to start afresh")
        print(
            f"seeded {args.use_cases} use cases and {args.owners} owners in "
            f"{seed(args.use_cases, args.owners, far):.1f} s"
        )
    else:
        print(f"reusing {seeded} seeded use cases")
    from governance.models import Reminder

    history = Reminder.objects.filter(due_on__lt=HISTORY_BEFORE).count()
    if history != args.history:
        Reminder.objects.filter(due_on__lt=HISTORY_BEFORE).delete()
        if args.history:
            print(f"added {args.history} old sent reminders in {add_history(args.history):.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("ANALYZE")

    try:
        results = []
        for due in sorted(args.due):
            results.extend(run(due, far, tomorrow))
    finally:
        if not args.keep:
            support.drop_database(url, args.database)

    print(
        f"\nPostgreSQL {version}; {args.use_cases} use cases; {args.history} old sent reminders; "
        f"REMINDER_SCAN_CHUNK={settings.REMINDER_SCAN_CHUNK}, "
        f"REMINDER_SEND_BATCH={settings.REMINDER_SEND_BATCH}; mail backend: dummy (messages built, not sent)\n"
    )
    header = (
        "phase",
        "rows",
        "chunks/batches",
        "seconds",
        "of which in queries",
        "rows/s",
        "queries",
        "queries/batch",
        "queries/1000 rows",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" if n else "---" for n in range(len(header))) + "|")
    for phase, rows, units, seconds, in_queries, queries in results:
        cells = (
            phase,
            f"{rows:,}",
            f"{units:,}",
            f"{seconds:.2f}",
            f"{in_queries:.2f}",
            f"{rows / seconds:,.0f}",
            f"{queries:,}",
            f"{queries / units:.1f}",
            f"{queries * 1000 / rows:.1f}",
        )
        print("| " + " | ".join(cells) + " |")
    if not args.keep:
        print(f"\n(dropped {args.database}; --keep keeps it for --reuse)")


if __name__ == "__main__":
    main()
