"""Governance operations: risk tier, policy checks, exceptions, approval stages, the
classification policy. Pages, API and tasks call these; each writes its own audit event.

The use-case lifecycle stays one table, ``usecases.services.TRANSITIONS``; this app adds
its rows (stage decisions) and its actor rule at start-up (``GovernanceConfig.ready``),
and hooks into every use-case change to keep the risk tier, findings and stages in step.
"""

import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance import rules
from governance.choices import (
    DECISION_STAGE_STATUS,
    FindingSeverity,
    GovernanceAuditAction,
    StageDecision,
    StageStatus,
)
from governance.models import (
    ApprovalStage,
    ClassificationLevel,
    ClassificationRule,
    Finding,
    PolicyException,
    RiskTierSetting,
    StageDefinition,
)
from governance.risk import derive_risk_tier
from portal.exceptions import Conflict, Invalid
from portal.services import record_event
from usecases import roadmap
from usecases import services as usecase_services
from usecases.choices import (
    CLOSED_STATES,
    REVIEW_STATES,
    DeploymentStyle,
    RiskTier,
    RoadmapStep,
    UseCaseAction,
    UseCaseStatus,
)
from usecases.models import UseCase
from vendors.models import Assessment

STAGE_DECIDER = "stage_decider"
MAX_EXCEPTION_DAYS = 365
DEFAULT_REVIEW_DAYS = {RiskTier.HIGH: 90, RiskTier.LIMITED: 180, RiskTier.MINIMAL: 365, RiskTier.PROHIBITED: 90}

DECISION_ACTIONS = {
    StageDecision.REJECT: UseCaseAction.REJECT,
    StageDecision.REQUEST_CHANGES: UseCaseAction.REQUEST_CHANGES,
}

TRANSITIONS = {
    **{(state, UseCaseAction.APPROVE_STAGE): (UseCaseStatus.IN_REVIEW, STAGE_DECIDER) for state in REVIEW_STATES},
    **{(state, UseCaseAction.APPROVE): (UseCaseStatus.APPROVED, STAGE_DECIDER) for state in REVIEW_STATES},
    **{(state, UseCaseAction.REJECT): (UseCaseStatus.REJECTED, STAGE_DECIDER) for state in REVIEW_STATES},
    **{
        (state, UseCaseAction.REQUEST_CHANGES): (UseCaseStatus.CHANGES_REQUESTED, STAGE_DECIDER)
        for state in REVIEW_STATES
    },
}


class StageConflict(Conflict):
    """The stage was decided (or stopped being the current one) meanwhile."""


class BlockingFindings(Invalid):
    """Approval refused: blocking findings without a valid exception."""

    def __init__(self, findings):
        self.findings = findings
        super().__init__(
            _("Approval is blocked by: %(rules)s. Fix the use case or have an exception granted.")
            % {"rules": ", ".join(str(finding.title) for finding in findings)}
        )


# --- Who may decide -----------------------------------------------------------------------------


def active_stage(use_case):
    prefetched = getattr(use_case, "prefetched_active_stages", None)
    if prefetched is not None:  # loaded with the list (usecases CHILD_PREFETCHES)
        return prefetched[0] if prefetched else None
    return ApprovalStage.objects.active().filter(use_case=use_case).select_related("definition", "group").first()


def _active_stages_prefetch():
    from django.db.models import Prefetch

    return Prefetch(
        "approval_stages",
        queryset=ApprovalStage.objects.active().select_related("definition", "group"),
        to_attr="prefetched_active_stages",
    )


def _group_ids(user):
    """The user's group ids, read once per request (cached on the user object)."""
    if not hasattr(user, "_group_ids"):
        user._group_ids = frozenset(user.groups.values_list("pk", flat=True))
    return user._group_ids


def can_decide(user, stage):
    """A member of the stage's group with the decide permission, never on their own use case."""
    return (
        user.is_authenticated
        and user.has_perm("governance.decide_approvalstage")
        and stage.use_case.owner_id != user.pk
        and (user.is_superuser or stage.group_id in _group_ids(user))
    )


