"""Adoption figures at scale on PostgreSQL: each endpoint through the full Django stack
against the same aggregates as one hand-written SQL statement, plus the inventory list and
the CSV export.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benches/adoption_bench.py [--use-cases 100000] [--requests 30] [--reseed]

DATABASE_URL names the server (any database on it the role may connect to); the bench works
in its own database, ``bench_adoption`` by default. The first run creates, migrates and seeds
it and keeps it: later runs reuse it, since seeding takes minutes (``--reseed`` drops and
seeds it afresh, ``--drop`` drops it at the end). DEBUG stays off (a throw-away SECRET_KEY
is set when none is given), so Django does not log every query during the timings.

Seeded (deterministic, ``--seed``): 12 departments, ``--users`` people (requesters, reviewers,
executives, admins), ``--vendors`` vendors with reassessment dates and 40 AI models,
``--use-cases`` use cases over the last 24 months (statuses, roadmap steps, categories, styles,
risk tiers, dates of submission, approval, going live and retirement), their chosen models,
approval stages (decided ones, and the pending queue of the use cases in review), KPIs with
measurements, monthly benefit records, a policy in force with acknowledgements and a course
with completions. The stored cost estimates are filled by the application's own
``usecases.economics.refresh_cost_estimates`` (timed). Then ``VACUUM ANALYZE``.

Measured (``ANALYZE`` first): for each adoption endpoint, ``--warmups`` then ``--requests``
GETs through ``django.test.Client`` logged in as an executive (middleware, session, DRF,
permissions, serializers, JSON); its query count (one more request under
``CaptureQueriesContext``); the same figures computed by calling ``dashboard.adoption`` directly
(no HTTP); and one hand-written SQL statement computing the same aggregates, run as many
times through ``connection.cursor()``, whose result is checked against the endpoint's.
Then ``GET /api/v1/use-cases/?page_size=50`` and the streamed CSV export of every use case
(time, rows, and memory: the process RSS sampled every 1,000 rows while consuming it; with
``--tracemalloc``, a second pass for the peak of Python allocations after 10% and 100% of
the rows, about four times slower).
"""

import argparse
import contextlib
import datetime
import gc
import os
import random
import re
import secrets
import sys
import time
import tracemalloc
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

CHUNK = 5000  # use cases built, inserted (with their children) and committed at a time
TARGET_QUERIES = 10
TARGET_RATIO = 3.0
TARGET_SUMMARY_P95_MS = 300.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-cases", type=int, default=100_000, help="use cases seeded (default 100000)")
    parser.add_argument("--users", type=int, default=2_000, help="people seeded (default 2000)")
    parser.add_argument("--vendors", type=int, default=200, help="vendors seeded (default 200)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint (default 30)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument("--seed", type=int, default=20261128, help="random seed of the data (default 20261128)")
    parser.add_argument("--database", default="bench_adoption", help="database (name starts with bench_)")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed it afresh")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each endpoint's slowest query")
    parser.add_argument("--show-queries", action="store_true", help="print every query of each endpoint")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="export a second time under tracemalloc for the peak of Python allocations (about 4x slower)",
    )
    args = parser.parse_args()
    if not re.fullmatch(r"bench_[a-z0-9_]+", args.database):
        parser.error("--database must match bench_[a-z0-9_]+")
    if args.use_cases < 1000 or args.users < 50 or args.vendors < 20 or args.requests < 2:
        parser.error("at least 1000 use cases, 50 users, 20 vendors and 2 requests")
    return args


# --- Database ------------------------------------------------------------------------------------


def server_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must be a postgres://user@host:port/name URL (the bench measures PostgreSQL).")
    return url


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def admin_connection(url):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def prepare_database(url, name, reseed):
    """Create the database unless it exists (drop it first with ``reseed``). Its comment, set
    when seeding finished, says what it holds; None when it was (re)created or not finished."""
    from psycopg import sql

    with admin_connection(url) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if row is not None and not reseed:
            return row[0]
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return None


def drop_database(url, name):
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    with admin_connection(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def seed_marker(args):
    return f"adoption_bench: {args.use_cases} use cases, {args.users} users, {args.vendors} vendors, seed {args.seed}"


# --- Seeding -----------------------------------------------------------------------------------

DEPARTMENTS = [  # code, name, English name, weight (share of people and use cases)
    ("bench-sales", "営業本部", "Sales", 18),
    ("bench-marketing", "マーケティング部", "Marketing", 16),
    ("bench-creative", "クリエイティブ局", "Creative", 14),
    ("bench-support", "カスタマーサポート部", "Customer support", 12),
    ("bench-it", "情報システム部", "IT", 9),
    ("bench-media", "メディア事業部", "Media", 7),
    ("bench-data", "データ戦略室", "Data strategy", 6),
    ("bench-hr", "人事部", "HR", 5),
    ("bench-finance", "経理財務部", "Finance", 4),
    ("bench-rd", "研究開発部", "R&D", 4),
    ("bench-legal", "法務部", "Legal", 3),
    ("bench-planning", "経営企画室", "Corporate planning", 2),
]
STATUS_MIX = {
    "draft": 10,
    "submitted": 4,
    "in_review": 6,
    "changes_requested": 3,
    "approved": 16,
    "rejected": 5,
    "piloting": 17,
    "in_production": 27,
    "retired": 7,
    "withdrawn": 5,
}
CATEGORY_MIX = {"creative": 25, "content_seo": 20, "sales_support": 25, "analytics": 20, "other": 5, "": 5}
STYLE_MIX = {"closed_saas": 30, "closed_api": 28, "open_cloud": 9, "open_self_hosted": 10, "hybrid": 18, "": 5}
TIER_MIX = {"minimal": 50, "limited": 32, "high": 15, "prohibited": 3}
DECIDED = {"approved", "rejected", "piloting", "in_production", "retired"}
LIVE = {"approved", "piloting", "in_production"}
OPEN = {"submitted", "in_review", "changes_requested"}
SUMMARY_WORDS = (
    "問い合わせ対応の一次回答を生成し、担当者が確認してから送信する。",
    "広告バナーのコピー案を複数作成し、ブランドトーンに合わせて選定する。",
    "Summarise weekly sales reports and flag accounts at risk for the team lead.",
    "社内規程のFAQ検索を自然言語で行い、根拠となる条文を提示する。",
    "Draft SEO article outlines from keyword research; editors write the final text.",
    "会議の議事録を要約し、決定事項と宿題を抽出する。",
    "Classify incoming tickets by product and urgency before routing them.",
)


def weighted(rng, mix):
    return rng.choices(list(mix), weights=list(mix.values()))[0]


@contextlib.contextmanager
def explicit_timestamps(*fields):
    """Let bulk_create keep the dates we set on auto_now / auto_now_add fields (the bench spreads
    them over 24 months); restored afterwards."""
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Context:
    """What the use-case generator draws from: departments, people, models, stage definitions."""


def seed_people(args, rng, ctx):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from portal.models import Department

    User = get_user_model()
    ctx.departments = [
        Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})[0]
        for code, name, name_en, _weight in DEPARTMENTS
    ]
    ctx.department_weights = [weight for *_rest, weight in DEPARTMENTS]
    unusable = make_password(None)
    roles = {"requester": 85, "reviewer": 8, "executive": 4, "governance_admin": 3}
    people = []
    for n in range(args.users):
        department = rng.choices(ctx.departments, weights=ctx.department_weights)[0]
        people.append(
            User(
                username=f"bench-user-{n:05d}",
                email=f"bench-user-{n:05d}@example.com",
                first_name=f"User{n}",
                last_name=department.name_en,
                password=unusable,
                department=department,
                language="en" if n % 4 == 0 else "ja",
                is_active=rng.random() > 0.03,
            )
        )
    people.append(
        User(
            username="bench-executive",
            email="bench-executive@example.com",
            password=unusable,
            department=ctx.departments[-1],
            language="ja",
        )
    )
    User.objects.bulk_create(people, batch_size=1000)
    groups = {group.name: group for group in Group.objects.filter(name__in=roles)}
    memberships, ctx.owners_by_department, ctx.reviewers = [], {}, []
    for person in people[:-1]:
        role = weighted(rng, roles)
        memberships.append(User.groups.through(user_id=person.pk, group_id=groups[role].pk))
        if role == "requester" and person.is_active:
            ctx.owners_by_department.setdefault(person.department_id, []).append(person.pk)
        if role == "reviewer":
            ctx.reviewers.append(person.pk)
    memberships.append(User.groups.through(user_id=people[-1].pk, group_id=groups["executive"].pk))
    User.groups.through.objects.bulk_create(memberships, batch_size=2000)
    ctx.people = people[:-1]
    ctx.admin_id = ctx.reviewers[0]


