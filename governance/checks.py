"""Risk tier and policy checks: the facts the rules read, the findings stored from them,
and the re-checks of open use cases after something they depend on changed.

The Celery tasks (``governance.tasks``) call this module, never the other way round.
"""

from celery import current_app
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance import rules
from governance.models import ClassificationLevel, ClassificationRule, Finding, PolicyException
from governance.risk import derive_risk_tier
from usecases.choices import CLOSED_STATES
from usecases.models import UseCase, UseCaseModel
from vendors.models import Assessment

RECHECK_TASK = "governance.tasks.recheck_use_cases"


def check_context(use_case, today=None):
    """Collect the facts the rules read (a few queries, whatever the number of models)."""
    choices = [
        (choice.deployment, choice.ai_model)
        for choice in use_case.model_choices.select_related("ai_model__publisher", "ai_model__licence")
    ]
    vendor_ids = {model.publisher_id for _style, model in choices}
    return _context(use_case, choices, _policy_facts(), _ready_vendors(vendor_ids), today)


def _policy_facts():
    """The classification matrix and the regions of each level (the same for every use case)."""
    matrix = {
        (rule.level.code, rule.style): rules.MatrixCell(
            rule.verdict,
            rule.require_vendor_approval,
            rule.require_zero_retention,
            rule.require_no_training,
            rule.require_region,
        )
        for rule in ClassificationRule.objects.select_related("level")
    }
    levels = list(ClassificationLevel.objects.all())
    allowed_regions = {level.code: [str(country) for country in level.allowed_regions] for level in levels}
    allowed_jurisdictions = {level.code: [str(country) for country in level.allowed_jurisdictions] for level in levels}
    return matrix, allowed_regions, allowed_jurisdictions


def _ready_vendors(vendor_ids):
    return frozenset(
        Assessment.objects.readiness_completed().filter(vendor_id__in=vendor_ids).values_list("vendor_id", flat=True)
    )


def _context(use_case, choices, facts, ready, today):
    matrix, allowed_regions, allowed_jurisdictions = facts
    return rules.CheckContext(
        level=use_case.data_classification,
        audience=use_case.audience,
        personal_data=use_case.involves_personal_data,
        customers_see_output=use_case.customers_see_output,
        human_checks_output=use_case.human_checks_output,
        risk_tier=use_case.effective_risk_tier,
        intended_style=use_case.intended_style,
        choices=choices,
        matrix=matrix,
        allowed_regions=allowed_regions,
        allowed_jurisdictions=allowed_jurisdictions,
        category=use_case.category,
        tuned_on_own_data=use_case.tuned_on_own_data,
        ready_vendor_ids=ready,
        today=today or timezone.localdate(),
    )


def run_checks(use_case):
    """Evaluate the rules and store the result as the use case's latest findings.

    Safe when two runs overlap (a re-check task and an edit, or two re-check tasks): the
    findings are upserted on their unique key and only those no longer raised are deleted,
    so neither run can trip over rows the other inserted (no IntegrityError to retry)."""
    results = rules.evaluate(check_context(use_case))
    now = timezone.now()
    with transaction.atomic():
        Finding.objects.bulk_create(
            [
                Finding(
                    use_case=use_case,
                    rule_id=result.rule_id,
                    subject=result.subject,
                    severity=result.severity,
                    facts=result.facts,
                    evaluated_at=now,
                )
                for result in results
            ],
            update_conflicts=True,
            unique_fields=["use_case", "rule_id", "subject"],
            update_fields=["severity", "facts", "evaluated_at"],
        )
        current = Q()
        for result in results:
            current |= Q(rule_id=result.rule_id, subject=result.subject)
        stale = Finding.objects.filter(use_case=use_case)
        (stale.exclude(current) if results else stale).delete()
    return results


def refresh_risk_tier(use_case):
    tier = derive_risk_tier(use_case)
    if tier != use_case.risk_tier:
        UseCase.objects.filter(pk=use_case.pk).update(risk_tier=tier)
        use_case.risk_tier = tier
    return tier


BULK_CHUNK = 500