def can_grant_exception(user, use_case):
    """Governance admins and executives, never on their own use case (four eyes)."""
    return user.has_perm("governance.grant_policyexception") and use_case.owner_id != user.pk


def can_override_risk_tier(user, use_case):
    """Reviewers, never on their own use case (four eyes)."""
    return user.has_perm("usecases.review_usecase") and use_case.owner_id != user.pk


def _is_stage_decider(user, use_case):
    if not user.is_authenticated or not user.has_perm("governance.decide_approvalstage"):
        return False  # no query for those who never decide
    stage = active_stage(use_case)
    if stage is None:
        return False
    stage.use_case = use_case
    return can_decide(user, stage)


def install():
    """Add this app's rows and rules to the use-case lifecycle (called once at start-up)."""
    usecase_services.TRANSITIONS.update(TRANSITIONS)
    usecase_services.ACTOR_RULES[STAGE_DECIDER] = _is_stage_decider
    from usecases.querysets import CHILD_PREFETCHES

    if _active_stages_prefetch not in CHILD_PREFETCHES:
        CHILD_PREFETCHES.append(_active_stages_prefetch)
    if on_use_case_change not in usecase_services.CHANGE_HOOKS:
        usecase_services.CHANGE_HOOKS.append(on_use_case_change)
        usecase_services.TRANSITION_HOOKS.append(on_use_case_transition)
    if poc_licence_items not in roadmap.GATE_CHECKS[RoadmapStep.OPEN_POC]:
        from governance import reminders
        from governance.education import reminders as education_reminders
        from governance.education import services as education

        reminders.KINDS.update(education_reminders.KINDS)
        roadmap.GATE_CHECKS[RoadmapStep.OPEN_POC].append(poc_licence_items)
        roadmap.GATE_CHECKS[RoadmapStep.RULES_EDUCATION].append(education.rules_gate_items)
        roadmap.ORG_CHECKS[RoadmapStep.GOVERNANCE].append(matrix_readiness_items)
        roadmap.ORG_CHECKS[RoadmapStep.RULES_EDUCATION].append(education.organisation_rules_items)


def matrix_readiness_items():
    """Step 2 for the organisation: the classification matrix says, for every level, which
    deployment styles are allowed."""
    levels = ClassificationLevel.objects.count()
    cells = ClassificationRule.objects.values("level", "style").distinct().count()
    complete = levels > 0 and cells >= levels * len(DeploymentStyle)
    return [
        roadmap.GateItem(
            "org.matrix",
            str(_("The classification matrix is published for every level and deployment style")),
            complete,
            str(_("%(cells)s of %(total)s cells set.") % {"cells": cells, "total": levels * len(DeploymentStyle)}),
        )
    ]


def poc_licence_items(use_case, facts):
    """Step 4's gate: the open model of the proof of concept has no blocking licence
    finding (one covered by a valid exception does not count)."""
    label = _("The open model has no blocking licence finding")
    poc = facts.poc
    if poc is None:
        return [roadmap.GateItem("poc.licence", str(label), False, str(_("No proof of concept is recorded yet.")))]
    subject = f"model:{poc.ai_model_id}"
    blocking = [
        finding
        for finding in open_blocking_findings(use_case)
        if finding.subject == subject and finding.rule_id.startswith("licence.")
    ]
    return [roadmap.GateItem("poc.licence", str(label), not blocking, ", ".join(str(f.title) for f in blocking))]


# --- Risk tier and policy checks ----------------------------------------------------------------


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
    from governance.tasks import recheck_use_cases

    ids = dependent_use_case_ids(**dependency)
    if ids:
        # robust: a broker outage must not undo the vendor or matrix change that caused
        # it; the daily re-check catches up.
        transaction.on_commit(lambda: recheck_use_cases.delay(ids), robust=True)


# --- Hooks into the use-case lifecycle -----------------------------------------------------------


def on_use_case_change(use_case, user):
    refresh_risk_tier(use_case)
    run_checks(use_case)


def on_use_case_transition(use_case, action, user):
    if action in (UseCaseAction.SUBMIT, UseCaseAction.RESUBMIT):
        refresh_risk_tier(use_case)
        run_checks(use_case)
        plan_stages(use_case, user)
    elif action in (UseCaseAction.WITHDRAW, UseCaseAction.REJECT):
        ApprovalStage.objects.filter(use_case=use_case).pending().update(status=StageStatus.CANCELLED)


