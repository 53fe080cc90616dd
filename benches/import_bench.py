"""The spreadsheet import at scale on PostgreSQL: a use-case file of 10,000 rows (each with two
tasks, a KPI and a model) checked (preview) and written (confirm), then imported again (every row
unchanged), through the import services the pages and the API call.

    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal \\
        .venv/bin/python -m benches.import_bench [--use-cases 10000] [--format csv|xlsx] [--keep]

DATABASE_URL names the server; the bench works in its own database, ``bench_imports`` by default,
created afresh, migrated, seeded with one department, one requester and one AI model, and dropped
at the end unless ``--keep``. DEBUG stays off. The file is made in memory (``--format``), then:

- **preview**: ``imports.services.upload`` (read the file, check every row against the database,
  store the outcome of each), run inline rather than by the worker to time it alone;
- **confirm**: ``imports.services.confirm`` (every row through ``usecases.services.create_draft``,
  with its audit event, reference code, policy checks and cost estimate, in one transaction);
- **again**: the same file uploaded a second time: every row must come back "unchanged".

Target: preview + confirm under 60 s for 10,000 rows.
"""

import argparse
import csv
import io
import os
import re
import secrets
import sys
import time

from benches import support

TARGET_SECONDS = 60.0
HEADER = [
    "External ID",
    "Title",
    "Summary",
    "Category",
    "Audience",
    "Input data classification",
    "Intended style",
    "Requests a month",
    "Average input tokens",
    "Average output tokens",
    "Task 1",
    "Task 1 performer",
    "Task 2",
    "Task 2 performer",
    "KPI 1",
    "KPI 1 unit",
    "KPI 1 target",
    "Model 1",
    "Model 1 deployment",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-cases", type=int, default=10_000, help="rows of the file (default 10000)")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="file format (default csv)")
    parser.add_argument("--database", default="bench_imports", help="database (name starts with bench_)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.database):
        parser.error("--database must look like bench_<lowercase letters, digits, _>")
    return args


def seed():
    from portal.models import Department
    from portal.roles import Role
    from tests.factories import UserFactory
    from vendors.models import AIModel, Licence, Vendor

    department = Department.objects.create(code="bench", name="ベンチ部", name_en="Bench")
    user = UserFactory(username="bench-requester", department=department, role=Role.REQUESTER)
    vendor = Vendor.objects.create(name="Bench AI", kind="closed_api")
    model = AIModel.objects.create(
        name="bench-model",
        version="1",
        publisher=vendor,
        openness="closed_api",
        licence=Licence.objects.get(identifier="LicenseRef-Proprietary-API"),
    )
    return user, f"{vendor.name} / {model}"


def make_file(rows, model, fmt):
    lines = [HEADER]
    for n in range(rows):
        lines.append(
            [
                f"BENCH-{n:06d}",
                f"広告コピー案の生成 {n}",
                "広告コピーの案を出し、担当者が選ぶ。",
                "Creative production",
                "internal",
                "Internal",
                "closed_api",
                "1000",
                "800",
                "400",
                "コピー案を出す",
                "ai",
                "採用案を決める",
                "human",
                "クリック率",
                "%",
                "2.5",
                model,
                "closed_api",
            ]
        )
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerows(lines)
        return text.getvalue().encode()
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for line in lines:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def measure(args):
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from imports import services
    from portal.celery import app
    from usecases.models import UseCase

    # The worker's path, as production runs a file this large: the tasks run in this process
    # (eagerly) as soon as the upload and the confirmation are committed.
    app.conf.task_always_eager = True
    user, model = seed()
    content = make_file(args.use_cases, model, args.format)
    results = []

    def step(label, function):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            value = function()
            seconds = time.perf_counter() - started
        results.append({"step": label, "seconds": seconds, "queries": count[0]})
        return value

    def upload():
        job = services.upload(user, "use_cases", SimpleUploadedFile(f"inventory.{args.format}", content))
        job.refresh_from_db()
        return job

    def confirm():
        services.confirm(job, user)
        job.refresh_from_db()
        return job

    background = args.use_cases > settings.IMPORT_BACKGROUND_ROWS
    print(f"checked and written {'by the worker (eager)' if background else 'inline'}", flush=True)
    job = step("preview", upload)
    job = step("confirm", confirm)
    created = UseCase.objects.count()
    again = step("again (preview)", upload)
    unchanged = again.counts.get("unchanged", 0)
    return results, {
        "bytes": len(content),
        "status": job.status,
        "created": created,
        "unchanged": unchanged,
        "error": job.error,
    }


def report(args, results, facts):
    print(
        f"\napp at {support.app_version()}; {args.use_cases:,} use-case rows ({args.format}, "
        f"{facts['bytes'] / 1e6:.1f} MB); {os.cpu_count()} CPUs; DEBUG off; load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| step | rows | seconds | rows/s | queries | queries/row |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in results:
        print(
            f"| {row['step']} | {args.use_cases:,} | {row['seconds']:.2f} | {args.use_cases / row['seconds']:,.0f} | "
            f"{row['queries']:,} | {row['queries'] / args.use_cases:.1f} |"
        )
    total = results[0]["seconds"] + results[1]["seconds"]
    ok_time = total < TARGET_SECONDS
    ok_rows = facts["status"] == "done" and facts["created"] == args.use_cases
    ok_again = facts["unchanged"] == args.use_cases
    print(f"\npreview + confirm: {total:.1f} s")
    print(f"- preview + confirm under {TARGET_SECONDS:g} s: {'met' if ok_time else '**not met**'}")
    print(f"- every row created ({facts['created']:,}): {'met' if ok_rows else '**not met** ' + facts['error']}")
    print(
        f"- a second import changes nothing ({facts['unchanged']:,} unchanged): {'met' if ok_again else '**not met**'}"
    )
    return ok_time and ok_rows and ok_again


def main(argv=None):
    args = parse_args(argv)
    url = support.server_url()
    support.recreate_database(url, args.database)
    os.environ["DATABASE_URL"] = support.with_database(url, args.database)
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "bench-only-" + secrets.token_urlsafe(32)  # lets DEBUG stay off
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    support.setup_django()
    try:
        print(f"database {args.database}: migrated in {support.migrate():.1f} s")
        results, facts = measure(args)
    finally:
        if not args.keep:
            support.drop_database(url, args.database)
    ok = report(args, results, facts)
    print(f"\n({'kept' if args.keep else 'dropped'} {args.database})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
