"""Nightly jobs at scale on PostgreSQL: the cost refresh and the education figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benches.nightly_bench [--use-cases 100000] [--keep] [--reuse]

DATABASE_URL names the server; the bench works in its own scratch database,
``bench_q4_nightly`` by default: dropped and created afresh, migrated, seeded with the adoption
bench's seed (people, vendors and models, ``--use-cases`` use cases with their chosen models,
stages, KPIs and benefits, a policy and a course), and dropped at the end (``--keep`` keeps it,
``--reuse`` starts from a kept one, its estimates cleared first).

Then ``usecases.economics.refresh_cost_estimates()`` over every use case three times: first
with nothing stored (every estimated row is written), again with nothing changed (nothing may
be written), and after one use case's volume changed (exactly that row). For each: seconds,
rows changed as the function reports them, rows updated as PostgreSQL counts them
(``pg_stat_user_tables.n_tup_upd``), the table's size, queries (``CaptureQueriesContext``) and UPDATE
statements. A run over the first half of the use cases shows the queries growing with the
chunks (``REFRESH_CHUNK``), not the rows. Last, ``dashboard.adoption.education_figures()``
with 1 policy and 1 course, then with 10 of each: queries and milliseconds.
"""

import argparse
import math
import os
import random
import re
import secrets
import statistics
import sys
import time
from types import SimpleNamespace

from benches import support

NO_CHANGE_TARGET_SECONDS = 5.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-cases", type=int, default=100_000, help="use cases seeded (default 100000)")
    parser.add_argument("--users", type=int, default=2_000, help="people seeded (default 2000)")
    parser.add_argument("--seed", type=int, default=20261205, help="random seed of the data (default 20261205)")
    parser.add_argument("--database", default="bench_q4_nightly", help="scratch database (name starts with bench_)")
    parser.add_argument("--reuse", action="store_true", help="use the scratch database if it exists and is seeded")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database at the end")
    args = parser.parse_args()
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.database):
        parser.error("--database must match bench_[a-z0-9_]+")
    if args.use_cases < 2 or args.users < 20:
        parser.error("--use-cases must be at least 2 and --users at least 20")
    return args


def marker(args):
    return f"nightly_bench: {args.use_cases} use cases, {args.users} users, seed {args.seed}"


def seed(args):
    """The adoption bench's people, vendors, use cases and education, without its refresh."""
    from django.db import connection
    from django.utils import timezone

    from benches.adoption.seed import seed_education, seed_use_cases
    from benches.adoption.seed_plan import Context, seed_people, seed_vendors

    started = time.perf_counter()
    rng, ctx = random.Random(args.seed), Context()
    ctx.now, ctx.today = timezone.now(), timezone.localdate()
    seed_people(SimpleNamespace(users=args.users), rng, ctx)
    seed_vendors(SimpleNamespace(vendors=200), rng, ctx)
    counts = seed_use_cases(args, rng, ctx)
    seed_education(rng, ctx)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f"COMMENT ON DATABASE {args.database} IS %s", [marker(args)])  # noqa: S608 - checked name
    rows = sum(counts.values())
    print(f"seeded {rows:,} rows ({counts['use cases']:,} use cases) in {time.perf_counter() - started:.1f} s")


def table_stats():
    """(rows updated so far in usecases_usecase, its total size in bytes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # this backend's counts, now
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_upd, pg_total_relation_size(relid) "
            "FROM pg_stat_user_tables WHERE relname = 'usecases_usecase'"
        )
        return cursor.fetchone()


def measure_refresh(label, ids=None):
    """One refresh: a dict of its figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from usecases.economics import refresh_cost_estimates

    updated_before, size_before = table_stats()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        changed = refresh_cost_estimates(ids)
        seconds = time.perf_counter() - started
    updated_after, size_after = table_stats()
    sql = [query["sql"].lstrip().upper() for query in captured.captured_queries]
    return {
        "label": label,
        "checked": None if ids is None else len(ids),
        "seconds": seconds,
        "changed": changed,
        "rows_updated": updated_after - updated_before,
        "size": size_after,
        "size_before": size_before,
        "queries": len(sql),
        "updates": sum(statement.startswith("UPDATE") for statement in sql),
    }


