"""The adoption bench's seed, second half: each use case's children (chosen models, approval
stages, KPIs and measurements, benefits), policies and courses, bulk-inserted in chunks."""

import datetime
import random
import time
from decimal import Decimal

from benches.adoption.seed_plan import DECIDED, Context, explicit_timestamps, plan_use_case, seed_people, seed_vendors

CHUNK = 5000  # use cases built, inserted (with their children) and committed at a time


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


def seed_marker(args):
    return f"adoption_bench: {args.use_cases} use cases, {args.users} users, {args.vendors} vendors, seed {args.seed}"