def seed_vendors(args, rng, ctx):
    from vendors.models import AIModel, Licence, Vendor

    kinds = {"closed_api": 15, "saas": 35, "open_weights": 10, "cloud": 20, "integrator": 20}
    statuses = {
        "approved": 40,
        "approved_with_conditions": 15,
        "under_assessment": 15,
        "prospective": 15,
        "rejected": 8,
        "offboarded": 7,
    }
    levels = {"public": 15, "internal": 45, "confidential": 32, "restricted": 8}
    vendors = []
    for n in range(args.vendors):
        status = weighted(rng, statuses)
        approved = status in ("approved", "approved_with_conditions")
        vendors.append(
            Vendor(
                name=f"Bench vendor {n:04d}",
                kind=weighted(rng, kinds) if n >= 20 else ("closed_api" if n < 10 else "open_weights"),
                headquarters_country=rng.choice(["JP", "US", "IE", "DE", "SG"]),
                status="approved" if n < 20 else status,
                approved_level=weighted(rng, levels) if approved or n < 20 else "",
                risk_rating=rng.choice(["low", "medium", "high", ""]),
                next_reassessment_on=(
                    ctx.today + datetime.timedelta(days=rng.randint(-90, 400))
                    if (approved or n < 20) and rng.random() < 0.9
                    else None
                ),
            )
        )
    Vendor.objects.bulk_create(vendors)
    licences = {licence.identifier: licence for licence in Licence.objects.all()}
    proprietary = licences["LicenseRef-Proprietary-API"]
    open_licences = [licences[key] for key in ("Apache-2.0", "MIT", "LicenseRef-Llama-Community")]
    models = []
    for n in range(24):  # closed models with prices in USD, from the first ten vendors
        price_in = Decimal(rng.choice(["0.15", "0.40", "1.10", "2.50", "3.00", "5.00", "15.00"]))
        models.append(
            AIModel(
                name=f"Bench closed model {n:02d}",
                version="1",
                publisher=vendors[n % 10],
                openness="closed_api",
                licence=proprietary,
                hosting_options=["vendor_cloud"],
                price_input_per_million=price_in,
                price_output_per_million=price_in * 4,
                currency="USD",
                status="approved",
            )
        )
    for n in range(16):  # open-weights models; half priced when run on a vendor's cloud
        priced = n % 2 == 0
        models.append(
            AIModel(
                name=f"Bench open model {n:02d}",
                version="1",
                publisher=vendors[10 + n % 10],
                openness="open_weights",
                licence=open_licences[n % 3],
                hosting_options=["vendor_cloud", "self_hosted"],
                price_input_per_million=Decimal("0.20") if priced else None,
                price_output_per_million=Decimal("0.60") if priced else None,
                currency="USD",
                status="approved",
            )
        )
    AIModel.objects.bulk_create(models)
    ctx.closed_models = models[:24]
    ctx.open_models = models[24:]
    ctx.priced_open_models = [model for model in ctx.open_models if model.price_input_per_million is not None]


def plan_dates(status, rng, now):
    """created, submitted, approved, decided (approval or rejection), went live, retired, last change."""
    day = datetime.timedelta(days=1)

    def clamp(moment):
        return min(moment, now - datetime.timedelta(minutes=rng.randint(5, 600)))

    if status in OPEN:
        created = now - day * rng.uniform(3, 75)
    elif status == "draft":
        created = now - day * rng.uniform(0.1, 730)
    else:
        created = now - day * rng.uniform(30, 730)
    submitted = approved = decided = live = retired = None
    if status in OPEN or status in DECIDED or (status == "withdrawn" and rng.random() < 0.5):
        submitted = clamp(created + day * rng.uniform(0.2, 3))
    if status in DECIDED:
        decided = clamp(submitted + day * rng.gammavariate(2.0, 9.0) + day)
        if status != "rejected":
            approved = decided
    if status == "in_production" or (status == "retired" and rng.random() < 0.6):
        live = clamp(approved + day * rng.uniform(20, 200))
    if status == "retired":
        retired = clamp((live or approved) + day * rng.uniform(10, 300))
    last = max(moment for moment in (created, submitted, decided, live, retired) if moment is not None)
    return created, submitted, approved, decided, live, retired, last