def run_refreshes(use_cases):
    """The three refreshes over every use case, and a half one for the query growth."""
    from usecases import economics
    from usecases.models import UseCase

    runs = [measure_refresh("first (nothing stored)")]
    runs.append(measure_refresh("again, nothing changed"))
    changed = UseCase.objects.filter(estimated_closed_cost__gt=0).order_by("pk").first()
    UseCase.objects.filter(pk=changed.pk).update(monthly_requests=changed.monthly_requests * 2)
    runs.append(measure_refresh("after one use case's volume changed"))
    half = list(UseCase.objects.order_by("pk").values_list("pk", flat=True)[: math.ceil(use_cases / 2)])
    runs.append(measure_refresh("first half, nothing changed", half))
    chunks = [math.ceil(use_cases / economics.REFRESH_CHUNK), math.ceil(len(half) / economics.REFRESH_CHUNK)]
    return runs, chunks


def add_subjects(count):
    """``count`` more policies in force and courses, for all staff or a few departments, with
    acknowledgements and completions by a share of the people (bulk, like the seed)."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from governance.models import (
        PolicyAcknowledgement,
        PolicyDocument,
        PolicyVersion,
        TrainingCompletion,
        TrainingCourse,
    )
    from portal.models import Department

    now, today = timezone.now(), timezone.localdate()
    people = list(get_user_model().objects.filter(username__startswith="bench-user-").values_list("pk", flat=True))
    departments = list(Department.objects.order_by("pk"))
    acknowledgements, completions = [], []
    start = PolicyDocument.objects.count()
    for n in range(start, start + count):
        document = PolicyDocument.objects.create(
            key=f"bench-policy-{n}", title_ja=f"規程{n}", all_staff=n % 2 == 0, requires_acknowledgement=True
        )
        course = TrainingCourse.objects.create(
            key=f"bench-course-{n}", title_ja=f"研修{n}", all_staff=n % 2 == 1, validity_months=12
        )
        for subject in (document, course):
            if not subject.all_staff:
                subject.departments.set(departments[n % 4 :: 3])
        version = PolicyVersion.objects.create(
            document=document, number=1, body_ja="本文", status="published", published_at=now, published_by_id=people[0]
        )
        for i, person in enumerate(people):
            if (i + n) % 3:
                acknowledgements.append(PolicyAcknowledgement(version=version, user_id=person, acknowledged_at=now))
            if (i + n) % 4:
                on = today - datetime.timedelta(days=(i * 7) % 500)
                completions.append(
                    TrainingCompletion(
                        course=course,
                        user_id=person,
                        completed_on=on,
                        expires_on=on + datetime.timedelta(days=365),
                        source="admin",
                        recorded_by_id=people[0],
                    )
                )
    PolicyAcknowledgement.objects.bulk_create(acknowledgements, batch_size=2000)
    TrainingCompletion.objects.bulk_create(completions, batch_size=2000)


def remove_subjects():
    """The policies and courses ``add_subjects`` left in a kept database."""
    from governance.models import PolicyAcknowledgement, PolicyDocument, TrainingCompletion, TrainingCourse

    PolicyAcknowledgement.objects.filter(version__document__key__startswith="bench-policy-").delete()
    PolicyDocument.objects.filter(key__startswith="bench-policy-").delete()
    TrainingCompletion.objects.filter(course__key__startswith="bench-course-").delete()
    TrainingCourse.objects.filter(key__startswith="bench-course-").delete()


def per_subject_figures():
    """The education figures as they were computed before: one query per policy and per course
    (a join of the audience with its acknowledgements or completions), for comparison."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from governance.models import PolicyVersion, TrainingCourse

    def rates(users, done):
        rows = users.values("department_id").annotate(
            total=Count("id", distinct=True), done=Count("id", filter=done, distinct=True)
        )
        return sorted((row["department_id"] or 0, row["total"], row["done"]) for row in rows)

    on = timezone.localdate()
    in_force = PolicyVersion.objects.filter(
        status="published", document__is_active=True, document__requires_acknowledgement=True
    ).select_related("document")
    figures = [rates(v.document.audience_users(), Q(acknowledgements__version=v)) for v in in_force]
    for course in TrainingCourse.objects.filter(is_active=True):
        valid = Q(training_completions__course=course, training_completions__completed_on__lte=on) & (
            Q(training_completions__expires_on__isnull=True) | Q(training_completions__expires_on__gte=on)
        )
        figures.append(rates(course.audience_users(), valid))
    return figures


