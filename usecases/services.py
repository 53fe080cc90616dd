"""Business operations on use cases. Pages, API and tasks call these; nothing else
writes ``UseCase.status``.

The lifecycle is one table, ``TRANSITIONS``: ``(from_state, action) -> (to_state, who)``.
``who`` names a rule in ``ACTOR_RULES`` (and its label in ``ACTOR_LABELS``). The governance
app adds its rows (review, decisions) and rules to these registries from its ``install()``
instead of rewriting the mechanism; ``manage.py lifecycle`` prints the assembled table.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.choices import AuditAction
from portal.exceptions import Conflict, Invalid
from portal.registry import Registry
from portal.services import field_changes, next_reference, record_event, snapshot_changes, sync_children
from usecases.choices import (
    CLOSED_STATES,
    CLOSED_STYLES,
    EDITABLE_STATES,
    LIVE_STATES,
    MEASURABLE_STATES,
    OPEN_STYLES,
    ModelRole,
    RoadmapAuditAction,
    RoadmapStep,
    TaskPerformer,
    TrialKind,
    UseCaseAction,
    UseCaseStatus,
)
from usecases.models import BenefitRecord, Kpi, KpiMeasurement, Trial, UseCase, UseCaseModel, UseCaseTask

REFERENCE_PREFIX = "UC"

OWNER = "owner"
ROADMAP_MANAGER = "roadmap_manager"
REVIEWER = "reviewer"


def _is_owning_requester(user, use_case):
    """The owner, while they still hold a role that may change use cases."""
    return user.is_authenticated and use_case.owner_id == user.pk and user.has_perm("usecases.change_usecase")


def _is_reviewer(user, use_case):
    return user.is_authenticated and user.has_perm("usecases.review_usecase")


def can_manage_roadmap(user, use_case):
    """The owner and IT reviewers record the journey after approval (pilots, roles, costs)."""
    return _is_owning_requester(user, use_case) or _is_reviewer(user, use_case)


ACTOR_RULES = Registry("usecases.services.ACTOR_RULES", "who -> rule(user, use_case)")
ACTOR_RULES.update({OWNER: _is_owning_requester, ROADMAP_MANAGER: can_manage_roadmap, REVIEWER: _is_reviewer})
# How the lifecycle table names each rule; an app adding a rule adds its label too.
ACTOR_LABELS = Registry("usecases.services.ACTOR_LABELS", "who -> label")
ACTOR_LABELS.update(
    {
        OWNER: _("Owner"),
        ROADMAP_MANAGER: _("Roadmap manager (owner or reviewer)"),
        REVIEWER: _("Reviewer"),
    }
)

TRANSITIONS = Registry("usecases.services.TRANSITIONS", "(from_state, action) -> (to_state, who)")
TRANSITIONS.update(
    {
        (UseCaseStatus.DRAFT, UseCaseAction.SUBMIT): (UseCaseStatus.SUBMITTED, OWNER),
        (UseCaseStatus.DRAFT, UseCaseAction.WITHDRAW): (UseCaseStatus.WITHDRAWN, OWNER),
        (UseCaseStatus.SUBMITTED, UseCaseAction.WITHDRAW): (UseCaseStatus.WITHDRAWN, OWNER),
        (UseCaseStatus.IN_REVIEW, UseCaseAction.WITHDRAW): (UseCaseStatus.WITHDRAWN, OWNER),
        (UseCaseStatus.CHANGES_REQUESTED, UseCaseAction.WITHDRAW): (UseCaseStatus.WITHDRAWN, OWNER),
        (UseCaseStatus.CHANGES_REQUESTED, UseCaseAction.RESUBMIT): (UseCaseStatus.IN_REVIEW, OWNER),
        # The roadmap after approval; the step gates (usecases.roadmap) are checked on top.
        (UseCaseStatus.APPROVED, UseCaseAction.START_PILOT): (UseCaseStatus.PILOTING, ROADMAP_MANAGER),
        (UseCaseStatus.PILOTING, UseCaseAction.ADVANCE_STEP): (UseCaseStatus.PILOTING, ROADMAP_MANAGER),
        (UseCaseStatus.PILOTING, UseCaseAction.SKIP_POC): (UseCaseStatus.PILOTING, ROADMAP_MANAGER),
        (UseCaseStatus.PILOTING, UseCaseAction.GO_LIVE): (UseCaseStatus.IN_PRODUCTION, ROADMAP_MANAGER),
        (UseCaseStatus.IN_PRODUCTION, UseCaseAction.ADVANCE_STEP): (UseCaseStatus.IN_PRODUCTION, ROADMAP_MANAGER),
        (UseCaseStatus.PILOTING, UseCaseAction.MOVE_BACK): (UseCaseStatus.PILOTING, REVIEWER),
        (UseCaseStatus.IN_PRODUCTION, UseCaseAction.MOVE_BACK): (UseCaseStatus.IN_PRODUCTION, REVIEWER),
        (UseCaseStatus.PILOTING, UseCaseAction.STOP_PILOT): (UseCaseStatus.APPROVED, REVIEWER),
        (UseCaseStatus.IN_PRODUCTION, UseCaseAction.STOP_PILOT): (UseCaseStatus.APPROVED, REVIEWER),
        (UseCaseStatus.IN_PRODUCTION, UseCaseAction.RETURN_TO_PILOT): (UseCaseStatus.PILOTING, REVIEWER),
        **{(state, UseCaseAction.RETIRE): (UseCaseStatus.RETIRED, ROADMAP_MANAGER) for state in LIVE_STATES},
    }
)

# Called inside the transaction of every change, so other apps (governance) keep their
# derived records (risk tier, findings, approval stages) in step without this app
# depending on them: ``hook(use_case, user)`` after a create or edit, and
# ``hook(use_case, action, user)`` after a transition.
CHANGE_HOOKS = Registry("usecases.services.CHANGE_HOOKS", "hook(use_case, user)")
TRANSITION_HOOKS = Registry("usecases.services.TRANSITION_HOOKS", "hook(use_case, action, user)")

# Fields a requester sets; the rest (reference, owner, status, dates) belong to services.
EDITABLE_FIELDS = (
    "title",
    "summary",
    "department",
    "category",
    "audience",
    "data_classification",
    "involves_personal_data",
    "intended_style",
    "monthly_requests",
    "avg_input_tokens",
    "avg_output_tokens",
    "prohibited_practice",
    "decides_about_people",
    "customers_see_output",
    "human_checks_output",
    "tuned_on_own_data",
    "uses_internal_knowledge",
    "fast_start",
)
MODEL_FIELDS = ("ai_model", "deployment", "request_share", "position")
TASK_FIELDS = ("description", "performer", "position")
KPI_FIELDS = ("name", "unit", "direction", "baseline", "target")


class StaleUseCase(Conflict):
    """The use case changed after the editor loaded it; saving would overwrite that change."""

    def __init__(self, use_case):
        self.use_case = use_case
        super().__init__(
            _(
                "%(reference)s was changed by someone else after you opened it (now version %(version)s). "
                "Nothing was saved; reload it and apply your changes again."
            )
            % {"reference": use_case.reference, "version": use_case.version}
        )


class TransitionNotAllowed(Conflict):
    """The action does not apply to the use case in its current state."""

    def __init__(self, use_case, action):
        self.use_case = use_case
        self.action = action
        super().__init__(
            _("%(action)s is not possible while the use case is %(status)s.")
            % {"action": UseCaseAction(action).label, "status": use_case.get_status_display()}
        )


@dataclass(frozen=True)
class MissingItem:
    field: str
    message: str


class IncompleteUseCase(Invalid):
    """Submit refused; ``missing`` lists every item still to fill in."""

    def __init__(self, missing):
        self.missing = missing
        super().__init__("; ".join(str(item.message) for item in missing))

    @property
    def messages(self):
        return [str(_("The use case cannot be submitted yet. Missing:")), *(str(item.message) for item in self.missing)]


def allowed_actions(use_case, user):
    """Actions ``user`` may take on ``use_case`` now (for buttons and the API)."""
    actions, decided = [], {}
    for (from_state, action), (_to, who) in TRANSITIONS.items():
        if from_state != use_case.status or not _step_allows(use_case, action):
            continue
        if who not in decided:  # each actor rule once per use case
            decided[who] = ACTOR_RULES[who](user, use_case)
        if decided[who]:
            actions.append(action)
    return actions


def _step_allows(use_case, action):
    """Roadmap actions that apply at the use case's step (the gates are checked when acting)."""
    step = use_case.roadmap_step
    rule = {
        UseCaseAction.START_PILOT: step < RoadmapStep.RULES_EDUCATION,
        UseCaseAction.ADVANCE_STEP: step < RoadmapStep.RULES_EDUCATION,
        UseCaseAction.SKIP_POC: step == RoadmapStep.CLOSED_START,
        UseCaseAction.GO_LIVE: step == RoadmapStep.HYBRID,
        UseCaseAction.MOVE_BACK: step > _lowest_step(use_case.status),
        UseCaseAction.STOP_PILOT: step > RoadmapStep.GOVERNANCE,
        UseCaseAction.RETURN_TO_PILOT: step > RoadmapStep.CLOSED_START,
    }
    return rule.get(action, True)


