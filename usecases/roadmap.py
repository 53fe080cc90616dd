"""The roadmap's step gates, in one place: pages, the API and the adoption figures read them
(every step's items are listed in docs/REFERENCE.md).

Each step has items to *start* it (entering the step) and items to *finish* it (leaving it
forward). Moving from step ``s`` to ``t`` needs the finish items of ``s`` and the start items
of ``t``; skipping step 4 (3 -> 5) needs a recorded reason instead of step 4's items. An item
is met (True), unmet (False) or not yet checkable (None); only met items let a use case pass.

Other apps add items without this app depending on them: ``GATE_CHECKS[step]`` is a registry
of ``check(use_case, facts) -> [GateItem]`` callables whose items join that step's start items
(governance adds the open model's licence findings to step 4, and rules and education to
step 6). Step 6 reports "not yet checkable" until an app registers a check for it.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.models import department_name
from portal.registry import Registry
from usecases.choices import (
    CLOSED_STATES,
    IN_USE_ROLES,
    LIVE_STATES,
    OPEN_STYLES,
    ModelRole,
    RoadmapStep,
    TrialKind,
    UseCaseStatus,
)
from usecases.models import Trial, UseCase, UseCaseModel
from vendors.choices import APPROVED_VENDOR_STATES, AIModelStatus, AssessmentStatus, Openness
from vendors.models import AIModel, Assessment

FIRST_STEP, LAST_STEP = RoadmapStep.INVENTORY, RoadmapStep.RULES_EDUCATION
# The step that may be skipped, and between which steps.
SKIPPABLE = (RoadmapStep.CLOSED_START, RoadmapStep.OPEN_POC, RoadmapStep.HYBRID)

GATE_CHECKS = {step: Registry(f"usecases.roadmap.GATE_CHECKS[{step.name}]") for step in RoadmapStep}


@dataclass(frozen=True)
class GateItem:
    code: str
    label: str
    met: bool | None  # None: cannot be checked (yet)
    detail: str = ""

    @property
    def state(self):
        return {True: "met", False: "unmet", None: "unknown"}[self.met]


@dataclass
class StepGate:
    step: int
    start: list = field(default_factory=list)
    finish: list = field(default_factory=list)

    @property
    def label(self):
        return RoadmapStep(self.step).label


@dataclass
class Facts:
    """What the gates read about one use case, loaded in a few queries."""

    use_case: object
    choices: list
    trials: dict
    measurement_dates: list
    ready_vendor_ids: frozenset

    @classmethod
    def load(cls, use_case):
        choices = list(use_case.model_choices.select_related("ai_model__publisher", "ai_model__licence"))
        trials = {trial.kind: trial for trial in use_case.trials.select_related("ai_model__publisher", "updated_by")}
        vendor_ids = {trial.ai_model.publisher_id for trial in trials.values()}
        ready = frozenset(
            Assessment.objects.readiness_completed()
            .filter(vendor_id__in=vendor_ids)
            .values_list("vendor_id", flat=True)
        )
        dates = list(
            use_case.kpis.values_list("measurements__measured_on", flat=True).exclude(measurements__isnull=True)
        )
        return cls(use_case, choices, trials, dates, ready)

    @property
    def pilot(self):
        return self.trials.get(TrialKind.CLOSED_PILOT)

    @property
    def poc(self):
        return self.trials.get(TrialKind.OPEN_POC)


def _item(code, label, met, detail=""):
    return GateItem(code, str(label), met, str(detail))


def _pilot_model_item(facts):
    label = _("An approved closed model from an approved vendor is chosen for the pilot")
    pilot = facts.pilot
    if pilot is None:
        return _item("pilot.model", label, False, _("No pilot is recorded yet."))
    model = pilot.ai_model
    problems = []
    if model.openness != Openness.CLOSED_API:
        problems.append(_("%(model)s is not a closed model.") % {"model": model})
    if model.status != AIModelStatus.APPROVED:
        problems.append(_("%(model)s is %(status)s.") % {"model": model, "status": model.get_status_display()})
    if model.publisher.status not in APPROVED_VENDOR_STATES:
        problems.append(
            _("%(vendor)s is %(status)s.") % {"vendor": model.publisher, "status": model.publisher.get_status_display()}
        )
    return _item("pilot.model", label, not problems, " ".join(str(p) for p in problems))


def _step_items(facts):
    use_case, pilot, poc = facts.use_case, facts.pilot, facts.poc
    pilot_results = pilot is not None and any(day >= pilot.starts_on for day in facts.measurement_dates)
    in_use = [choice for choice in facts.choices if choice.role in IN_USE_ROLES]
    undecided = [str(choice.ai_model) for choice in facts.choices if not choice.role or not choice.role_rationale]
    open_model = poc is not None and poc.ai_model.openness == Openness.OPEN_WEIGHTS
    gates = {step: StepGate(step) for step in RoadmapStep}
    gates[RoadmapStep.INVENTORY].finish = [
        _item("inventory.submitted", _("The use case is registered and submitted"), use_case.submitted_at is not None)
    ]
    gates[RoadmapStep.GOVERNANCE].start = [
        _item(
            "governance.approved",
            _("The use case is approved through the approval workflow"),
            use_case.status in LIVE_STATES and use_case.approved_at is not None,
        )
    ]
    gates[RoadmapStep.CLOSED_START].start = [
        _pilot_model_item(facts),
        _item(
            "pilot.dates",
            _("The pilot has a start date and a planned end date"),
            pilot is not None and pilot.planned_end_on >= pilot.starts_on,
        ),
    ]
    gates[RoadmapStep.CLOSED_START].finish = [
        _item(
            "pilot.kpi_results",
            _("KPI measurements are recorded since the pilot started"),
            pilot_results,
            "" if pilot is None else _("Pilot started on %(date)s.") % {"date": pilot.starts_on.isoformat()},
        ),
        _item(
            "pilot.feedback",
            _("The pilot's results and qualitative feedback are written"),
            pilot is not None and bool(pilot.results.strip()),
        ),
    ]
    gates[RoadmapStep.OPEN_POC].start = [
        _item(
            "poc.model",
            _("An open model is chosen for the proof of concept"),
            open_model,
            "" if poc is None or open_model else _("%(model)s is not an open model.") % {"model": poc.ai_model},
        ),
        _item(
            "poc.readiness",
            _("The adoption-readiness check of the open model's publisher is completed"),
            poc is not None and poc.ai_model.publisher_id in facts.ready_vendor_ids,
            "" if poc is None else _("Publisher: %(vendor)s.") % {"vendor": poc.ai_model.publisher},
        ),
        _item("poc.scope", _("The proof of concept's scope is written"), poc is not None and bool(poc.scope.strip())),
    ]
    gates[RoadmapStep.OPEN_POC].finish = [
        _item(
            "poc.results",
            _("The proof of concept's results are written"),
            poc is not None and bool(poc.results.strip()),
        ),
        _item(
            "poc.comparison",
            _("The results are compared with the closed pilot"),
            poc is not None and bool(poc.comparison.strip()),
        ),
    ]
    gates[RoadmapStep.HYBRID].finish = [
        _item(
            "hybrid.roles",
            _("Every model has a hybrid role with a rationale, and at least one stays in use"),
            bool(facts.choices) and not undecided and bool(in_use),
            ", ".join(undecided) if undecided else ("" if in_use else _("No model stays in use.")),
        ),
        _item(
            "hybrid.live",
            _("The use case has gone live (in production)"),
            use_case.status == UseCaseStatus.IN_PRODUCTION,
        ),
    ]
    for step, checks in GATE_CHECKS.items():
        for check in checks:
            gates[step].start.extend(check(use_case, facts))
    if not GATE_CHECKS[RoadmapStep.RULES_EDUCATION]:
        gates[RoadmapStep.RULES_EDUCATION].start.append(
            _item(
                "rules.in_place",
                _("The rules and training that apply to the use case's users are in place"),
                None,
                _("Not yet checkable: rules and education are not managed in the portal yet."),
            )
        )
    return gates


def gates(use_case, facts=None):
    """Every step's gate for ``use_case``: {step: StepGate}."""
    return _step_items(facts or Facts.load(use_case))


