"""Governance operations: approval stages, exceptions and overrides, the classification
policy. Pages and API call these; each writes its own audit event. The risk tier and the
policy checks they run are in ``governance.checks``.

The use-case lifecycle stays one table, ``usecases.services.TRANSITIONS``; this app's rows
(stage decisions), its actor rule and its hooks on every use-case change (keeping the risk
tier, findings and stages in step) are added by ``governance.wiring.install()``.
"""

import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.checks import (
    enqueue_recheck,
    open_blocking_findings,
    refresh_risk_tier,
    refresh_risk_tiers,
    run_checks,
    run_checks_bulk,
)
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
from portal import events
from portal.exceptions import Conflict, Forbidden, Invalid
from portal.services import field_changes, record_event
from usecases import roadmap
from usecases import services as usecase_services
from usecases.choices import (
    CLOSED_STATES,
    REVIEW_STATES,
    DeploymentStyle,
    RiskTier,
    UseCaseAction,
    UseCaseStatus,
)
from usecases.models import UseCase

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


class FourEyesViolation(Forbidden):
    """The four-eyes rule: one person may not decide two stages of the same use case."""

    def __init__(self, stage):
        super().__init__(
            _(
                "The four-eyes rule applies to “%(stage)s”: you already decided another stage of this use case, "
                "so a colleague must decide this one; nothing was changed."
            )
            % {"stage": stage.definition}
        )


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


def active_stages_prefetch():
    return Prefetch(
        "approval_stages",
        queryset=ApprovalStage.objects.active().select_related("definition", "group"),
        to_attr="prefetched_active_stages",
    )


def _group_ids(user):
    """The user's group ids, read once per request with the permissions (cached on the user object)."""
    return user.group_ids


def can_decide(user, stage):
    """A member of the stage's group with the decide permission, never on their own use case."""
    return (
        user.is_authenticated
        and user.has_perm("governance.decide_approvalstage")
        and stage.use_case.owner_id != user.pk
        and (user.is_superuser or stage.group_id in _group_ids(user))
    )


def four_eyes_applies(stage, use_case):
    """On when the stage definition says so, or (left empty) for high-risk use cases."""
    rule = stage.definition.four_eyes
    return rule is True or (rule is None and use_case.effective_risk_tier == RiskTier.HIGH)


def breaks_four_eyes(user, stage, use_case):
    """``user`` decided another kind of stage of this use case while the rule is on for ``stage``."""
    if not four_eyes_applies(stage, use_case):
        return False
    others = ApprovalStage.objects.filter(use_case_id=use_case.pk, decided_by_id=user.pk)
    return others.exclude(pk=stage.pk).exclude(definition_id=stage.definition_id).exists()


def can_grant_exception(user, use_case):
    """Governance admins and executives, never on their own use case (four eyes)."""
    return user.has_perm("governance.grant_policyexception") and use_case.owner_id != user.pk


def can_override_risk_tier(user, use_case):
    """Reviewers, never on their own use case (four eyes)."""
    return user.has_perm("usecases.review_usecase") and use_case.owner_id != user.pk


def is_stage_decider(user, use_case):
    if not user.is_authenticated or not user.has_perm("governance.decide_approvalstage"):
        return False  # no query for those who never decide
    stage = active_stage(use_case)
    if stage is None:
        return False
    stage.use_case = use_case
    return can_decide(user, stage)


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


# --- Hooks into the use-case lifecycle -----------------------------------------------------------


def on_use_case_change(use_case, user):
    refresh_risk_tier(use_case)
    run_checks(use_case)


def on_use_cases_change(changed):
    """``on_use_case_change`` of many ``(use_case, user)`` at once (an import's batch)."""
    use_cases = [use_case for use_case, _user in changed]
    refresh_risk_tiers(use_cases)
    run_checks_bulk(use_cases)


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
        if breaks_four_eyes(user, stage, use_case):
            raise FourEyesViolation(stage)
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
        events.publish("stage.decided", stage, key=f"stage.decided:{stage.pk}", actor=user, comment=comment)
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
        events.publish("exception.granted", exception, key=f"exception.granted:{exception.pk}", actor=user)
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


def _require_policy_admin(user):
    if not user.has_perm("governance.manage_classification"):
        raise PermissionDenied


def _apply_changes(obj, fields, names):
    changes = field_changes(obj, {name: fields[name] for name in names if name in fields})
    for name in changes:
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