def _lowest_step(status):
    """The lowest step a use case in ``status`` may stand at without changing status."""
    return {UseCaseStatus.PILOTING: RoadmapStep.CLOSED_START, UseCaseStatus.IN_PRODUCTION: RoadmapStep.HYBRID}.get(
        status, RoadmapStep.GOVERNANCE
    )


def can_edit(use_case, user):
    return use_case.status in EDITABLE_STATES and _is_owning_requester(user, use_case)


def can_record_measurement(use_case, user):
    return use_case.status in MEASURABLE_STATES and _is_owning_requester(user, use_case)


def missing_items(use_case):
    """Everything a use case still needs before it can be submitted, all at once."""
    required = {
        "summary": _("Describe the use case in the summary."),
        "category": _("Choose a category."),
        "audience": _("Say whether the use is internal or customer-facing."),
        "data_classification": _("Choose the classification of the input data."),
        "intended_style": _("Choose the intended style (closed, open or hybrid)."),
        "monthly_requests": _("Estimate the requests a month."),
        "avg_input_tokens": _("Estimate the average input tokens per request."),
        "avg_output_tokens": _("Estimate the average output tokens per request."),
    }
    missing = [
        MissingItem(field, message) for field, message in required.items() if getattr(use_case, field) in (None, "")
    ]
    performers = {task.performer for task in use_case.tasks.all()}
    if TaskPerformer.AI not in performers:
        missing.append(MissingItem("tasks", _("List at least one task that AI may do.")))
    if TaskPerformer.HUMAN not in performers:
        missing.append(MissingItem("tasks", _("List at least one task where a person decides.")))
    kpis = list(use_case.kpis.all())
    if not kpis:
        missing.append(MissingItem("kpis", _("Set at least one KPI with a target.")))
    for kpi in kpis:
        if kpi.target is None:
            missing.append(MissingItem("kpis", _("Give the KPI “%(name)s” a target.") % {"name": kpi.name}))
    return missing


