"""The roadmap after approval (steps 3 to 6): moving a use case along it and what is recorded
on the way (the closed pilot and the open-model PoC, the models' hybrid roles, the cost
assumptions, the monthly benefits). Pages and API call these.

Each move is a transition of the lifecycle table (``usecases.services.apply_transition``), with
the step gates of ``usecases.roadmap`` checked on top.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.exceptions import Conflict, Invalid
from portal.services import field_changes, record_event, snapshot_changes
from usecases import roadmap
from usecases.choices import (
    CLOSED_STATES,
    LIVE_STATES,
    ModelRole,
    RoadmapAuditAction,
    RoadmapStep,
    TrialKind,
    UseCaseAction,
    UseCaseStatus,
)
from usecases.models import BenefitRecord, Trial, UseCase, UseCaseModel
from usecases.services import (
    TransitionNotAllowed,
    apply_transition,
    can_manage_roadmap,
    is_reviewer,
    lowest_step,
    refresh_costs,
    run_change_hooks,
)


class GateNotMet(Invalid):
    """A roadmap move refused; ``items`` lists every unmet (or uncheckable) item of the gate."""

    def __init__(self, step, items):
        self.step = step
        self.items = items
        super().__init__(
            _("Step %(step)s cannot be entered yet: %(items)s")
            % {"step": step, "items": "; ".join(str(item.label) for item in items)}
        )

    @property
    def messages(self):
        still_needed = _("Step %(step)s cannot be entered yet. Still needed:") % {"step": self.step}
        return [still_needed, *(f"{item.label}{' — ' + item.detail if item.detail else ''}" for item in self.items)]


class StepChanged(Conflict):
    """The use case moved on the roadmap after the user loaded it; nothing was changed."""

    def __init__(self, use_case):
        self.use_case = use_case
        super().__init__(
            _("%(reference)s moved to %(step)s meanwhile; nothing was changed. Reload and check the gate again.")
            % {"reference": use_case.reference, "step": use_case.get_roadmap_step_display()}
        )


def _check_expected_step(locked, expected_step):
    """A move is based on the step the user saw: a double click or a colleague's move in
    between must not carry the use case two steps."""
    if expected_step is not None and int(expected_step) != locked.roadmap_step:
        raise StepChanged(locked)


def _reason_required(reason, field="reason"):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: [_("Give the reason; it is kept in the audit trail.")]})
    return reason


def advance_step(use_case, user, *, skip_poc=False, reason="", expected_step=None):
    """Move ``use_case`` one roadmap step forward, or from step 3 straight to 5 when
    ``skip_poc`` (with the reason). The gate is checked on the locked row; every unmet
    item is listed in ``GateNotMet``."""
    if skip_poc:
        reason = _reason_required(reason)
    with transaction.atomic():
        locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
        _check_expected_step(locked, expected_step)
        step = locked.roadmap_step
        if skip_poc:
            if step != RoadmapStep.CLOSED_START:
                raise TransitionNotAllowed(locked, UseCaseAction.SKIP_POC)
            target, action = RoadmapStep.HYBRID, UseCaseAction.SKIP_POC
        else:
            if step >= RoadmapStep.RULES_EDUCATION or step < RoadmapStep.GOVERNANCE:
                raise TransitionNotAllowed(locked, UseCaseAction.ADVANCE_STEP)
            target = step + 1
            action = (
                UseCaseAction.START_PILOT if locked.status == UseCaseStatus.APPROVED else UseCaseAction.ADVANCE_STEP
            )

        def check_gate(row):  # after the table and the actor's rights (apply_transition)
            blocking = roadmap.unmet(roadmap.requirements(roadmap.gates(row), step, target))
            if blocking:
                raise GateNotMet(target, blocking)

        updates = {"roadmap_step": target, "step_entered_at": timezone.now()}
        if skip_poc:
            updates["poc_skipped_reason"] = reason
        return apply_transition(
            locked,
            action,
            user,
            comment=reason,
            check=check_gate,
            data={"from_step": step, "to_step": target},
            **updates,
        )


def go_live(use_case, user, comment=""):
    """At step 5, with every model's hybrid role decided: the use case is in production."""

    def check(locked):
        if locked.roadmap_step != RoadmapStep.HYBRID:
            raise TransitionNotAllowed(locked, UseCaseAction.GO_LIVE)
        blocking = roadmap.go_live_unmet(roadmap.gates(locked))
        if blocking:
            raise GateNotMet(RoadmapStep.HYBRID, blocking)

    return apply_transition(
        use_case,
        UseCaseAction.GO_LIVE,
        user,
        comment=comment,
        check=check,
        data={"step": RoadmapStep.HYBRID},
        went_live_at=timezone.now(),
    )