def is_skip(from_step, to_step):
    return (from_step, to_step) == (SKIPPABLE[0], SKIPPABLE[2])


def requirements(all_gates, from_step, to_step):
    """The items that must hold to move forward from ``from_step`` to ``to_step``."""
    return [*all_gates[from_step].finish, *all_gates[to_step].start]


def unmet(items):
    return [item for item in items if item.met is not True]


def next_step(use_case):
    return use_case.roadmap_step + 1 if use_case.roadmap_step < LAST_STEP else None


def summary(use_case, facts=None):
    """The roadmap as the pages and the API show it: every gate, and what stops the next move."""
    all_gates = gates(use_case, facts)
    target = next_step(use_case)
    blocking = unmet(requirements(all_gates, use_case.roadmap_step, target)) if target else []
    return {
        "step": use_case.roadmap_step,
        "next_step": target,
        "can_skip_poc": use_case.roadmap_step == SKIPPABLE[0],
        "gates": [all_gates[step] for step in RoadmapStep],
        "next_step_unmet": blocking,
        "go_live_unmet": go_live_unmet(all_gates)
        if use_case.roadmap_step == RoadmapStep.HYBRID and use_case.status == UseCaseStatus.PILOTING
        else [],
    }


GO_LIVE = "hybrid.live"