def check_models(rows):
    """A closed model is used as a SaaS feature or an API; open weights run on a cloud or in-house."""
    errors = []
    for row in rows:
        model, deployment = row.get("ai_model"), row.get("deployment")
        allowed = OPEN_STYLES if model is not None and model.openness == "open_weights" else CLOSED_STYLES
        if model is not None and deployment and deployment not in allowed:
            errors.append(
                _("%(model)s cannot be deployed as “%(deployment)s”.")
                % {"model": model, "deployment": UseCaseModel(deployment=deployment).get_deployment_display()}
            )
    models = [row.get("ai_model") for row in rows]
    if len(set(models)) != len(models):
        errors.append(_("Each model is listed once."))
    errors.extend(check_shares([row.get("request_share") for row in rows]))
    if errors:
        raise ValidationError({"models": errors})


def check_shares(shares):
    """Request shares are set for every model (each 0-100, adding up to 100) or for none:
    the cost view never splits the volume on its own."""
    given = [share for share in shares if share is not None]
    if not given:
        return []
    if any(not 0 <= share <= 100 for share in given):
        return [_("A share of the requests is a percentage from 0 to 100.")]
    if len(given) != len(shares):
        return [_("Give every model its share of the requests, or leave all shares empty.")]
    if sum(given) != 100:
        return [
            _("The shares of the requests add up to %(total)s%%; they must add up to 100%%.") % {"total": sum(given)}
        ]
    return []


def _run_change_hooks(use_case, user):
    for hook in CHANGE_HOOKS:
        hook(use_case, user)
    _refresh_costs(use_case)


def _refresh_costs(use_case):
    """Keep the stored cost estimate (summed by the adoption figures) in step with the change."""
    from usecases.economics import refresh_cost_estimates

    refresh_cost_estimates([use_case.pk])


def create_draft(user, fields, tasks=(), kpis=(), models=()):
    """Register a new use case as a draft owned by ``user``."""
    if not user.has_perm("usecases.add_usecase"):
        raise PermissionDenied
    check_models(models)
    values = {name: fields[name] for name in EDITABLE_FIELDS if name in fields}
    values.setdefault("department", user.department)
    with transaction.atomic():
        year = timezone.localdate().year
        use_case = UseCase.objects.create(reference=next_reference(REFERENCE_PREFIX, year), owner=user, **values)
        sync_children(use_case, UseCaseTask, tasks, TASK_FIELDS)
        sync_children(use_case, Kpi, kpis, KPI_FIELDS)
        sync_children(use_case, UseCaseModel, models, MODEL_FIELDS)
        record_event(use_case, AuditAction.CREATE, user, to_state=use_case.status)
        _run_change_hooks(use_case, user)
    return use_case


