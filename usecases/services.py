"""Business operations on use cases. Pages, API and tasks call these; nothing else
writes ``UseCase.status``.

The lifecycle is one table, ``TRANSITIONS``: ``(from_state, action) -> (to_state, who)``.
``who`` names a rule in ``ACTOR_RULES`` (and its label in ``ACTOR_LABELS``). The governance
app adds its rows (review, decisions) and rules to these registries from its ``install()``
instead of rewriting the mechanism; ``manage.py lifecycle`` prints the assembled table.
The moves along the roadmap after approval (steps 3 to 6) and what is recorded on the way
(pilots, hybrid roles, costs, benefits) are in ``usecases.roadmap_services``, built on
``apply_transition`` here.
"""

import contextlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import events
from portal.choices import AuditAction
from portal.exceptions import Conflict, Invalid
from portal.registry import Registry
from portal.services import audit_event, field_changes, next_reference, record_event, sync_children
from usecases import batching
from usecases.choices import (
    CLOSED_STYLES,
    EDITABLE_STATES,
    LIVE_STATES,
    MEASURABLE_STATES,
    OPEN_STYLES,
    RoadmapStep,
    TaskPerformer,
    UseCaseAction,
    UseCaseStatus,
)
from usecases.economics import refresh_cost_estimates
from usecases.models import Kpi, KpiMeasurement, UseCase, UseCaseModel, UseCaseTask

REFERENCE_PREFIX = "UC"

OWNER = "owner"
ROADMAP_MANAGER = "roadmap_manager"
REVIEWER = "reviewer"


def _is_owning_requester(user, use_case):
    """The owner, while they still hold a role that may change use cases."""
    return user.is_authenticated and use_case.owner_id == user.pk and user.has_perm("usecases.change_usecase")


def is_reviewer(user, use_case):
    return user.is_authenticated and user.has_perm("usecases.review_usecase")


def can_manage_roadmap(user, use_case):
    """The owner and IT reviewers record the journey after approval (pilots, roles, costs)."""
    return _is_owning_requester(user, use_case) or is_reviewer(user, use_case)


# The workflow event (portal.events) each lifecycle action publishes, in its transaction.
LIFECYCLE_EVENTS = {
    UseCaseAction.SUBMIT: "usecase.submitted",
    UseCaseAction.RESUBMIT: "usecase.submitted",
    UseCaseAction.REQUEST_CHANGES: "usecase.changes_requested",
    UseCaseAction.APPROVE: "usecase.approved",
    UseCaseAction.REJECT: "usecase.rejected",
    UseCaseAction.WITHDRAW: "usecase.withdrawn",
}

ACTOR_RULES = Registry("usecases.services.ACTOR_RULES", "who -> rule(user, use_case)")
ACTOR_RULES.update({OWNER: _is_owning_requester, ROADMAP_MANAGER: can_manage_roadmap, REVIEWER: is_reviewer})
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
# The bulk version of a change hook, under the hook's own key (``portal.registry.key_of(hook)``):
# ``bulk([(use_case, user), ...])`` must leave the same records as the hook called on each. Inside
# ``batch()`` it is called once for every changed use case; a hook without one is called per use case.
BULK_CHANGE_HOOKS = Registry("usecases.services.BULK_CHANGE_HOOKS", "hook key -> bulk([(use_case, user), ...])")

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
        UseCaseAction.MOVE_BACK: step > lowest_step(use_case.status),
        UseCaseAction.STOP_PILOT: step > RoadmapStep.GOVERNANCE,
        UseCaseAction.RETURN_TO_PILOT: step > RoadmapStep.CLOSED_START,
    }
    return rule.get(action, True)


def lowest_step(status):
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


@contextlib.contextmanager
def batch():
    """Make many changes as one unit of work (see ``usecases.batching``): every create and edit
    is checked and written as usual, but the reference counter, the children of new use cases,
    the audit events, the change hooks and the cost refresh are done once for all of them when
    the block ends. One transaction: a failure inside undoes everything. Nested: joins the outer."""
    if batching.current() is not None:
        yield batching.current()
        return
    work = batching.Batch()
    with transaction.atomic():
        token = work.activate()
        try:
            yield work
            work.flush(dict(CHANGE_HOOKS.items()), BULK_CHANGE_HOOKS, refresh_cost_estimates)
        finally:
            work.deactivate(token)