def plan_use_case(n, rng, ctx):
    from usecases.models import UseCase

    status = weighted(rng, STATUS_MIX)
    department = rng.choices(ctx.departments, weights=ctx.department_weights)[0]
    owner_id = rng.choice(ctx.owners_by_department[department.pk])
    category, style = weighted(rng, CATEGORY_MIX), weighted(rng, STYLE_MIX)
    created, submitted, approved, decided, live, retired, last = plan_dates(status, rng, ctx.now)
    tier = "" if submitted is None else weighted(rng, TIER_MIX)
    override = ""
    if tier and rng.random() < 0.02:
        override = rng.choice([other for other in TIER_MIX if other != tier])
    step = 1
    if status in ("submitted", "in_review", "changes_requested", "rejected", "approved"):
        step = 2
    elif status == "piloting":
        step = rng.choices([3, 4, 5], weights=[5, 3, 2])[0]
    elif status == "in_production":
        step = rng.choices([5, 6], weights=[6, 4])[0]
    elif status == "retired":
        step = rng.randint(3, 6)
    volume_known = status != "draft" or rng.random() < 0.7
    summary = " ".join(rng.choice(SUMMARY_WORDS) for _ in range(rng.randint(1, 4)))
    use_case = UseCase(
        reference=f"BENCH-{n:07d}",
        title=f"ベンチ用途 {n}: {category or 'uncategorised'} / {department.name_en}",
        summary=summary,
        department=department,
        owner_id=owner_id,
        category=category,
        audience=rng.choice(["internal", "internal", "customer_facing"]),
        data_classification=weighted(rng, {"public": 15, "internal": 50, "confidential": 30, "restricted": 5}),
        involves_personal_data=rng.random() < 0.25,
        intended_style=style,
        monthly_requests=int(10 ** rng.uniform(2.5, 6.3)) if volume_known else None,
        avg_input_tokens=rng.randint(200, 4000) if volume_known else None,
        avg_output_tokens=rng.randint(100, 1500) if volume_known else None,
        risk_tier=tier,
        risk_tier_override=override,
        risk_tier_justification="ベンチ: レビュー担当者が判断を変更" if override else "",
        next_review_on=(approved + datetime.timedelta(days=180)).date() if approved and status in LIVE else None,
        approved_at=approved,
        roadmap_step=step,
        step_entered_at=live or approved or created,
        went_live_at=live,
        retired_at=retired,
        other_monthly_cost=Decimal(rng.randrange(10_000, 300_000, 1000)) if rng.random() < 0.2 else None,
        hourly_rate=Decimal(rng.randrange(3000, 8000, 500)) if rng.random() < 0.1 else None,
        status=status,
        created_at=created,
        updated_at=last,
        submitted_at=submitted,
        reviewers_notified_at=submitted,
    )
    return {"use_case": use_case, "status": status, "style": style, "decided": decided}


def model_choices(plan, rng, ctx):
    from usecases.models import UseCaseModel

    use_case, style = plan["use_case"], plan["style"]
    if style == "closed_saas":
        picks = [(rng.choice(ctx.closed_models), "closed_saas", "", None)]
    elif style == "closed_api":
        models = rng.sample(ctx.closed_models, rng.choice([1, 1, 2]))
        picks = [(model, "closed_api", "", None) for model in models]
    elif style == "open_cloud":
        picks = [(rng.choice(ctx.priced_open_models), "open_cloud", "", None)]
    elif style == "open_self_hosted":
        picks = [(rng.choice(ctx.open_models), "open_self_hosted", "", None)]
    elif style == "hybrid":
        decided = plan["status"] == "in_production"
        picks = [
            (rng.choice(ctx.closed_models), "closed_api", "operations" if decided else "", 70 if decided else None),
            (rng.choice(ctx.open_models), "open_self_hosted", "core" if decided else "", 30 if decided else None),
        ]
    else:
        picks = []
    return [
        UseCaseModel(
            use_case_id=use_case.pk,
            ai_model=model,
            deployment=deployment,
            position=position,
            role=role,
            request_share=share,
        )
        for position, (model, deployment, role, share) in enumerate(picks)
    ]


def approval_stages(plan, rng, ctx):
    """The stages a use case's history leaves: decided ones, and for those in review the
    pending queue (the first undecided stage started, the later ones planned)."""
    from governance.models import ApprovalStage

    use_case, status = plan["use_case"], plan["status"]
    submitted = use_case.submitted_at
    if submitted is None:
        return []
    tier = use_case.risk_tier_override or use_case.risk_tier
    definitions = [d for d in ctx.definitions if d.applies_to(tier, use_case.involves_personal_data)]
    definitions = definitions or ctx.definitions[:1]
    day = datetime.timedelta(days=1)
    stages, started = [], submitted

    def stage(definition, position, **fields):
        return ApprovalStage(
            use_case_id=use_case.pk,
            definition_id=definition.pk,
            group_id=definition.group_id,
            position=position,
            created_at=submitted,
            **fields,
        )

    def decided(definition, position, decision, stage_status, at):
        return stage(
            definition,
            position,
            status=stage_status,
            started_at=started,
            due_on=(started + day * 5).date(),
            decision=decision,
            decided_by_id=rng.choice(ctx.reviewers),
            decided_at=at,
        )

    if status in DECIDED:
        end = plan["decided"]
        for position, definition in enumerate(definitions):
            last = position == len(definitions) - 1
            at = end if last else min(end, started + day * rng.uniform(0.5, 6))
            if last and status == "rejected":
                stages.append(decided(definition, position, "reject", "rejected", at))
            else:
                stages.append(decided(definition, position, "approve", "approved", at))
            started = at
    elif status in ("submitted", "in_review"):
        done = 0 if status == "submitted" or len(definitions) == 1 else rng.randint(1, len(definitions) - 1)
        for position, definition in enumerate(definitions):
            if position < done:
                at = min(ctx.now - day * 0.1, started + day * rng.uniform(0.5, 6))
                stages.append(decided(definition, position, "approve", "approved", at))
                started = at
            elif position == done:
                stages.append(
                    stage(
                        definition,
                        position,
                        status="pending",
                        started_at=started,
                        due_on=(started + day * definition.sla_days).date(),
                    )
                )
            else:
                stages.append(stage(definition, position, status="pending"))
    elif status == "changes_requested":
        at = min(ctx.now - day * 0.1, started + day * rng.uniform(0.5, 6))
        stages.append(decided(definitions[0], 0, "request_changes", "changes_requested", at))
        stages.extend(stage(d, p, status="cancelled") for p, d in enumerate(definitions[1:], start=1))
    elif status == "withdrawn":
        stages.extend(stage(d, p, status="cancelled") for p, d in enumerate(definitions))
    return stages


def kpis_for(plan, rng, ctx):
    """(KPI, its measurements) of a share of the use cases; approved ones are measured monthly,
    the latest value reaching the target for a bit under half of them."""
    from usecases.models import Kpi, KpiMeasurement

    use_case, status = plan["use_case"], plan["status"]
    if rng.random() > (0.1 if status == "draft" else 0.4):
        return []
    result = []
    for n in range(rng.choice([1, 1, 2])):
        increase = rng.random() < 0.7
        baseline = Decimal(rng.randint(10, 100))
        target = None
        if rng.random() < 0.9:
            factor = Decimal(str(round(rng.uniform(1.1, 1.6) if increase else rng.uniform(0.5, 0.9), 2)))
            target = (baseline * factor).quantize(Decimal("0.01"))
        kpi = Kpi(
            use_case_id=use_case.pk,
            name=f"KPI {n + 1}",
            unit="%",
            direction="increase" if increase else "decrease",
            baseline=baseline,
            target=target,
        )
        measurements = []
        if use_case.approved_at is not None:
            first = use_case.approved_at.date()
            end = min(ctx.today, use_case.retired_at.date()) if use_case.retired_at else ctx.today
            count, reach = rng.randint(1, 6), rng.uniform(0.5, 1.4)
            goal = target if target is not None else baseline * Decimal("1.2")
            for i in range(count):
                measured_on = first + datetime.timedelta(days=30 * (i + 1))
                if measured_on > end:
                    break
                progress = Decimal(str(round(reach * (i + 1) / count, 3)))
                measurements.append(
                    KpiMeasurement(
                        measured_on=measured_on,
                        value=(baseline + (goal - baseline) * progress).quantize(Decimal("0.0001")),
                        recorded_by_id=use_case.owner_id,
                    )
                )
        result.append((kpi, measurements))
    return result