def update_draft(use_case, user, fields, tasks=None, kpis=None, models=None, *, expected_version=None):
    """Change a draft (or a use case sent back for changes). ``tasks``/``kpis``/``models``
    of None leave those lists as they are. With ``expected_version``, a use case saved
    by someone else since then is refused (``StaleUseCase``) instead of overwritten."""
    if models is not None:
        check_models(models)
    with transaction.atomic():
        locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
        if not can_edit(locked, user):
            raise PermissionDenied
        if expected_version is not None and expected_version != locked.version:
            raise StaleUseCase(locked)
        changes = field_changes(locked, {name: fields[name] for name in EDITABLE_FIELDS if name in fields})
        for name in changes:
            setattr(locked, name, fields[name])
        changed = list(changes)
        for name, model, rows, row_fields in (
            ("tasks", UseCaseTask, tasks, TASK_FIELDS),
            ("kpis", Kpi, kpis, KPI_FIELDS),
            ("models", UseCaseModel, models, MODEL_FIELDS),
        ):
            if rows is not None and sync_children(locked, model, rows, row_fields):
                changed.append(name)
        if changed:
            locked.version += 1
            locked.save()  # also moves updated_at
            record_event(locked, AuditAction.UPDATE, user, data={"fields": changed}, changes=changes)
            _run_change_hooks(locked, user)
    return locked


def apply_transition(use_case, action, user, *, comment="", check=None, data=None, **updates):
    """Move ``use_case`` by ``action`` if the table allows it and ``user`` may.

    The row is locked for the whole decision so two concurrent requests cannot both
    act on the same state. ``check(locked)`` may raise to refuse; ``updates`` are
    extra field values saved with the new status.
    """
    with transaction.atomic():
        locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
        rule = TRANSITIONS.get((locked.status, action))
        if rule is None:
            raise TransitionNotAllowed(locked, action)
        to_state, who = rule
        if not ACTOR_RULES[who](user, locked):
            raise PermissionDenied
        if check is not None:
            check(locked)
        from_state = locked.status
        locked.status = to_state
        for name, value in updates.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save(update_fields=["status", "version", "updated_at", *updates])
        record_event(locked, action, user, from_state=from_state, to_state=to_state, comment=comment, data=data)
        for hook in TRANSITION_HOOKS:
            hook(locked, action, user)
    return locked


def record_measurement(use_case, user, kpi, measured_on, value, note=""):
    """Record a KPI's actual value for a day; a second value for the same day replaces the first."""
    with transaction.atomic():
        locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
        if not _is_owning_requester(user, locked):
            raise PermissionDenied
        if locked.status not in MEASURABLE_STATES:
            raise TransitionNotAllowed(locked, UseCaseAction.RECORD_MEASUREMENT)
        if kpi.use_case_id != locked.pk:
            raise ValidationError({"kpi": _("This KPI belongs to another use case.")})
        if measured_on > timezone.localdate():
            raise ValidationError({"measured_on": _("A measurement cannot be dated in the future.")})
        measurement, created = KpiMeasurement.objects.update_or_create(
            kpi=kpi, measured_on=measured_on, defaults={"value": value, "note": note, "recorded_by": user}
        )
        record_event(
            locked,
            AuditAction.RECORD_MEASUREMENT,
            user,
            data={
                "kpi": kpi.name,
                "measured_on": measured_on.isoformat(),
                "value": str(value),
                "replaced": not created,
            },
        )
    return measurement


def _require_complete(use_case):
    missing = missing_items(use_case)
    if missing:
        raise IncompleteUseCase(missing)


def submit(use_case, user):
    """Send a complete draft for review (or a use case sent back, again), and tell the
    reviewers once it is saved."""
    from usecases.tasks import notify_reviewers_of_submission

    if use_case.status == UseCaseStatus.CHANGES_REQUESTED:
        return apply_transition(use_case, UseCaseAction.RESUBMIT, user, check=_require_complete)
    submitted = apply_transition(
        use_case, UseCaseAction.SUBMIT, user, check=_require_complete, submitted_at=timezone.now()
    )
    # robust: a broker outage must not turn a saved submission into an error page;
    # the periodic sweep sends the notice later.
    transaction.on_commit(lambda: notify_reviewers_of_submission.delay(submitted.pk), robust=True)
    return submitted


def withdraw(use_case, user, comment=""):
    return apply_transition(use_case, UseCaseAction.WITHDRAW, user, comment=comment)


# --- The roadmap after approval (steps 3 to 6) ---------------------------------------------------


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
    from usecases import roadmap

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
    from usecases import roadmap

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
        if not _is_reviewer(user, locked):
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
        elif to_step < _lowest_step(locked.status):
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
            _run_change_hooks(locked, user)
    return trial


def decide_roles(use_case, user, rows):
    """The hybrid decision: ``rows`` = [{"choice": UseCaseModel, "role", "rationale",
    "request_share"}] for every model of the use case."""
    from usecases import roadmap

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
            _refresh_costs(locked)
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
            _refresh_costs(locked)
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