# --- Approval stages ----------------------------------------------------------------------------


def required_definitions(use_case):
    tier = use_case.effective_risk_tier or RiskTier.MINIMAL
    return [
        definition
        for definition in StageDefinition.objects.filter(is_active=True).select_related("group")
        if definition.applies_to(tier, use_case.involves_personal_data)
    ]


def _start_next_stage(use_case):
    """Start the first waiting stage, if none is running, and give it its due date."""
    stages = ApprovalStage.objects.filter(use_case=use_case).pending().select_related("definition")
    if any(stage.started_at for stage in stages):
        return None
    stage = min(stages, key=lambda stage: (stage.position, stage.pk), default=None)
    if stage is not None:
        stage.started_at = timezone.now()
        stage.due_on = timezone.localdate() + datetime.timedelta(days=stage.definition.sla_days)
        stage.save(update_fields=["started_at", "due_on"])
    return stage


def plan_stages(use_case, user):
    """Plan the stages the tier and facts need. Stages approved in an earlier round stay
    approved, so a resubmission resumes where changes were requested."""
    required = required_definitions(use_case)
    required_ids = {definition.pk for definition in required}
    existing = list(ApprovalStage.objects.filter(use_case=use_case))
    approved = {stage.definition_id for stage in existing if stage.status == StageStatus.APPROVED}
    pending = {stage.definition_id for stage in existing if stage.status == StageStatus.PENDING}
    # A stage already running stays: its reviewers are at work, and cancelling it could
    # leave the use case in review with nobody able to decide it.
    ApprovalStage.objects.filter(use_case=use_case, started_at__isnull=True).pending().exclude(
        definition_id__in=required_ids
    ).update(status=StageStatus.CANCELLED)
    ApprovalStage.objects.bulk_create(
        ApprovalStage(use_case=use_case, definition=definition, group=definition.group, position=definition.position)
        for definition in required
        if definition.pk not in approved and definition.pk not in pending
    )
    _start_next_stage(use_case)
    current = active_stage(use_case)
    record_event(
        use_case,
        GovernanceAuditAction.PLAN_STAGES,
        user,
        data={
            "risk_tier": use_case.effective_risk_tier,
            "stages": [definition.code for definition in required if definition.pk not in approved],
            "already_approved": sorted(d.code for d in required if d.pk in approved),
            "current": current.definition.code if current else "",
        },
    )


def _review_interval(tier):
    setting = RiskTierSetting.objects.filter(tier=tier).first()
    return setting.review_interval_days if setting else DEFAULT_REVIEW_DAYS.get(tier, 365)


def check_decision_date(use_case, decided_at):
    """A decision cannot be dated before the submission it decides, nor in the future (the
    dashboard's decision time must never be negative). Imports of history call this too."""
    if use_case.submitted_at is not None and decided_at < use_case.submitted_at:
        raise ValidationError(
            {
                "decided_at": [
                    _(
                        "A decision cannot be dated %(decided)s, before the use case was submitted "
                        "(%(submitted)s); nothing was changed."
                    )
                    % {
                        "decided": timezone.localtime(decided_at).strftime("%Y-%m-%d %H:%M"),
                        "submitted": timezone.localtime(use_case.submitted_at).strftime("%Y-%m-%d %H:%M"),
                    }
                ]
            }
        )
    if decided_at > timezone.now():
        raise ValidationError({"decided_at": [_("A decision cannot be dated in the future; nothing was changed.")]})