def benefits_for(plan, rng, ctx):
    from usecases.models import BenefitRecord

    use_case, status = plan["use_case"], plan["status"]
    if status not in ("piloting", "in_production", "retired") or rng.random() > 0.55:
        return []
    start = (use_case.went_live_at or use_case.approved_at).date().replace(day=1)
    last = min((use_case.retired_at or ctx.now).date(), ctx.today).replace(day=1)
    months, month = [], start
    while month <= last and len(months) < 12:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return [
        BenefitRecord(
            use_case_id=use_case.pk,
            month=month,
            hours_saved=Decimal(str(round(rng.uniform(5, 400), 1))),
            cost_saved=Decimal(rng.randrange(0, 200_000, 100)) if rng.random() < 0.5 else Decimal(0),
            revenue_gained=Decimal(rng.randrange(0, 1_000_000, 1000)) if rng.random() < 0.2 else Decimal(0),
            recorded_by_id=use_case.owner_id,
        )
        for month in months
    ]


def seed_use_cases(args, rng, ctx):
    """Use cases and their children, CHUNK at a time (each chunk one transaction). Returns row counts."""
    from django.db import transaction

    from governance.models import ApprovalStage, StageDefinition
    from usecases.models import BenefitRecord, Kpi, KpiMeasurement, UseCase, UseCaseModel

    ctx.definitions = list(StageDefinition.objects.filter(is_active=True).order_by("position"))
    counts = dict.fromkeys(("use cases", "chosen models", "approval stages", "KPIs", "measurements", "benefits"), 0)
    timestamps = [UseCase._meta.get_field(name) for name in ("created_at", "updated_at")]
    for start in range(0, args.use_cases, CHUNK):
        plans = [plan_use_case(n, rng, ctx) for n in range(start, min(start + CHUNK, args.use_cases))]
        with transaction.atomic(), explicit_timestamps(*timestamps):
            UseCase.objects.bulk_create([plan["use_case"] for plan in plans], batch_size=1000)
            choices, stages, kpis, benefits = [], [], [], []
            for plan in plans:
                choices.extend(model_choices(plan, rng, ctx))
                stages.extend(approval_stages(plan, rng, ctx))
                kpis.extend(kpis_for(plan, rng, ctx))
                benefits.extend(benefits_for(plan, rng, ctx))
            UseCaseModel.objects.bulk_create(choices, batch_size=2000)
            ApprovalStage.objects.bulk_create(stages, batch_size=2000)
            Kpi.objects.bulk_create([kpi for kpi, _measurements in kpis], batch_size=2000)
            measurements = []
            for kpi, rows in kpis:
                for row in rows:
                    row.kpi_id = kpi.pk
                    measurements.append(row)
            KpiMeasurement.objects.bulk_create(measurements, batch_size=2000)
            BenefitRecord.objects.bulk_create(benefits, batch_size=2000)
        for key, rows in zip(counts, (plans, choices, stages, kpis, measurements, benefits), strict=True):
            counts[key] += len(rows)
    return counts


def seed_education(rng, ctx):
    """A policy in force (version 2; version 1 superseded) and an AI-literacy course valid 12
    months, for all staff; acknowledgements and completions (some expired) by most people."""
    from governance.education.services import add_months
    from governance.models import (
        PolicyAcknowledgement,
        PolicyDocument,
        PolicyVersion,
        TrainingCompletion,
        TrainingCourse,
    )

    document = PolicyDocument.objects.create(
        key="bench-ai-usage-rules",
        title_ja="生成AI利用規程",
        title_en="Generative AI usage rules",
        all_staff=True,
        requires_acknowledgement=True,
    )
    old = PolicyVersion.objects.create(
        document=document,
        number=1,
        body_ja="第1版",
        status="superseded",
        published_at=ctx.now - datetime.timedelta(days=400),
        published_by_id=ctx.admin_id,
    )
    current = PolicyVersion.objects.create(
        document=document,
        number=2,
        body_ja="第2版",
        status="published",
        published_at=ctx.now - datetime.timedelta(days=60),
        published_by_id=ctx.admin_id,
        acknowledge_by=ctx.today - datetime.timedelta(days=46),
    )
    course = TrainingCourse.objects.create(
        key="bench-ai-literacy",
        title_ja="AIリテラシー研修",
        title_en="AI literacy",
        all_staff=True,
        validity_months=12,
    )
    acknowledgements, completions = [], []
    for person in ctx.people:
        for version, share in ((old, 0.9), (current, 0.7)):
            if rng.random() < share:
                acknowledgements.append(
                    PolicyAcknowledgement(
                        version=version,
                        user_id=person.pk,
                        acknowledged_at=version.published_at + datetime.timedelta(days=rng.uniform(0, 40)),
                    )
                )
        if rng.random() < 0.75:
            days = sorted(rng.sample(range(1, 560), rng.choice([1, 1, 1, 2])))
            for ago in days:
                completed_on = ctx.today - datetime.timedelta(days=ago)
                completions.append(
                    TrainingCompletion(
                        course=course,
                        user_id=person.pk,
                        completed_on=completed_on,
                        expires_on=add_months(completed_on, 12),
                        source="admin",
                        recorded_by_id=ctx.admin_id,
                    )
                )
    PolicyAcknowledgement.objects.bulk_create(acknowledgements, batch_size=2000)
    TrainingCompletion.objects.bulk_create(completions, batch_size=2000)
    return len(acknowledgements), len(completions)


