"""The adoption bench's seed, first half: the mixes it draws from, people, vendors and models,
and the plan of each use case (status, roadmap step, dates)."""

import contextlib
import datetime
from decimal import Decimal

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
    # A small seed can leave a department without an active requester: any requester owns then.
    owners = ctx.owners_by_department.get(department.pk) or [
        pk for pks in ctx.owners_by_department.values() for pk in pks
    ]
    owner_id = rng.choice(owners)
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
    )
    return {"use_case": use_case, "status": status, "style": style, "decided": decided}