def measure_education(repeat=10):
    """(policies, courses, queries, p50 ms, per-subject queries, per-subject p50 ms, same figures)
    of education_figures() against the per-subject queries, alternating."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboard.adoption import education_figures

    with CaptureQueriesContext(connection) as captured:
        figures = education_figures()
    with CaptureQueriesContext(connection) as captured_before:
        before = per_subject_figures()
    ours = [
        sorted((row["department_id"] or 0, row["total"], row["done"]) for row in subject["by_department"])
        for subject in [*figures["policies"], *figures["courses"]]
    ]
    timings, timings_before = [], []
    for _ in range(repeat):
        for call, into in ((education_figures, timings), (per_subject_figures, timings_before)):
            started = time.perf_counter()
            call()
            into.append((time.perf_counter() - started) * 1000)
    return (
        len(figures["policies"]),
        len(figures["courses"]),
        len(captured),
        statistics.median(timings),
        len(captured_before),
        statistics.median(timings_before),
        ours == before,
    )


def met(ok):
    return "met" if ok else "**not met**"


def report(args, runs, chunks, education):
    from usecases import economics

    print(f"\ncost refresh, {args.use_cases:,} use cases, chunks of {economics.REFRESH_CHUNK}:\n")
    print("| refresh | use cases | seconds | rows changed | rows updated (PostgreSQL) | table MB | queries | UPDATEs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        print(
            f"| {run['label']} | {run['checked'] or args.use_cases:,} | {run['seconds']:.2f} | {run['changed']:,} "
            f"| {run['rows_updated']:,} | {run['size'] / 1e6:.1f} | {run['queries']} "
            f"| {run['updates']} |"
        )
    first, again, one, half = runs
    per_chunk = (again["queries"] - half["queries"]) / (chunks[0] - chunks[1]) if chunks[0] != chunks[1] else 0
    fixed = again["queries"] - per_chunk * chunks[0]
    print(
        f"\nnothing changed: {again['seconds']:.2f} s against {first['seconds']:.2f} s for the first refresh "
        f"({again['seconds'] / first['seconds']:.2f}x); queries {again['queries']} = {fixed:g} + {per_chunk:g} "
        f"per chunk x {chunks[0]} chunks ({half['queries']} for {chunks[1]})"
    )
    print("\neducation_figures(), against one query per policy and per course (alternating):\n")
    print("| policies in force, active courses | queries | p50 ms | per-subject queries | per-subject p50 ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for policies, courses, queries, p50, queries_before, p50_before, _same in education:
        print(
            f"| {policies}, {courses} | {queries} | {p50:.1f} | {queries_before} | {p50_before:.1f} "
            f"| {p50 / p50_before:.2f}x |"
        )
    targets = [
        (
            "a refresh with nothing changed writes nothing",
            again["changed"] == again["rows_updated"] == again["updates"] == 0,
        ),
        (
            f"... in under {NO_CHANGE_TARGET_SECONDS:g} s ({again['seconds']:.2f} s)",
            again["seconds"] < NO_CHANGE_TARGET_SECONDS,
        ),
        (
            "one use case changed: exactly that row written",
            one["changed"] == one["rows_updated"] == one["updates"] == 1,
        ),
        ("the first refresh wrote every estimated row", first["changed"] == first["rows_updated"] > 0),
        ("queries grow with the chunks, not the rows", per_chunk == int(per_chunk) and fixed == int(fixed)),
        ("education figures: the same queries for 1 and 10 policies and courses", education[0][2] == education[1][2]),
        ("education figures: the same figures as one query per policy and course", all(row[6] for row in education)),
    ]
    print("\ntargets:")
    for label, ok in targets:
        print(f"- {label}: {met(ok)}")
    return all(ok for _label, ok in targets)


def main():
    args = parse_args()
    url = support.server_url()
    exists, comment = support.describe_database(url, args.database)
    reuse = args.reuse and exists and comment == marker(args)
    if not reuse:
        support.recreate_database(url, args.database)
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "bench-only-" + secrets.token_urlsafe(32)  # lets DEBUG stay off
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    support.setup_django({"DATABASE_URL": support.with_database(url, args.database)})
    print(f"database {args.database}: migrated in {support.migrate():.1f} s")
    ok = False
    try:
        from usecases.models import UseCase

        if reuse:
            print(f"reusing the seeded database ({comment}); its stored estimates cleared")
            remove_subjects()
            UseCase.objects.update(estimated_closed_cost=None, estimated_self_hosted_cost=None, cost_estimated_at=None)
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE usecases_usecase")
        else:
            seed(args)
        runs, chunks = run_refreshes(args.use_cases)
        education = [measure_education()]
        add_subjects(10 - education[0][0])
        education.append(measure_education())
        ok = report(args, runs, chunks, education)
    finally:
        if not args.keep:
            support.drop_database(url, args.database)
            print(f"\n(dropped {args.database})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