def decide_stage(stage, user, decision, comment="", decided_at=None):
    """Record the one decision of ``stage`` and move the use case accordingly.

    Locks the use case, then the stage: of two concurrent deciders, the second finds the
    stage decided and gets ``StageConflict``. ``decided_at`` (default: now) dates a decision
    recorded afterwards, e.g. imported history; it may not precede the submission.
    """
    decision = StageDecision(decision)
    comment = (comment or "").strip()
    if decision != StageDecision.APPROVE and not comment:
        raise ValidationError({"comment": [_("Explain the decision: a comment is required unless you approve.")]})
    if decision == StageDecision.APPROVE:
        # Refresh the stored findings first, in their own transaction, so a refused
        # approval still shows what blocks it (e.g. an assessment that expired today).
        with transaction.atomic():
            fresh = UseCase.objects.select_for_update().get(pk=stage.use_case_id)
            if fresh.status not in CLOSED_STATES:
                refresh_risk_tier(fresh)
                run_checks(fresh)
    with transaction.atomic():
        use_case = UseCase.objects.select_for_update().get(pk=stage.use_case_id)
        stage = (
            ApprovalStage.objects.select_for_update(of=("self",)).select_related("definition", "group").get(pk=stage.pk)
        )
        stage.use_case = use_case
        if stage.status != StageStatus.PENDING:
            raise StageConflict(
                _("This stage was already decided (%(status)s) by %(user)s; nothing was changed.")
                % {"status": stage.get_status_display(), "user": stage.decided_by or "—"}
            )
        if stage.started_at is None or use_case.status not in REVIEW_STATES:
            raise StageConflict(_("This stage is not the one waiting for a decision; nothing was changed."))
        if not can_decide(user, stage):
            raise PermissionDenied
        decided_at = decided_at or timezone.now()
        check_decision_date(use_case, decided_at)
        if decision == StageDecision.APPROVE:
            refresh_risk_tier(use_case)
            run_checks(use_case)
            blocking = open_blocking_findings(use_case)
            if blocking:
                raise BlockingFindings(blocking)
            remaining = ApprovalStage.objects.filter(use_case=use_case).pending().exclude(pk=stage.pk).exists()
            action = UseCaseAction.APPROVE_STAGE if remaining else UseCaseAction.APPROVE
        else:
            action = DECISION_ACTIONS[decision]
        updates = {}
        if action == UseCaseAction.APPROVE:
            tier = use_case.effective_risk_tier or RiskTier.MINIMAL
            updates = {
                "approved_at": decided_at,
                "roadmap_step": max(use_case.roadmap_step, 2),
                "next_review_on": timezone.localdate() + datetime.timedelta(days=_review_interval(tier)),
            }
        use_case = usecase_services.apply_transition(
            use_case,
            action,
            user,
            comment=comment,
            data={"stage": stage.definition.code, "decision": str(decision)},
            **updates,
        )
        # After the transition: its actor rule reads the stage while it is still pending.
        stage.status = DECISION_STAGE_STATUS[decision]
        stage.decision = decision
        stage.decided_by = user
        stage.decided_at = decided_at
        stage.comment = comment
        stage.save(update_fields=["status", "decision", "decided_by", "decided_at", "comment"])
        if action == UseCaseAction.APPROVE_STAGE:
            _start_next_stage(use_case)
    return stage


# --- Exceptions and overrides ---------------------------------------------------------------------


def grant_exception(use_case, user, rule_id, subject, justification, expires_on):
    """Allow approval despite one blocking finding until ``expires_on``."""
    if not can_grant_exception(user, use_case):
        raise PermissionDenied
    justification = (justification or "").strip()
    errors = {}
    if not justification:
        errors["justification"] = [_("Justify the exception.")]
    today = timezone.localdate()
    if expires_on is None or expires_on <= today:
        errors["expires_on"] = [_("The expiry date must be in the future.")]
    elif expires_on > today + datetime.timedelta(days=MAX_EXCEPTION_DAYS):
        errors["expires_on"] = [_("An exception lasts at most a year.")]
    with transaction.atomic():
        use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
        if use_case.status in CLOSED_STATES:
            raise usecase_services.TransitionNotAllowed(use_case, UseCaseAction.APPROVE)
        finding = Finding.objects.filter(
            use_case=use_case, rule_id=rule_id, subject=subject or "", severity=FindingSeverity.BLOCK
        ).first()
        if finding is None:
            errors["rule_id"] = [_("There is no such blocking finding on this use case.")]
        if errors:
            raise ValidationError(errors)
        exception = PolicyException.objects.create(
            use_case=use_case,
            rule_id=rule_id,
            subject=subject or "",
            justification=justification,
            expires_on=expires_on,
            granted_by=user,
        )
        record_event(
            use_case,
            GovernanceAuditAction.GRANT_EXCEPTION,
            user,
            comment=justification,
            data={"rule_id": rule_id, "subject": subject or "", "expires_on": expires_on.isoformat()},
        )
    return exception


