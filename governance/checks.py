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
from usecases.models import UseCase
from vendors.models import Assessment

RECHECK_TASK = "governance.tasks.recheck_use_cases"


def check_context(use_case, today=None):
    """Collect the facts the rules read (a few queries, whatever the number of models)."""
    choices = [
        (choice.deployment, choice.ai_model)
        for choice in use_case.model_choices.select_related("ai_model__publisher", "ai_model__licence")
    ]
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
    vendor_ids = {model.publisher_id for _style, model in choices}
    ready = frozenset(
        Assessment.objects.readiness_completed().filter(vendor_id__in=vendor_ids).values_list("vendor_id", flat=True)
    )
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