def move_back(use_case, user, to_step, reason, expected_step=None):
    """A reviewer sends the use case back to an earlier step (2 at the lowest), with a reason.
    Back to 2 stops the pilot (approved again); below 5 a live use case returns to piloting."""
    reason = _reason_required(reason)
    with transaction.atomic():
        locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
        if not is_reviewer(user, locked):
            raise PermissionDenied
        _check_expected_step(locked, expected_step)
        try:
            to_step = RoadmapStep(int(to_step))
        except (TypeError, ValueError):
            raise ValidationError({"to_step": [_("Choose a step.")]}) from None
        if not RoadmapStep.GOVERNANCE <= to_step < locked.roadmap_step:
            raise ValidationError(
                {
                    "to_step": [
                        _("Choose an earlier step, from step 2 to step %(step)s.") % {"step": locked.roadmap_step - 1}
                    ]
                }
            )
        if to_step == RoadmapStep.GOVERNANCE:
            action = UseCaseAction.STOP_PILOT
        elif to_step < lowest_step(locked.status):
            action = UseCaseAction.RETURN_TO_PILOT
        else:
            action = UseCaseAction.MOVE_BACK
        updates = {"roadmap_step": to_step, "step_entered_at": timezone.now()}
        if to_step < RoadmapStep.HYBRID:
            updates["went_live_at"] = None
        if to_step <= RoadmapStep.OPEN_POC:
            updates["poc_skipped_reason"] = ""  # the PoC is (re)considered: the skip no longer holds
        return apply_transition(
            locked,
            action,
            user,
            comment=reason,
            data={"from_step": locked.roadmap_step, "to_step": int(to_step)},
            **updates,
        )


def retire(use_case, user, reason):
    reason = _reason_required(reason)
    return apply_transition(use_case, UseCaseAction.RETIRE, user, comment=reason, retired_at=timezone.now())


def _lock_for_roadmap(use_case, user):
    """The locked row, if ``user`` may record the journey of this (approved, not closed) use case."""
    locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
    if not can_manage_roadmap(user, locked):
        raise PermissionDenied
    if locked.status not in LIVE_STATES:
        raise ValidationError(
            {"status": [_("The roadmap is recorded once the use case is approved, and until it is retired.")]}
        )
    return locked


TRIAL_FIELDS = ("ai_model", "scope", "starts_on", "planned_end_on", "ended_on", "results", "comparison")
TRIAL_OPENNESS = {TrialKind.CLOSED_PILOT: "closed_api", TrialKind.OPEN_POC: "open_weights"}
TRIAL_DEPLOYMENT = {TrialKind.CLOSED_PILOT: "closed_api", TrialKind.OPEN_POC: "open_self_hosted"}