def seed(args):
    from django.db import connection
    from django.utils import timezone

    from usecases.economics import refresh_cost_estimates

    rng = random.Random(args.seed)
    ctx = Context()
    ctx.now, ctx.today = timezone.now(), timezone.localdate()
    started = time.perf_counter()
    seed_people(args, rng, ctx)
    seed_vendors(args, rng, ctx)
    people_seconds = time.perf_counter() - started
    print(f"  {args.users} people, {args.vendors} vendors, 40 AI models: {people_seconds:.1f} s")
    started = time.perf_counter()
    counts = seed_use_cases(args, rng, ctx)
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    print(
        f"  {', '.join(f'{n:,} {name}' for name, n in counts.items())}: "
        f"{seconds:.1f} s (bulk_create, {rows / seconds:,.0f} rows/s)"
    )
    started = time.perf_counter()
    acknowledgements, completions = seed_education(rng, ctx)
    print(
        f"  a policy in force, a course: {acknowledgements:,} acknowledgements, {completions:,} completions: "
        f"{time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    refreshed = refresh_cost_estimates()
    refresh_seconds = time.perf_counter() - started
    print(
        f"  usecases.economics.refresh_cost_estimates(): {refreshed:,} use cases in {refresh_seconds:.1f} s "
        f"({refreshed / refresh_seconds:,.0f}/s)"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        name = connection.settings_dict["NAME"]  # bench_[a-z0-9_]+, checked by parse_args
        cursor.execute(f"COMMENT ON DATABASE {name} IS %s", [seed_marker(args)])  # noqa: S608
    print(f"  VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
    return refresh_seconds


# --- Raw SQL: the same aggregates, one statement per endpoint -----------------------------------

SUMMARY_COLUMNS = ("status", "roadmap_step", "category", "department_id", "style", "tier")
SUMMARY_SQL = """
WITH g AS (
    SELECT GROUPING(u.status, u.roadmap_step, u.category, u.department_id, s.style, s.tier) AS grp,
           u.status, u.roadmap_step, u.category, u.department_id, s.style, s.tier, count(*) AS n
    FROM usecases_usecase u
    CROSS JOIN LATERAL (
        SELECT CASE u.intended_style WHEN 'closed_saas' THEN 'closed' WHEN 'closed_api' THEN 'closed'
                    WHEN 'open_cloud' THEN 'open' WHEN 'open_self_hosted' THEN 'open'
                    WHEN 'hybrid' THEN 'hybrid' ELSE '' END AS style,
               COALESCE(NULLIF(u.risk_tier_override, ''), u.risk_tier) AS tier
    ) s
    GROUP BY GROUPING SETS ((u.status), (u.roadmap_step), (u.category), (u.department_id), (s.style), (s.tier))
)
SELECT g.grp, g.status, g.roadmap_step, g.category, g.department_id, g.style, g.tier, d.name, g.n
FROM g LEFT JOIN portal_department d ON d.id = g.department_id
"""

APPROVALS_SQL = """
WITH active AS (
    SELECT s.group_id, s.started_at, s.due_on
    FROM governance_approvalstage s JOIN usecases_usecase u ON u.id = s.use_case_id
    WHERE s.status = 'pending' AND s.started_at IS NOT NULL
), ageing AS (
    SELECT CASE WHEN started_at >= %(now)s - interval '7 days' THEN '0-7'
                WHEN started_at >= %(now)s - interval '14 days' THEN '8-14'
                WHEN started_at >= %(now)s - interval '30 days' THEN '15-30'
                ELSE '31+' END AS bucket, count(*) AS n
    FROM active GROUP BY 1
), by_group AS (
    SELECT g.name, count(*) AS pending, count(*) FILTER (WHERE a.due_on < %(today)s) AS overdue
    FROM active a JOIN auth_group g ON g.id = a.group_id GROUP BY g.name
), rejected AS (
    SELECT DISTINCT ON (use_case_id) use_case_id, decided_at
    FROM governance_approvalstage WHERE decision = 'reject'
    ORDER BY use_case_id, position, created_at, id
), decided AS (
    SELECT COALESCE(u.approved_at, r.decided_at) - u.submitted_at AS duration
    FROM usecases_usecase u LEFT JOIN rejected r ON r.use_case_id = u.id
    WHERE u.status = ANY(%(decided)s) AND u.submitted_at IS NOT NULL
      AND COALESCE(u.approved_at, r.decided_at) IS NOT NULL
)
SELECT (SELECT json_object_agg(bucket, n) FROM ageing),
       (SELECT json_agg(json_build_array(name, pending, overdue) ORDER BY name) FROM by_group),
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration) FROM decided)
"""

VENDORS_SQL = """
SELECT GROUPING(v.status, v.level) AS grp, v.status, v.level, count(*) AS n,
       count(*) FILTER (WHERE v.approved AND v.next_reassessment_on < %(today)s) AS overdue,
       count(*) FILTER (WHERE v.approved AND v.next_reassessment_on BETWEEN %(today)s AND %(in30)s) AS within_30,
       count(*) FILTER (WHERE v.approved AND v.next_reassessment_on BETWEEN %(today)s AND %(in60)s) AS within_60,
       count(*) FILTER (WHERE v.approved AND v.next_reassessment_on BETWEEN %(today)s AND %(in90)s) AS within_90
FROM (
    SELECT status, status = ANY(%(approved)s) AS approved, next_reassessment_on,
           CASE WHEN status = ANY(%(approved)s) THEN approved_level END AS level
    FROM vendors_vendor
) v
GROUP BY GROUPING SETS ((v.status), (v.level), ())
"""

COST_VALUE_SQL = """
WITH settings AS (
    SELECT currency, hourly_rate FROM usecases_costsettings WHERE id = 1
), live AS (
    SELECT id, department_id, hourly_rate, cost_estimated_at,
           COALESCE(estimated_closed_cost, 0) AS closed, COALESCE(estimated_self_hosted_cost, 0) AS self_hosted,
           COALESCE(other_monthly_cost, 0) AS other
    FROM usecases_usecase WHERE status = ANY(%(live)s)
), months AS (
    SELECT use_case_id, count(*) AS n FROM usecases_benefitrecord GROUP BY use_case_id
), costs AS (
    SELECT l.department_id, sum(l.closed) AS closed, sum(l.self_hosted) AS self_hosted, sum(l.other) AS other,
           sum((l.closed + l.self_hosted + l.other) * COALESCE(m.n, 0)) AS cost_over_months,
           count(*) AS use_cases, count(*) FILTER (WHERE l.cost_estimated_at IS NULL) AS not_estimated
    FROM live l LEFT JOIN months m ON m.use_case_id = l.id GROUP BY l.department_id
), benefits AS (
    SELECT l.department_id,
           sum(b.hours_saved * COALESCE(l.hourly_rate, s.hourly_rate) + b.cost_saved + b.revenue_gained) AS total
    FROM usecases_benefitrecord b JOIN live l ON l.id = b.use_case_id CROSS JOIN settings s
    GROUP BY l.department_id
), latest AS (
    SELECT DISTINCT ON (kpi_id) kpi_id, value FROM usecases_kpimeasurement ORDER BY kpi_id, measured_on DESC, id DESC
), kpis AS (
    SELECT count(*) AS measured,
           count(*) FILTER (WHERE (k.direction = 'increase' AND lt.value >= k.target)
                               OR (k.direction = 'decrease' AND lt.value <= k.target)) AS attained
    FROM usecases_kpi k JOIN live l ON l.id = k.use_case_id JOIN latest lt ON lt.kpi_id = k.id
    WHERE k.target IS NOT NULL
)
SELECT c.department_id, d.name, c.use_cases, c.not_estimated, c.closed, c.self_hosted, c.other,
       c.cost_over_months, COALESCE(b.total, 0), k.measured, k.attained, s.currency
FROM costs c JOIN portal_department d ON d.id = c.department_id
LEFT JOIN benefits b ON b.department_id = c.department_id CROSS JOIN kpis k CROSS JOIN settings s
ORDER BY d.name
"""

EDUCATION_SQL = """
WITH items AS (
    SELECT 'policy' AS kind, v.id AS item_id, d.id AS owner_id, d.all_staff
    FROM governance_policyversion v JOIN governance_policydocument d ON d.id = v.document_id
    WHERE v.status = 'published' AND d.is_active AND d.requires_acknowledgement
    UNION ALL
    SELECT 'course', c.id, c.id, c.all_staff FROM governance_trainingcourse c WHERE c.is_active
), audience AS (
    SELECT i.kind, i.item_id, u.id AS user_id, u.department_id
    FROM items i JOIN portal_user u ON u.is_active AND (
        i.all_staff
        OR (i.kind = 'policy' AND (
            u.department_id IN (SELECT x.department_id FROM governance_policydocument_departments x
                                WHERE x.policydocument_id = i.owner_id)
            OR EXISTS (SELECT 1 FROM portal_user_groups ug JOIN governance_policydocument_roles r
                       ON r.group_id = ug.group_id WHERE ug.user_id = u.id AND r.policydocument_id = i.owner_id)))
        OR (i.kind = 'course' AND (
            u.department_id IN (SELECT x.department_id FROM governance_trainingcourse_departments x
                                WHERE x.trainingcourse_id = i.owner_id)
            OR EXISTS (SELECT 1 FROM portal_user_groups ug JOIN governance_trainingcourse_roles r
                       ON r.group_id = ug.group_id WHERE ug.user_id = u.id AND r.trainingcourse_id = i.owner_id))))
)
SELECT a.kind, a.item_id, a.department_id, d.name, count(*) AS total,
       count(*) FILTER (WHERE CASE WHEN a.kind = 'policy'
           THEN EXISTS (SELECT 1 FROM governance_policyacknowledgement k
                        WHERE k.version_id = a.item_id AND k.user_id = a.user_id)
           ELSE EXISTS (SELECT 1 FROM governance_trainingcompletion t
                        WHERE t.course_id = a.item_id AND t.user_id = a.user_id AND t.completed_on <= %(today)s
                          AND (t.expires_on IS NULL OR t.expires_on >= %(today)s)) END) AS done
FROM audience a LEFT JOIN portal_department d ON d.id = a.department_id
GROUP BY a.kind, a.item_id, a.department_id, d.name
"""

TREND_SQL = """
SELECT date_trunc('month', e.at AT TIME ZONE %(tz)s) AS month, e.kind, count(*)
FROM usecases_usecase u
CROSS JOIN LATERAL (VALUES ('created', u.created_at), ('approved', u.approved_at),
                           ('in_production', u.went_live_at), ('retired', u.retired_at)) AS e(kind, at)
WHERE e.at IS NOT NULL
GROUP BY 1, 2
"""


def sql_params():
    from django.conf import settings
    from django.utils import timezone

    from usecases.choices import LIVE_STATES, UseCaseStatus
    from vendors.choices import APPROVED_VENDOR_STATES

    today = timezone.localdate()
    return {
        "now": timezone.now(),
        "today": today,
        "in30": today + datetime.timedelta(days=30),
        "in60": today + datetime.timedelta(days=60),
        "in90": today + datetime.timedelta(days=90),
        "tz": settings.TIME_ZONE,
        "live": sorted(str(state) for state in LIVE_STATES),
        "decided": sorted(str(state) for state in {*LIVE_STATES, UseCaseStatus.RETIRED, UseCaseStatus.REJECTED}),
        "approved": sorted(str(state) for state in APPROVED_VENDOR_STATES),
    }


# --- Checks: the raw statement's figures equal the endpoint's -------------------------------------


def nonzero(items, key="key"):
    return {item[key]: item["count"] for item in items if item["count"]}


def check_summary(api, rows):
    raw = {column: {} for column in SUMMARY_COLUMNS}
    for grp, *values, _name, n in rows:
        index = next(i for i in range(6) if not grp & (1 << (5 - i)))  # the grouped column's bit is 0
        value = values[index]
        raw[SUMMARY_COLUMNS[index]][str(value) if value is not None else ""] = n
    problems = []
    for column, field in zip(
        SUMMARY_COLUMNS,
        ("by_status", "by_roadmap_step", "by_category", "by_department", "by_style", "by_risk_tier"),
        strict=True,
    ):
        if nonzero(api[field]) != raw[column]:
            problems.append(f"{field}: api {nonzero(api[field])} != raw {raw[column]}")
    if api["total"] != sum(raw["status"].values()):
        problems.append(f"total: {api['total']} != {sum(raw['status'].values())}")
    return problems


def check_approvals(api, rows):
    ageing, groups, median = rows[0]
    problems = []
    if nonzero(api["ageing"], "bucket") != {k: v for k, v in (ageing or {}).items() if v}:
        problems.append(f"ageing: {api['ageing']} != {ageing}")
    raw_groups = [[name, pending, overdue] for name, pending, overdue in (groups or [])]
    api_groups = [[row["group"], row["pending"], row["overdue"]] for row in api["by_group"]]
    if api_groups != raw_groups:
        problems.append(f"by_group: {api_groups} != {raw_groups}")
    if api["pending"] != sum(row[1] for row in raw_groups) or api["overdue"] != sum(row[2] for row in raw_groups):
        problems.append("pending/overdue totals differ")
    raw_median = (
        None
        if median is None
        else Decimal(median.total_seconds() / 86400).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    )
    api_median = None if api["median_days_to_decision"] is None else Decimal(api["median_days_to_decision"])
    if api_median != raw_median:
        problems.append(f"median: {api_median} != {raw_median}")
    return problems


def check_vendors(api, rows):
    problems = []
    for grp, status, level, n, overdue, within_30, within_60, within_90 in rows:
        if grp == 1:  # by status
            if nonzero(api["by_status"]).get(status) != n:
                problems.append(f"status {status}: {nonzero(api['by_status']).get(status)} != {n}")
        elif grp == 2 and level is not None:
            if nonzero(api["by_approved_level"]).get(level) != n:
                problems.append(f"level {level}: {nonzero(api['by_approved_level']).get(level)} != {n}")
        elif grp == 3:
            raw = {
                "overdue": overdue,
                "within_30_days": within_30,
                "within_60_days": within_60,
                "within_90_days": within_90,
            }
            if api["reassessment_due"] != raw:
                problems.append(f"reassessment: {api['reassessment_due']} != {raw}")
    return problems


def check_cost_value(api, rows):
    cent = Decimal("0.01")
    problems = []
    api_rows = {row["department"]: row for row in api["by_department"]}
    if set(api_rows) != {row[0] for row in rows}:
        problems.append("departments differ")
    totals = dict.fromkeys(("closed", "self_hosted", "other", "cost_over_months", "benefit"), Decimal(0))
    for dept, _name, use_cases, not_estimated, closed, self_hosted, other, over_months, benefit, *_rest in rows:
        row = api_rows.get(dept, {})
        if (row.get("use_cases"), row.get("not_estimated")) != (use_cases, not_estimated):
            problems.append(f"department {dept}: counts differ")
        for key, value in zip(totals, (closed, self_hosted, other, over_months, benefit), strict=True):
            totals[key] += value
            if abs(Decimal(row.get(key, "0")) - value) > cent:
                problems.append(f"department {dept} {key}: {row.get(key)} != {value}")
    for key, value in totals.items():
        if abs(Decimal(api["total"][key]) - value) > cent * len(rows):
            problems.append(f"total {key}: {api['total'][key]} != {value}")
    measured, attained = (rows[0][9], rows[0][10]) if rows else (0, 0)
    if (api["kpis"]["measured"], api["kpis"]["attained"]) != (measured, attained):
        problems.append(f"kpis: {api['kpis']} != measured {measured}, attained {attained}")
    return problems


def check_education(api, rows):
    api_rows = sorted(
        (kind, row["department_id"], row["total"], row["done"])
        for kind, items in (("policy", api["policies"]), ("course", api["courses"]))
        for item in items
        for row in item["by_department"]
    )
    raw_rows = sorted((kind, dept, total, done) for kind, _item, dept, _name, total, done in rows)
    return [] if api_rows == raw_rows else [f"rates: {api_rows} != {raw_rows}"]


def check_trend(api, rows):
    raw = {}
    for month, kind, n in rows:
        raw.setdefault(month.date().isoformat(), dict.fromkeys(("created", "approved", "in_production", "retired"), 0))
        raw[month.date().isoformat()][kind] = n
    api_months = {row["month"]: {k: v for k, v in row.items() if k != "month"} for row in api}
    return [] if api_months == raw else ["monthly counts differ"]


# --- Measuring -----------------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed(call, runs):
    """Milliseconds of each of ``runs`` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    return response


def count_queries(client, url):
    """(queries, ms in queries as Django measured them, the slowest query, the response, all queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = get(client, url)
    queries = captured.captured_queries
    slowest = max(queries, key=lambda query: float(query["time"]))
    return len(queries), sum(float(q["time"]) for q in queries) * 1000, slowest, response, queries


def explain(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def run_raw(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def measure_endpoints(args, client, executive):
    from dashboard import adoption
    from usecases.models import UseCase

    def visible():
        return UseCase.objects.visible_to(executive)

    endpoints = [
        ("summary", lambda: adoption.summary(visible()), SUMMARY_SQL, check_summary),
        ("approvals", lambda: adoption.approvals(visible()), APPROVALS_SQL, check_approvals),
        ("vendors", adoption.vendors, VENDORS_SQL, check_vendors),
        ("cost-value", lambda: adoption.cost_value(visible()), COST_VALUE_SQL, check_cost_value),
        ("education", adoption.education_figures, EDUCATION_SQL, check_education),
        ("trend", lambda: adoption.trend(visible()), TREND_SQL, check_trend),
    ]
    results = []
    for name, figures, sql, check in endpoints:
        url = f"/api/v1/adoption/{name}/"
        for _ in range(args.warmups):
            get(client, url)
        queries, in_queries, slowest, _response, captured = count_queries(client, url)
        api_times = timed(lambda url=url: get(client, url), args.requests)
        for _ in range(args.warmups):
            figures()
        orm_times = timed(figures, args.requests)
        params = sql_params()
        for _ in range(args.warmups):
            run_raw(sql, params)
        raw_times = timed(lambda sql=sql, params=params: run_raw(sql, params), args.requests)
        # The check: a fresh request and the raw statement at (nearly) the same "now", so no stage
        # crosses an ageing boundary between the two.
        check_params = sql_params()
        problems = check(get(client, url).json(), run_raw(sql, check_params))
        result = {
            "name": name,
            "url": url,
            "queries": queries,
            "in_queries": in_queries,
            "p50": percentile(api_times, 0.5),
            "p95": percentile(api_times, 0.95),
            "orm_p50": percentile(orm_times, 0.5),
            "raw_p50": percentile(raw_times, 0.5),
            "raw_p95": percentile(raw_times, 0.95),
            "slowest": slowest,
            "problems": problems,
        }
        result["ratio"] = result["p50"] / result["raw_p50"]
        results.append(result)
        print(
            f"  {name:<11} {queries:>3} queries, p50 {result['p50']:8.1f} ms, p95 {result['p95']:8.1f} ms, "
            f"dashboard.adoption alone p50 {result['orm_p50']:8.1f} ms, raw SQL p50 {result['raw_p50']:7.1f} ms, "
            f"x{result['ratio']:.1f}; raw SQL {'matches' if not problems else 'DIFFERS: ' + '; '.join(problems)}"
        )
        if args.show_queries:
            for query in captured:
                print(f"      {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
        if args.explain:
            print(f"    slowest query ({float(slowest['time']) * 1000:.1f} ms): {slowest['sql']}")
            print("    " + explain(slowest["sql"]).replace("\n", "\n    "))
            print("    the raw statement:")
            print("    " + explain(cursor_sql(sql, params)).replace("\n", "\n    "))
    return results


def cursor_sql(sql, params):
    """``sql`` with ``params`` bound client-side, for EXPLAIN."""
    from django.db import connection

    with connection.cursor() as cursor:
        return cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else sql % params


def measure_list(args, client):
    url = "/api/v1/use-cases/?page_size=50"
    for _ in range(args.warmups):
        get(client, url)
    queries, in_queries, slowest, response, captured = count_queries(client, url)
    assert len(response.json()["results"]) == 50
    times = timed(lambda: get(client, url), args.requests)
    result = {
        "name": "use-cases list",
        "url": url,
        "queries": queries,
        "in_queries": in_queries,
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "slowest": slowest,
    }
    print(
        f"  use-cases list (page of 50): {queries} queries, p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
        f"slowest query {float(slowest['time']) * 1000:.1f} ms"
    )
    if args.show_queries:
        for query in captured:
            print(f"      {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
    if args.explain:
        print(f"    slowest query: {slowest['sql']}")
        print("    " + explain(slowest["sql"]).replace("\n", "\n    "))
    return result


def current_rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def consume_export(client, sample_every, on_sample):
    """Stream the whole export; ``on_sample(rows)`` every ``sample_every`` rows. Returns
    (seconds, seconds to the first row, rows, bytes, lines)."""
    started = time.perf_counter()
    response = client.get("/usecases/export.csv")
    assert response.status_code == 200 and response.streaming, response.status_code
    chunks = size = lines = 0
    first = None
    for chunk in response.streaming_content:
        chunks += 1
        size += len(chunk)
        lines += chunk.count(b"\n")
        if chunks == 3:
            first = time.perf_counter() - started
        if chunks % sample_every == 0:
            on_sample(chunks - 2)
    response.close()
    return time.perf_counter() - started, first, chunks - 2, size, lines - 1  # BOM and header are chunks 1-2


def measure_export(client, use_cases, trace):
    """Stream the export with the process RSS sampled every 1,000 rows; with ``trace``, once more
    under tracemalloc (slower) for the peak of Python allocations after a tenth of the rows and
    at the end."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    gc.collect()
    rss_start = current_rss()
    samples = []
    with CaptureQueriesContext(connection) as captured:
        seconds, first, rows, size, lines = consume_export(client, 1000, lambda rows: samples.append(current_rss()))
    result = {
        "seconds": seconds,
        "first_row": first,
        "rows": rows,
        "lines": lines,
        "bytes": size,
        "rss_start": rss_start,
        "rss_max": max(samples or [rss_start]),
        "rss_growth": max(samples or [rss_start]) - rss_start,
        "queries": len(captured.captured_queries),
        "peak_tenth": None,
        "peak_all": None,
    }
    print(
        f"  CSV export: {rows:,} rows ({lines:,} lines), {size / 1e6:.1f} MB in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s), first row after {first * 1000:.0f} ms, {result['queries']} queries; "
        f"RSS {rss_start / 1e6:.0f} MB at start, at most {result['rss_max'] / 1e6:.0f} MB while streaming "
        f"(+{result['rss_growth'] / 1e6:.1f} MB)"
    )
    if not trace:
        return result
    gc.collect()
    tenth = max(1, use_cases // 10)
    peaks = {}
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]

    def record(rows):
        if rows in (tenth, use_cases):
            peaks[rows] = tracemalloc.get_traced_memory()[1] - baseline

    traced_seconds, *_rest = consume_export(client, 1, record)
    tracemalloc.stop()
    result["peak_tenth"], result["peak_all"] = peaks.get(tenth), peaks.get(use_cases)
    print(
        f"  under tracemalloc: peak {result['peak_tenth'] / 1e6:.2f} MB after {tenth:,} rows, "
        f"{result['peak_all'] / 1e6:.2f} MB after {use_cases:,} (that pass: {traced_seconds:.1f} s)"
    )
    return result


# --- Report --------------------------------------------------------------------------------------


def app_version():
    """The commit the application code is at (read-only git), and whether it has local changes."""
    import subprocess

    def git(*command):
        return subprocess.run(  # noqa: S603 - fixed arguments
            ["git", *command],  # noqa: S607 - git from PATH
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" with uncommitted changes" if changed else "")


def mark(ok):
    return "met" if ok else "**not met**"


def report(args, version, jit, refresh_seconds, endpoints, listing, export):
    print(
        f"\nPostgreSQL {version} (jit {jit}); app at {app_version()}; {args.use_cases:,} use cases; "
        f"{os.cpu_count()} CPUs; {args.requests} timed requests per endpoint after {args.warmups} warm-ups; DEBUG off\n"
    )
    header = (
        "endpoint",
        "queries",
        "p50 ms",
        "p95 ms",
        "dashboard.adoption alone p50 ms",
        "raw SQL p50 ms",
        "p50 / raw",
        f"<= {TARGET_QUERIES} queries",
        f"<= {TARGET_RATIO:g}x raw",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if n == 0 else "---:" for n in range(len(header))) + "|")
    for row in endpoints:
        cells = (
            f"`{row['name']}`",
            str(row["queries"]),
            f"{row['p50']:.1f}",
            f"{row['p95']:.1f}",
            f"{row['orm_p50']:.1f}",
            f"{row['raw_p50']:.1f}",
            f"{row['ratio']:.1f}x",
            mark(row["queries"] <= TARGET_QUERIES),
            mark(row["ratio"] <= TARGET_RATIO),
        )
        print("| " + " | ".join(cells) + " |")
    summary = next(row for row in endpoints if row["name"] == "summary")
    print(
        f"\n`summary` p95 {summary['p95']:.1f} ms: target < {TARGET_SUMMARY_P95_MS:.0f} ms "
        f"{mark(summary['p95'] < TARGET_SUMMARY_P95_MS)}"
    )
    print(
        f"\n| other | queries | p50 ms | p95 ms |\n|---|---:|---:|---:|\n"
        f"| `GET /api/v1/use-cases/?page_size=50` | {listing['queries']} | {listing['p50']:.1f} | "
        f"{listing['p95']:.1f} |"
    )
    traced = (
        "not measured (--tracemalloc)"
        if export["peak_all"] is None
        else f"{export['peak_tenth'] / 1e6:.2f} / {export['peak_all'] / 1e6:.2f}"
    )
    print(
        f"\n| CSV export | rows | MB | seconds | rows/s | first row ms | queries | RSS growth MB | "
        f"tracemalloc peak MB (10% / 100% of rows) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| `GET /usecases/export.csv` | {export['rows']:,} | {export['bytes'] / 1e6:.1f} | {export['seconds']:.1f} | "
        f"{export['rows'] / export['seconds']:,.0f} | {export['first_row'] * 1000:.0f} | {export['queries']} | "
        f"{export['rss_growth'] / 1e6:.1f} | {traced} |"
    )
    if refresh_seconds is not None:
        print(f"\nrefresh_cost_estimates() over all {args.use_cases:,} use cases (seeding): {refresh_seconds:.1f} s")
    if export["rows"] != args.use_cases:
        print(f"\nWARNING: the export streamed {export['rows']:,} rows, not {args.use_cases:,}")
    mismatched = [row["name"] for row in endpoints if row["problems"]]
    if mismatched:
        print(f"\nWARNING: the raw SQL's figures differ from the endpoint's for: {', '.join(mismatched)}")


def main():
    args = parse_args()
    url = server_url()
    marker = prepare_database(url, args.database, args.reseed)
    os.environ["DATABASE_URL"] = with_database(url, args.database)
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "bench-only-" + secrets.token_urlsafe(32)  # lets DEBUG stay off
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from usecases.models import UseCase

    if settings.DEBUG:
        print("warning: DEBUG is on; Django records every query, which adds to the timings")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"database {args.database}: migrated in {time.perf_counter() - started:.1f} s; app at {app_version()}")
    refresh_seconds = None
    if marker == seed_marker(args):
        print(f"reusing the seeded database ({marker}); --reseed seeds it afresh")
    else:
        if marker is not None or UseCase.objects.exists():
            sys.exit(f"{args.database} holds other or unfinished data ({marker!r}); run with --reseed")
        print("seeding:")
        started = time.perf_counter()
        refresh_seconds = seed(args)
        print(f"seeded in {time.perf_counter() - started:.1f} s")

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
        cursor.execute("ANALYZE")
    executive = get_user_model().objects.get(username="bench-executive")
    client = Client(HTTP_HOST="localhost")
    client.force_login(executive)
    measuring = time.perf_counter()
    try:
        print("adoption endpoints:")
        endpoints = measure_endpoints(args, client, executive)
        print("inventory:")
        listing = measure_list(args, client)
        export = measure_export(client, args.use_cases, args.tracemalloc)
    finally:
        if args.drop:
            drop_database(url, args.database)
    print(f"measured in {time.perf_counter() - measuring:.0f} s")
    report(args, version, jit, refresh_seconds, endpoints, listing, export)
    if args.drop:
        print(f"\n(dropped {args.database})")


if __name__ == "__main__":
    main()