def go_live_unmet(all_gates):
    """Going live needs the hybrid decision: step 5's items other than being live itself."""
    return unmet([item for item in all_gates[RoadmapStep.HYBRID].finish if item.code != GO_LIVE])


def check_role(choice_deployment, role):
    """The hybrid roles follow the styles: operations on closed AI, the core on open models."""
    if role == ModelRole.OPERATIONS:
        return choice_deployment not in OPEN_STYLES
    if role == ModelRole.CORE:
        return choice_deployment in OPEN_STYLES
    return True


# --- The organisation's roadmap -----------------------------------------------------------------

# Organisation-level readiness per step: {step: Registry of check() -> [GateItem]}; other apps add
# theirs (governance: the classification matrix).
ORG_CHECKS = {step: Registry(f"usecases.roadmap.ORG_CHECKS[{step.name}]") for step in RoadmapStep}
OLDEST_PER_STEP = 5


def organisation_readiness():
    """Is the organisation ready for each step? {step: [GateItem]} (a handful of EXISTS queries)."""
    today = timezone.localdate()
    approved_closed = AIModel.objects.filter(
        openness=Openness.CLOSED_API, status=AIModelStatus.APPROVED, publisher__status__in=APPROVED_VENDOR_STATES
    )
    ready_open = AIModel.objects.filter(
        openness=Openness.OPEN_WEIGHTS,
        publisher__in=Assessment.objects.readiness_completed().values("vendor"),
    )
    closed_ready = approved_closed.exists()
    items = {
        RoadmapStep.INVENTORY: [
            _item(
                "org.inventory",
                _("At least one use case is registered and submitted"),
                UseCase.objects.filter(submitted_at__isnull=False).exists(),
            )
        ],
        RoadmapStep.GOVERNANCE: [
            _item(
                "org.assessment",
                _("At least one vendor assessment is approved"),
                Assessment.objects.filter(
                    status__in=[AssessmentStatus.APPROVED, AssessmentStatus.APPROVED_WITH_CONDITIONS]
                ).exists(),
            )
        ],
        RoadmapStep.CLOSED_START: [
            _item(
                "org.closed_model",
                _("An approved closed model from an approved vendor is available"),
                closed_ready,
                "" if closed_ready else _closed_model_detail(),
            ),
            _item(
                "org.pilot",
                _("At least one closed pilot has started"),
                Trial.objects.filter(kind=TrialKind.CLOSED_PILOT, starts_on__lte=today).exists(),
            ),
        ],
        RoadmapStep.OPEN_POC: [
            _item(
                "org.open_ready",
                _("An open model's publisher has passed the adoption-readiness check"),
                ready_open.exists(),
            ),
            _item(
                "org.poc",
                _("At least one proof of concept is recorded, or skipped with a reason"),
                Trial.objects.filter(kind=TrialKind.OPEN_POC).exists()
                or UseCase.objects.exclude(poc_skipped_reason="").exists(),
            ),
        ],
        RoadmapStep.HYBRID: [
            _item(
                "org.hybrid",
                _("At least one use case is in production with its hybrid roles decided"),
                UseCaseModel.objects.filter(
                    use_case__status=UseCaseStatus.IN_PRODUCTION, role__in=list(IN_USE_ROLES)
                ).exists(),
            )
        ],
        RoadmapStep.RULES_EDUCATION: [],
    }
    for step, checks in ORG_CHECKS.items():
        for check in checks:
            items[step].extend(check())
    _explain_use_cases_past(items, UseCase.objects.all())
    if not items[RoadmapStep.RULES_EDUCATION]:
        items[RoadmapStep.RULES_EDUCATION].append(
            _item(
                "org.rules",
                _("Usage rules, prompt guidelines and training are in place"),
                None,
                _("Not yet checkable: rules and education are not managed in the portal yet."),
            )
        )
    return items


def in_progress(use_cases):
    """The use cases the roadmap counts: all but rejected, withdrawn and retired ones."""
    return use_cases.exclude(status__in=CLOSED_STATES)