def refresh_risk_tiers(use_cases):
    """``refresh_risk_tier`` of many use cases: one UPDATE per tier that changed."""
    moved = {}
    for use_case in use_cases:
        tier = derive_risk_tier(use_case)
        if tier != use_case.risk_tier:
            moved.setdefault(tier, []).append(use_case)
            use_case.risk_tier = tier
    for tier, group in moved.items():
        pks = [use_case.pk for use_case in group]
        for start in range(0, len(pks), BULK_CHUNK):
            UseCase.objects.filter(pk__in=pks[start : start + BULK_CHUNK]).update(risk_tier=tier)


def run_checks_bulk(use_cases, today=None):
    """``run_checks`` of many use cases, leaving the same findings, in a few queries per chunk
    (the matrix and the regions are read once; choices, vendor readiness and the stored findings
    once per chunk)."""
    facts = _policy_facts()
    now = timezone.now()
    today = today or timezone.localdate()
    use_cases = list(use_cases)
    for start in range(0, len(use_cases), BULK_CHUNK):
        chunk = use_cases[start : start + BULK_CHUNK]
        pks = [use_case.pk for use_case in chunk]
        choices = {}
        for choice in UseCaseModel.objects.filter(use_case_id__in=pks).select_related(
            "ai_model__publisher", "ai_model__licence"
        ):
            choices.setdefault(choice.use_case_id, []).append((choice.deployment, choice.ai_model))
        ready = _ready_vendors({model.publisher_id for rows in choices.values() for _style, model in rows})
        findings, current = [], set()
        for use_case in chunk:
            own = choices.get(use_case.pk, [])
            own_ready = ready & {model.publisher_id for _style, model in own}
            for result in rules.evaluate(_context(use_case, own, facts, own_ready, today)):
                current.add((use_case.pk, result.rule_id, result.subject))
                findings.append(
                    Finding(
                        use_case=use_case,
                        rule_id=result.rule_id,
                        subject=result.subject,
                        severity=result.severity,
                        facts=result.facts,
                        evaluated_at=now,
                    )
                )
        with transaction.atomic():
            Finding.objects.bulk_create(
                findings,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["use_case", "rule_id", "subject"],
                update_fields=["severity", "facts", "evaluated_at"],
            )
            stale = [
                pk
                for pk, *key in Finding.objects.filter(use_case_id__in=pks).values_list(
                    "pk", "use_case_id", "rule_id", "subject"
                )
                if tuple(key) not in current
            ]
            if stale:
                Finding.objects.filter(pk__in=stale).delete()


def open_blocking_findings(use_case):
    """Blocking findings that no valid exception covers."""
    excepted = set(PolicyException.objects.filter(use_case=use_case).valid().values_list("rule_id", "subject"))
    return [
        finding
        for finding in Finding.objects.filter(use_case=use_case).blocking()
        if (finding.rule_id, finding.subject) not in excepted
    ]


def recheck(use_case_ids):
    """Re-derive the tier and findings of open and live use cases (after a dependency changed)."""
    count = 0
    for use_case_id in (
        UseCase.objects.filter(pk__in=use_case_ids).exclude(status__in=CLOSED_STATES).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            # Concurrent re-checks of one use case take turns (PostgreSQL row lock), and each
            # reads the use case as it is now, not as it was when the batch was listed.
            use_case = (
                UseCase.objects.select_for_update().filter(pk=use_case_id).exclude(status__in=CLOSED_STATES).first()
            )
            if use_case is None:
                continue
            refresh_risk_tier(use_case)
            run_checks(use_case)
        count += 1
    return count


def dependent_use_case_ids(*, vendor_id=None, model_id=None, licence_id=None, level=None):
    """Use cases whose findings depend on the changed object."""
    query = Q()
    if vendor_id is not None:
        query |= Q(model_choices__ai_model__publisher_id=vendor_id)
    if model_id is not None:
        query |= Q(model_choices__ai_model_id=model_id)
    if licence_id is not None:
        query |= Q(model_choices__ai_model__licence_id=licence_id)
    if level is not None:
        query |= Q(data_classification=level)
    return list(UseCase.objects.filter(query).exclude(status__in=CLOSED_STATES).values_list("pk", flat=True).distinct())


def enqueue_recheck(**dependency):
    ids = dependent_use_case_ids(**dependency)
    if ids:
        # robust: a broker outage must not undo the vendor or matrix change that caused
        # it; the daily re-check catches up. The tasks call this module, so the task is
        # named, not imported (the registered task, so eager mode still runs it in-process).
        transaction.on_commit(lambda: current_app.tasks[RECHECK_TASK].delay(ids), robust=True)