def _record(obj, action, user, **details):
    work = batching.current()
    if work is None:
        return record_event(obj, action, user, **details)
    event = audit_event(obj, action, user, **details)
    work.events.append(event)
    return event


def run_change_hooks(use_case, user):
    work = batching.current()
    if work is not None:
        work.changed_use_case(use_case, user)
        return
    for hook in CHANGE_HOOKS:
        hook(use_case, user)
    refresh_costs(use_case)


def refresh_costs(use_case):
    """Keep the stored cost estimate (summed by the adoption figures) in step with the change."""
    refresh_cost_estimates([use_case.pk])


def create_draft(user, fields, tasks=(), kpis=(), models=()):
    """Register a new use case as a draft owned by ``user``."""
    if not user.has_perm("usecases.add_usecase"):
        raise PermissionDenied
    check_models(models)
    values = {name: fields[name] for name in EDITABLE_FIELDS if name in fields}
    values.setdefault("department", user.department)
    work = batching.current()
    if work is not None:  # the batch's transaction holds it all; children written at its end
        year = timezone.localdate().year
        reference = work.reference(REFERENCE_PREFIX, year, next_reference)
        use_case = UseCase.objects.create(reference=reference, owner=user, **values)
        for model, rows, names in (
            (UseCaseTask, tasks, TASK_FIELDS),
            (Kpi, kpis, KPI_FIELDS),
            (UseCaseModel, models, MODEL_FIELDS),
        ):
            for child in _new_children(use_case, model, rows, names):
                work.add(child)
        _record(use_case, AuditAction.CREATE, user, to_state=use_case.status)
        run_change_hooks(use_case, user)
        return use_case
    with transaction.atomic():
        year = timezone.localdate().year
        use_case = UseCase.objects.create(reference=next_reference(REFERENCE_PREFIX, year), owner=user, **values)
        sync_children(use_case, UseCaseTask, tasks, TASK_FIELDS)
        sync_children(use_case, Kpi, kpis, KPI_FIELDS)
        sync_children(use_case, UseCaseModel, models, MODEL_FIELDS)
        record_event(use_case, AuditAction.CREATE, user, to_state=use_case.status)
        run_change_hooks(use_case, user)
    return use_case


def _new_children(use_case, model, rows, fields):
    """The rows ``sync_children`` would create for a new use case, unsaved."""
    children = []
    for position, row in enumerate(rows):
        values = {field: row[field] for field in fields if field in row}
        if "position" in fields:
            values.setdefault("position", position)
        children.append(model(use_case=use_case, **values))
    return children


def update_draft(use_case, user, fields, tasks=None, kpis=None, models=None, *, expected_version=None):
    """Change a draft (or a use case sent back for changes). ``tasks``/``kpis``/``models``
    of None leave those lists as they are. With ``expected_version``, a use case saved
    by someone else since then is refused (``StaleUseCase``) instead of overwritten."""
    if models is not None:
        check_models(models)
    work = batching.current()
    if work is not None:
        work.write_rows()  # a use case created earlier in the batch has its children in place
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
            _record(locked, AuditAction.UPDATE, user, data={"fields": changed}, changes=changes)
            run_change_hooks(locked, user)
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
        if action in LIFECYCLE_EVENTS:  # after the hooks: the submitted use case's stages are planned
            name = LIFECYCLE_EVENTS[action]
            events.publish(name, locked, key=f"{name}:{locked.pk}:{locked.version}", actor=user, comment=comment)
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
    """Send a complete draft for review (or a use case sent back, again); the deciders are
    told through the ``usecase.submitted`` event (see ``LIFECYCLE_EVENTS``)."""
    if use_case.status == UseCaseStatus.CHANGES_REQUESTED:
        return apply_transition(use_case, UseCaseAction.RESUBMIT, user, check=_require_complete)
    return apply_transition(use_case, UseCaseAction.SUBMIT, user, check=_require_complete, submitted_at=timezone.now())


def withdraw(use_case, user, comment=""):
    return apply_transition(use_case, UseCaseAction.WITHDRAW, user, comment=comment)