IN_PROGRESS_STATES = tuple(status for status in UseCaseStatus if status not in CLOSED_STATES)


def step_count_aggregates(prefix="step"):
    """``{prefix}{step}: Count`` of the use cases in progress at each step, to merge into one
    ``aggregate()``: the one definition of "use cases at a step" that the dashboard, the
    roadmap page and both APIs count with."""
    from django.db.models import Count, Q

    return {
        f"{prefix}{step}": Count("id", filter=Q(roadmap_step=step, status__in=IN_PROGRESS_STATES))
        for step in RoadmapStep
    }


def step_counts(use_cases, prefix="step"):
    """{step: use cases in progress at that step} in one query."""
    figures = use_cases.order_by().aggregate(**step_count_aggregates(prefix))
    return {step: figures[f"{prefix}{step}"] for step in RoadmapStep}


def _closed_model_detail():
    """Why no closed model qualifies: the nearest candidates (approved model or approved vendor,
    not both), so the page names what to approve."""
    near = (
        AIModel.objects.filter(openness=Openness.CLOSED_API)
        .filter(Q(status=AIModelStatus.APPROVED) | Q(publisher__status__in=APPROVED_VENDOR_STATES))
        .exclude(status=AIModelStatus.APPROVED, publisher__status__in=APPROVED_VENDOR_STATES)
        .select_related("publisher")
        .order_by("publisher__name", "name")[:5]
    )
    return " ".join(
        str(
            _("%(model)s: model %(model_status)s, vendor %(vendor_status)s.")
            % {
                "model": model,
                "model_status": model.get_status_display(),
                "vendor_status": model.publisher.get_status_display(),
            }
        )
        for model in near
    )


def _explain_use_cases_past(items, use_cases):
    """Readiness is what holds *today*; use cases may be at or past a step whose readiness no
    longer holds (a vendor or model changed status since they passed its gate, or they were
    imported as history). Say so next to each unmet item instead of contradicting them silently."""
    counts = step_counts(use_cases)
    for step in RoadmapStep:
        past = sum(count for at, count in counts.items() if at >= step)
        if step == FIRST_STEP or not past:
            continue
        note = ngettext(
            "%(count)s use case in progress is at this step or later: it passed the step's gate when it "
            "held, or was imported as history. Check its gates on its roadmap page.",
            "%(count)s use cases in progress are at this step or later: they passed the step's gate when it "
            "held, or were imported as history. Check their gates on their roadmap pages.",
            past,
        ) % {"count": past}
        items[step] = [
            GateItem(item.code, item.label, item.met, " ".join(filter(None, (item.detail, str(note)))))
            if item.met is False
            else item
            for item in items[step]
        ]


def organisation_overview(use_cases):
    """Where the (visible, not closed) use cases stand: counts per step, by department and
    by category, and the longest-waiting ones at each step. Aggregates run in SQL."""
    from django.db.models import Count, F, Window
    from django.db.models.functions import Coalesce, RowNumber

    active = in_progress(use_cases)
    by_step = step_counts(use_cases)
    by_department = {}
    for step, department_id, department, department_en, count in (
        active.values_list("roadmap_step", "department_id", "department__name", "department__name_en")
        .annotate(n=Count("id"))
        .order_by("department__name")
    ):
        name = department_name(department, department_en)
        by_department.setdefault((department_id, name), {})[step] = count
    by_category = {}
    for step, category, count in active.values_list("roadmap_step", "category").annotate(n=Count("id")).order_by():
        by_category.setdefault(category, {})[step] = count
    oldest = (
        active.annotate(waiting_since=Coalesce("step_entered_at", "created_at"))
        .annotate(
            rank=Window(RowNumber(), partition_by=F("roadmap_step"), order_by=[F("waiting_since").asc(), F("id").asc()])
        )
        .filter(rank__lte=OLDEST_PER_STEP)
        .select_related("department", "owner")
        .order_by("roadmap_step", "rank")
    )
    waiting = {step: [] for step in RoadmapStep}
    for use_case in oldest:
        waiting[use_case.roadmap_step].append(use_case)
    return {
        "steps": [(step, by_step.get(step, 0)) for step in RoadmapStep],
        "total": sum(by_step.values()),
        "by_department": [
            {"id": dept_id, "name": name, "counts": [counts.get(step, 0) for step in RoadmapStep]}
            for (dept_id, name), counts in by_department.items()
        ],
        "by_category": [
            {"category": category, "counts": [counts.get(step, 0) for step in RoadmapStep]}
            for category, counts in sorted(by_category.items())
        ],
        "waiting": waiting,
    }