def override_risk_tier(use_case, user, tier, justification):
    """A reviewer sets the tier; the answers' tier stays recorded beside it. An empty
    ``tier`` goes back to the derived one."""
    if not can_override_risk_tier(user, use_case):
        raise PermissionDenied
    justification = (justification or "").strip()
    if tier and tier not in RiskTier.values:
        raise ValidationError({"tier": [_("Choose a risk tier.")]})
    if not justification:
        raise ValidationError({"justification": [_("Justify the override.")]})
    with transaction.atomic():
        use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
        if use_case.status in CLOSED_STATES:
            raise usecase_services.TransitionNotAllowed(use_case, UseCaseAction.APPROVE)
        before = use_case.effective_risk_tier
        previous_override = use_case.risk_tier_override
        use_case.risk_tier_override = tier or ""
        use_case.risk_tier_justification = justification if tier else ""
        use_case.version += 1
        use_case.save(update_fields=["risk_tier_override", "risk_tier_justification", "version", "updated_at"])
        record_event(
            use_case,
            GovernanceAuditAction.OVERRIDE_RISK_TIER,
            user,
            from_state=before,
            to_state=use_case.effective_risk_tier,
            comment=justification,
            changes={"risk_tier_override": [previous_override, tier or ""]},
        )
        run_checks(use_case)
        if use_case.status in REVIEW_STATES:
            plan_stages(use_case, user)
    return use_case


# --- The classification policy ------------------------------------------------------------------

RULE_FIELDS = ("verdict", *ClassificationRule.CONDITION_FIELDS, "note")
LEVEL_FIELDS = ("description_ja", "description_en", "allowed_regions", "allowed_jurisdictions")
COUNTRY_LIST_FIELDS = ("allowed_regions", "allowed_jurisdictions")


def _require_policy_admin(user):
    if not user.has_perm("governance.manage_classification"):
        raise PermissionDenied


def _apply_changes(obj, fields, names):
    changes = {}
    for name in names:
        if name in fields:
            before, after = getattr(obj, name), fields[name]
            if name in COUNTRY_LIST_FIELDS:
                # The field stores its countries sorted, so a reordered list is no change.
                before = sorted(str(country) for country in before)
                after = sorted(str(country) for country in after)
            if before != after:
                changes[name] = [before, after]
                setattr(obj, name, fields[name])
    return changes


def update_matrix_rule(rule, user, fields):
    """Change one cell of the matrix; the change is audited and dependent use cases re-checked."""
    _require_policy_admin(user)
    with transaction.atomic():
        rule = ClassificationRule.objects.select_for_update(of=("self",)).select_related("level").get(pk=rule.pk)
        changes = _apply_changes(rule, fields, RULE_FIELDS)
        if fields.get("verdict", rule.verdict) != "conditional":
            for name in ClassificationRule.CONDITION_FIELDS:
                if getattr(rule, name):
                    changes[name] = [True, False]
                    setattr(rule, name, False)
        if changes:
            rule.save()
            record_event(
                rule,
                GovernanceAuditAction.CHANGE_MATRIX,
                user,
                from_state=changes.get("verdict", [rule.verdict])[0],
                to_state=rule.verdict,
                changes=changes,
            )
            enqueue_recheck(level=rule.level.code)
    return rule


def update_level(level, user, fields):
    _require_policy_admin(user)
    with transaction.atomic():
        level = ClassificationLevel.objects.select_for_update().get(pk=level.pk)
        changes = _apply_changes(level, fields, LEVEL_FIELDS)
        if changes:
            level.save()
            record_event(level, GovernanceAuditAction.CHANGE_LEVEL, user, changes=changes)
            enqueue_recheck(level=level.code)
    return level


def review_groups_of(user):
    return Group.objects.filter(user=user, stage_definitions__isnull=False).distinct()