def save_trial(use_case, user, kind, fields):
    """Record the closed pilot or the open-model PoC. A model not yet among the use case's
    models joins them (so the policy checks cover it) with the kind's usual deployment."""
    kind = TrialKind(kind)
    model = fields.get("ai_model")
    errors = {}
    if model is None:
        errors["ai_model"] = [_("Choose the model.")]
    elif model.openness != TRIAL_OPENNESS[kind]:
        errors["ai_model"] = [
            _("A pilot on closed AI needs a closed model.")
            if kind == TrialKind.CLOSED_PILOT
            else _("A proof of concept needs an open model.")
        ]
    starts, planned, ended = fields.get("starts_on"), fields.get("planned_end_on"), fields.get("ended_on")
    if starts is None:
        errors["starts_on"] = [_("Give the start date.")]
    if planned is None:
        errors["planned_end_on"] = [_("Give the planned end date.")]
    elif starts is not None and planned < starts:
        errors["planned_end_on"] = [_("The planned end cannot be before the start.")]
    if ended is not None and starts is not None and ended < starts:
        errors["ended_on"] = [_("The end cannot be before the start.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_for_roadmap(use_case, user)
        trial = Trial.objects.filter(use_case=locked, kind=kind).first() or Trial(use_case=locked, kind=kind)
        changes = field_changes(trial, {name: fields[name] for name in TRIAL_FIELDS if name in fields})
        for name in TRIAL_FIELDS:
            if name in fields:
                setattr(trial, name, fields[name] if fields[name] is not None or name == "ended_on" else "")
        trial.updated_by = user
        trial.save()
        added = False
        if not locked.model_choices.filter(ai_model=model).exists():
            position = locked.model_choices.count()
            UseCaseModel.objects.create(
                use_case=locked, ai_model=model, deployment=TRIAL_DEPLOYMENT[kind], position=position
            )
            added = True
        record_event(
            locked, RoadmapAuditAction.SAVE_TRIAL, user, data={"kind": str(kind), "model_added": added}, changes=changes
        )
        if added:
            run_change_hooks(locked, user)
    return trial


def decide_roles(use_case, user, rows):
    """The hybrid decision: ``rows`` = [{"choice": UseCaseModel, "role", "rationale",
    "request_share"}] for every model of the use case."""
    errors = []
    with transaction.atomic():
        locked = _lock_for_roadmap(use_case, user)
        choices = {choice.pk: choice for choice in locked.model_choices.select_related("ai_model")}
        listed = [row for row in rows if row.get("choice") is not None]
        given = {row["choice"].pk: row for row in listed}
        if (
            len(given) != len(listed)
            or set(given) != set(choices)
            or any(row["choice"].use_case_id != locked.pk for row in given.values())
        ):
            raise ValidationError({"roles": [_("Give a role for each of the use case's models, and only for them.")]})
        for pk, choice in choices.items():
            row = given[pk]
            role, rationale = row.get("role") or "", (row.get("rationale") or "").strip()
            if not role:
                errors.append(_("Choose a role for %(model)s.") % {"model": choice.ai_model})
            elif not roadmap.check_role(choice.deployment, role):
                errors.append(
                    _("%(model)s runs as “%(deployment)s”, which does not fit the role “%(role)s”.")
                    % {
                        "model": choice.ai_model,
                        "deployment": choice.get_deployment_display(),
                        "role": ModelRole(role).label,
                    }
                )
            if role and not rationale:
                errors.append(_("Explain the role of %(model)s.") % {"model": choice.ai_model})
        in_use = [given[pk] for pk in choices if given[pk].get("role") in roadmap.IN_USE_ROLES]
        shares = [row.get("request_share") for row in in_use]
        if any(share is not None for share in shares):
            if any(share is None for share in shares):  # an empty share is not taken as 0%
                errors.append(_("Give every model in use its share of the requests, or leave all shares empty."))
            elif sum(shares) != 100:
                errors.append(_("The request shares of the models in use must add up to 100%."))
        if rows and not in_use and not errors:
            errors.append(_("At least one model stays in use."))
        if errors:
            raise ValidationError({"roles": errors})
        changes = {}
        for pk, choice in choices.items():
            row = given[pk]
            new = (row.get("role") or "", (row.get("rationale") or "").strip(), row.get("request_share"))
            if row.get("role") not in roadmap.IN_USE_ROLES:
                new = (new[0], new[1], None)
            old = (choice.role, choice.role_rationale, choice.request_share)
            choice_changes = snapshot_changes({str(choice.ai_model): list(old)}, {str(choice.ai_model): list(new)})
            if choice_changes:
                changes.update(choice_changes)
                choice.role, choice.role_rationale, choice.request_share = new
                choice.save(update_fields=["role", "role_rationale", "request_share"])
        if changes:
            record_event(locked, RoadmapAuditAction.DECIDE_ROLES, user, changes=changes)
            refresh_costs(locked)
    return list(choices.values())


COST_FIELDS = ("gpu_monthly_cost", "operations_fte", "other_monthly_cost", "hourly_rate")


def update_cost_assumptions(use_case, user, fields):
    """The use case's own cost and value figures (empty: the organisation's default)."""
    with transaction.atomic():
        locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
        if not can_manage_roadmap(user, locked) or locked.status in CLOSED_STATES:
            raise PermissionDenied
        changes = field_changes(locked, {name: fields[name] for name in COST_FIELDS if name in fields})
        for name in changes:
            setattr(locked, name, fields[name])
        if changes:
            locked.version += 1
            locked.save(update_fields=[*changes, "version", "updated_at"])
            record_event(locked, RoadmapAuditAction.CHANGE_COSTS, user, changes=changes)
            refresh_costs(locked)
    return locked


def record_benefit(use_case, user, month, hours_saved=0, cost_saved=0, revenue_gained=0, note=""):
    """What the use case returned in ``month``; recording a month again replaces it."""
    month = month.replace(day=1)
    if month > timezone.localdate():
        raise ValidationError({"month": [_("Benefits are recorded for months that have begun.")]})
    with transaction.atomic():
        locked = _lock_for_roadmap(use_case, user)
        record, created = BenefitRecord.objects.update_or_create(
            use_case=locked,
            month=month,
            defaults={
                "hours_saved": hours_saved,
                "cost_saved": cost_saved,
                "revenue_gained": revenue_gained,
                "note": note,
                "recorded_by": user,
            },
        )
        record_event(
            locked,
            RoadmapAuditAction.RECORD_BENEFIT,
            user,
            data={
                "month": month.isoformat(),
                "hours_saved": str(hours_saved),
                "cost_saved": str(cost_saved),
                "revenue_gained": str(revenue_gained),
                "replaced": not created,
            },
        )
    return record
