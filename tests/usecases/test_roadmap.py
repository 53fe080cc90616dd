"""The roadmap after approval (steps 2 to 6), driven through the services.

A table of (state built, from step, to step) -> unmet item codes covers every step gate,
read both through ``usecases.roadmap`` and through ``roadmap_services.advance_step`` (which must
refuse with the same items). The other tests follow one use case from approval to
production, skip the proof of concept, decide the hybrid roles, go live, move back and
retire, and check who may do what.

Most use cases start "approved at step 2" through a queryset update (``approved``): the
approval workflow is covered in tests/governance/test_workflow.py (and walked once in the
happy path below), and the gates read only the status, ``approved_at`` and the step. States
no service can reach (a pilot written on an open model, roles without a rationale) are
written directly and say so.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from governance import services as governance_services
from governance.models import Finding
from portal.models import AuditEvent
from tests.factories import AIModelFactory, UseCaseFactory, VendorFactory, approved_vendor, send_assessment
from tests.usecases.roadmap_helpers import approved, days, place
from tests.vendors.helpers import submit_through_service
from usecases import roadmap, roadmap_services, services
from usecases.choices import OPEN_STYLES
from usecases.models import Trial, UseCase
from vendors import assessments as vendor_assessments
from vendors.models import Licence

pytestmark = pytest.mark.django_db

MOVES = ("start_pilot", "advance_step", "skip_poc", "go_live", "move_back", "stop_pilot", "return_to_pilot", "retire")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def closed_model(status="approved", publisher=None):
    return AIModelFactory(name="GPT-4o", status=status, publisher=publisher or approved_vendor("internal"))


def open_model(licence="Apache-2.0"):
    vendor, licence = VendorFactory(kind="open_weights"), Licence.objects.get(identifier=licence)
    return AIModelFactory(
        name="Llama 3 70B", openness="open_weights", publisher=vendor, licence=licence, status="approved"
    )


def readiness(reviewer, vendor, *, knockout=False):
    """IT submits the open-model readiness checklist for ``vendor`` (a "no" is a knockout)."""
    assessment, _token = send_assessment(reviewer, vendor, key="open-model-readiness")
    overrides = {vendor_assessments.questions_of(assessment)[0].id: "no"} if knockout else {}
    return submit_through_service(assessment, overrides=overrides)


def pilot_fields(model, **fields):
    return {"ai_model": model, "scope": "広告コピー案", "starts_on": days(-30), "planned_end_on": days(30), **fields}


def poc_fields(model, **fields):
    return {"ai_model": model, "scope": "社内FAQ検索", "starts_on": days(-5), "planned_end_on": days(25), **fields}


def role_rows(use_case, shares=None):
    """Every model of the use case with the role its deployment fits (and ``shares[model name]``)."""
    rows = []
    for choice in use_case.model_choices.select_related("ai_model"):
        role = "core" if choice.deployment in OPEN_STYLES else "operations"
        share = (shares or {}).get(choice.ai_model.name)
        rows.append({"choice": choice, "role": role, "rationale": "用途に合う方式", "request_share": share})
    return rows


def codes(items):
    return [item.code for item in items]


def moves(use_case):
    events = AuditEvent.objects.for_object(use_case).filter(action__in=MOVES).order_by("pk")
    return [(e.action, e.from_state, e.to_state, e.data) for e in events]


class Journey:
    """Builds the state one gate row names, ingredient by ingredient, through the services.
    The ingredients marked "directly" write states the services refuse to create."""

    def __init__(self, requester, reviewer, admin=None):
        self.requester, self.reviewer, self.admin = requester, reviewer, admin
        self.use_case = approved(requester)
        self.closed = self.open = self.pilot_values = self.poc_values = None

    def build(self, ingredients):
        uc, reviewer = self.use_case, self.reviewer
        steps = {
            "draft": lambda: self._status("draft", submitted_at=None),
            "submitted": lambda: self._status("submitted"),
            "pilot": lambda: self._pilot(),
            "pilot_model_under_review": lambda: self._pilot(closed_model(status="under_review")),
            "pilot_vendor_prospective": lambda: self._pilot(closed_model(publisher=VendorFactory())),
            "pilot_on_open_model": lambda: self._direct_trial("closed_pilot", pilot_fields(open_model())),
            "measured": lambda: self._measure(days(-30)),  # the day the pilot started counts
            "measured_early": lambda: self._measure(days(-31)),
            "pilot_results": lambda: self._pilot(results="CTRが1.8%から1.95%に改善。担当者の評価も良好。"),
            "pilot_blank_results": lambda: self._pilot(results="  \n "),
            "poc": lambda: self._poc(),
            "poc_no_scope": lambda: self._poc(scope="   "),
            "poc_on_closed_model": lambda: self._direct_trial("open_poc", poc_fields(closed_model())),
            "poc_non_commercial": self._poc_non_commercial,
            "exception": self._exception,
            "ready": lambda: readiness(reviewer, self.open.publisher),
            "ready_knockout": lambda: readiness(reviewer, self.open.publisher, knockout=True),
            "ready_other_vendor": lambda: readiness(reviewer, VendorFactory(kind="open_weights")),
            "poc_results": lambda: self._poc(results="自社FAQでの正答率82%"),
            "poc_compared": lambda: self._poc(comparison="クローズドより正答率は低いが機密データを外に出さない"),
            "roles": lambda: roadmap_services.decide_roles(uc, reviewer, role_rows(uc)),
            "roles_no_rationale": lambda: uc.model_choices.update(role="operations", role_rationale=""),  # directly
            "roles_all_retired": lambda: uc.model_choices.update(role="retired", role_rationale="使わない"),  # directly
        }
        for ingredient in ingredients:
            steps[ingredient]()
        self.use_case = UseCase.objects.get(pk=uc.pk)
        return self

    def _status(self, status, **fields):
        UseCase.objects.filter(pk=self.use_case.pk).update(status=status, roadmap_step=1, approved_at=None, **fields)

    def _direct_trial(self, kind, fields):  # directly: save_trial refuses a model of the wrong openness
        Trial.objects.create(use_case=self.use_case, kind=kind, updated_by=self.requester, **fields)

    def _measure(self, day):
        services.record_measurement(self.use_case, self.requester, self.use_case.kpis.get(), day, Decimal("1.95"))

    def _pilot(self, model=None, **fields):
        self.closed = model or self.closed or closed_model()
        self.pilot_values = {**(self.pilot_values or pilot_fields(self.closed)), "ai_model": self.closed, **fields}
        roadmap_services.save_trial(self.use_case, self.requester, "closed_pilot", self.pilot_values)

    def _poc(self, model=None, **fields):
        self.open = model or self.open or open_model()
        self.poc_values = {**(self.poc_values or poc_fields(self.open)), "ai_model": self.open, **fields}
        roadmap_services.save_trial(self.use_case, self.requester, "open_poc", self.poc_values)

    def _exception(self):
        subject, why = f"model:{self.open.pk}", "法務確認済み、検証期間のみ"
        governance_services.grant_exception(self.use_case, self.admin, "licence.non-commercial", subject, why, days(90))

    def _poc_non_commercial(self):
        UseCase.objects.filter(pk=self.use_case.pk).update(audience="customer_facing")
        self._poc(open_model("CC-BY-NC-4.0"))


PILOT_DONE = ("pilot", "measured", "pilot_results")
POC_READY = (*PILOT_DONE, "poc", "ready")
POC_DONE = (*POC_READY, "poc_results", "poc_compared")
STEP4 = ["poc.model", "poc.readiness", "poc.scope", "poc.licence"]
GATE_ROWS = [
    # Step 2 is entered by the approval workflow; the roadmap services do not move step 1.
    ("draft", ("draft",), 1, 2, ["inventory.submitted", "governance.approved"]),
    ("submitted, not approved", ("submitted",), 1, 2, ["governance.approved"]),
    ("approved", (), 1, 2, []),
    # Step 3 starts with a pilot on an approved closed model of an approved vendor.
    ("no pilot", (), 2, 3, ["pilot.model", "pilot.dates"]),
    ("pilot ready", ("pilot",), 2, 3, []),
    ("pilot model under review", ("pilot_model_under_review",), 2, 3, ["pilot.model"]),
    ("pilot vendor not approved", ("pilot_vendor_prospective",), 2, 3, ["pilot.model"]),
    ("pilot on an open model", ("pilot_on_open_model",), 2, 3, ["pilot.model"]),
    # Step 3 finishes with KPI results since the pilot started; step 4 starts with the PoC.
    ("pilot only", ("pilot",), 3, 4, ["pilot.kpi_results", "pilot.feedback", *STEP4]),
    ("measured early", ("pilot", "measured_early", "pilot_results", "poc", "ready"), 3, 4, ["pilot.kpi_results"]),
    ("blank pilot results", ("pilot", "measured", "pilot_blank_results", "poc", "ready"), 3, 4, ["pilot.feedback"]),
    ("ready for step 4", POC_READY, 3, 4, []),
    ("no readiness check", (*PILOT_DONE, "poc"), 3, 4, ["poc.readiness"]),
    ("readiness knockout", (*PILOT_DONE, "poc", "ready_knockout"), 3, 4, ["poc.readiness"]),
    ("another vendor's readiness", (*PILOT_DONE, "poc", "ready_other_vendor"), 3, 4, ["poc.readiness"]),
    ("PoC without scope", (*PILOT_DONE, "poc_no_scope", "ready"), 3, 4, ["poc.scope"]),
    ("PoC on a closed model", (*PILOT_DONE, "poc_on_closed_model"), 3, 4, ["poc.model", "poc.readiness"]),
    ("non-commercial, customer-facing", (*PILOT_DONE, "poc_non_commercial", "ready"), 3, 4, ["poc.licence"]),
    ("licence exception", (*PILOT_DONE, "poc_non_commercial", "ready", "exception"), 3, 4, []),
    # Skipping step 4 needs step 3's finish items, none of step 4's.
    ("skip without results", ("pilot",), 3, 5, ["pilot.kpi_results", "pilot.feedback"]),
    ("skip with results", PILOT_DONE, 3, 5, []),
    # Step 4 finishes with the PoC's results and the comparison.
    ("PoC not written up", POC_READY, 4, 5, ["poc.results", "poc.comparison"]),
    ("PoC without comparison", (*POC_READY, "poc_results"), 4, 5, ["poc.comparison"]),
    ("PoC written up", POC_DONE, 4, 5, []),
    # Step 5 finishes with the roles decided and the use case live; step 6 cannot be checked.
    ("roles undecided", POC_DONE, 5, 6, ["hybrid.roles", "hybrid.live", "rules.acknowledged", "rules.trained"]),
    (
        "no rationale",
        (*POC_DONE, "roles_no_rationale"),
        5,
        6,
        ["hybrid.roles", "hybrid.live", "rules.acknowledged", "rules.trained"],
    ),
    (
        "every model retired, live",
        (*POC_DONE, "roles_all_retired", "live"),
        5,
        6,
        ["hybrid.roles", "rules.acknowledged", "rules.trained"],
    ),
    ("roles decided", (*POC_DONE, "roles"), 5, 6, ["hybrid.live", "rules.acknowledged", "rules.trained"]),
    ("roles decided, live", (*POC_DONE, "roles", "live"), 5, 6, ["rules.acknowledged", "rules.trained"]),
]


@pytest.mark.parametrize(
    "ingredients, from_step, to_step, expected", [pytest.param(*row[1:], id=row[0]) for row in GATE_ROWS]
)
def test_step_gates(requester, reviewer, admin_user, ingredients, from_step, to_step, expected):
    journey = Journey(requester, reviewer, admin_user).build(i for i in ingredients if i != "live")
    use_case = journey.use_case
    status = {1: use_case.status, 2: "approved"}.get(from_step, "piloting")
    use_case = place(use_case, from_step, "in_production" if "live" in ingredients else status)

    gates = roadmap.gates(use_case)
    assert codes(roadmap.unmet(roadmap.requirements(gates, from_step, to_step))) == expected
    skip = (from_step, to_step) == (3, 5)
    assert roadmap.is_skip(from_step, to_step) is skip
    reason = "クローズドで十分な成果" if skip else ""
    if from_step == 1:
        with pytest.raises(services.TransitionNotAllowed):
            roadmap_services.advance_step(use_case, reviewer)
    elif expected:
        with pytest.raises(roadmap_services.GateNotMet) as caught:
            roadmap_services.advance_step(use_case, reviewer, skip_poc=skip, reason=reason)
        assert (caught.value.step, codes(caught.value.items)) == (to_step, expected)
        assert UseCase.objects.get(pk=use_case.pk).roadmap_step == from_step
        assert moves(use_case) == []
    else:
        assert roadmap_services.advance_step(use_case, reviewer, skip_poc=skip, reason=reason).roadmap_step == to_step
        assert [(data["from_step"], data["to_step"]) for *_move, data in moves(use_case)] == [(from_step, to_step)]


def test_gate_items_explain_what_is_wrong(requester, reviewer):
    journey = Journey(requester, reviewer).build(("pilot_vendor_prospective", "poc"))
    gates = roadmap.gates(journey.use_case)
    model_item = next(item for item in gates[3].start if item.code == "pilot.model")
    assert (model_item.met, model_item.state) == (False, "unmet")
    assert model_item.detail == f"{journey.closed.publisher} is Prospective."
    readiness_item = next(item for item in gates[4].start if item.code == "poc.readiness")
    assert readiness_item.detail == f"Publisher: {journey.open.publisher}."
    journey.build(("pilot_model_under_review",))
    model_item = next(item for item in roadmap.gates(journey.use_case)[3].start if item.code == "pilot.model")
    assert model_item.detail == "GPT-4o is Under review."  # the new pilot model's vendor is approved
    # Nothing of rules and education is in place yet: step 6 says so and stays shut.
    acknowledged, trained = gates[6].start
    assert [(i.code, i.met, i.state) for i in (acknowledged, trained)] == [
        ("rules.acknowledged", False, "unmet"),
        ("rules.trained", False, "unmet"),
    ]
    assert acknowledged.detail.startswith("No usage rule") and trained.detail.startswith("No required training")


def test_the_whole_journey_from_approval_to_production(requester, reviewer):
    use_case = services.submit(UseCaseFactory(complete=True, owner=requester, title="広告コピー生成"), requester)
    governance_services.decide_stage(governance_services.active_stage(use_case), reviewer, "approve")
    use_case = UseCase.objects.get(pk=use_case.pk)
    assert (use_case.status, use_case.roadmap_step) == ("approved", 2)

    gpt, llama = closed_model(), open_model()
    roadmap_services.save_trial(use_case, requester, "closed_pilot", pilot_fields(gpt, starts_on=days(-20)))
    use_case = roadmap_services.advance_step(use_case, requester)
    assert (use_case.status, use_case.roadmap_step) == ("piloting", 3)
    services.record_measurement(use_case, requester, use_case.kpis.get(), days(-20), Decimal("1.95"))
    roadmap_services.save_trial(
        use_case, requester, "closed_pilot", pilot_fields(gpt, starts_on=days(-20), results="CTR改善")
    )
    readiness(reviewer, llama.publisher)
    roadmap_services.save_trial(use_case, reviewer, "open_poc", poc_fields(llama))
    use_case = roadmap_services.advance_step(use_case, reviewer)
    assert (use_case.status, use_case.roadmap_step) == ("piloting", 4)
    roadmap_services.save_trial(
        use_case, reviewer, "open_poc", poc_fields(llama, results="正答率82%", comparison="同等")
    )
    use_case = roadmap_services.advance_step(use_case, requester)
    assert (use_case.status, use_case.roadmap_step) == ("piloting", 5)
    roadmap_services.decide_roles(use_case, reviewer, role_rows(use_case, shares={"GPT-4o": 70, "Llama 3 70B": 30}))
    before = timezone.now()
    use_case = roadmap_services.go_live(use_case, requester, comment="本番開始")
    assert (use_case.status, use_case.roadmap_step) == ("in_production", 5)
    assert before <= use_case.went_live_at <= timezone.now()

    assert moves(use_case) == [
        ("start_pilot", "approved", "piloting", {"from_step": 2, "to_step": 3}),
        ("advance_step", "piloting", "piloting", {"from_step": 3, "to_step": 4}),
        ("advance_step", "piloting", "piloting", {"from_step": 4, "to_step": 5}),
        ("go_live", "piloting", "in_production", {"step": 5}),
    ]
    assert AuditEvent.objects.for_object(use_case).get(action="go_live").comment == "本番開始"
    assert AuditEvent.objects.for_object(use_case).filter(action="save_trial").count() == 4
    assert [(c.ai_model, c.role, c.request_share) for c in use_case.model_choices.all()] == [
        (gpt, "operations", 70),
        (llama, "core", 30),
    ]
    summary = roadmap.summary(use_case)
    assert (summary["step"], summary["next_step"], summary["can_skip_poc"]) == (5, 6, False)
    assert codes(summary["next_step_unmet"]) == ["rules.acknowledged", "rules.trained"]


def walk(requester, reviewer, *, to_step, skip=False, live=False):
    """A use case walked through the services to ``to_step`` (skipping the PoC if asked)."""
    journey = Journey(requester, reviewer).build(PILOT_DONE if skip else POC_DONE)
    use_case = roadmap_services.advance_step(journey.use_case, reviewer)
    if skip:
        use_case = roadmap_services.advance_step(use_case, reviewer, skip_poc=True, reason="FAQ程度なのでPoC不要")
    while use_case.roadmap_step < to_step:
        use_case = roadmap_services.advance_step(use_case, reviewer)
    if live:
        roadmap_services.decide_roles(use_case, reviewer, role_rows(use_case))
        use_case = roadmap_services.go_live(use_case, reviewer)
    return use_case


def test_skipping_the_poc_needs_a_reason_and_is_recorded(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=3, skip=False)
    with pytest.raises(ValidationError) as caught:
        roadmap_services.advance_step(use_case, requester, skip_poc=True, reason="  ")
    assert list(caught.value.message_dict) == ["reason"]
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 3

    use_case = roadmap_services.advance_step(use_case, requester, skip_poc=True, reason="  顧客向けはクローズドで十分 ")
    assert (use_case.status, use_case.roadmap_step) == ("piloting", 5)
    assert UseCase.objects.get(pk=use_case.pk).poc_skipped_reason == "顧客向けはクローズドで十分"
    event = AuditEvent.objects.for_object(use_case).get(action="skip_poc")
    assert (event.comment, event.from_state, event.to_state) == ("顧客向けはクローズドで十分", "piloting", "piloting")
    assert event.data == {"from_step": 3, "to_step": 5}
    with pytest.raises(services.TransitionNotAllowed):  # only from step 3
        roadmap_services.advance_step(use_case, requester, skip_poc=True, reason="もう一度")


SHARES = "The request shares of the models in use must add up to 100%."
ALL_OR_NONE = "Give every model in use its share of the requests, or leave all shares empty."
NOT_CORE = "GPT-4o runs as “Closed: vendor API”, which does not fit the role “Differentiating core (open AI)”."
NOT_OPS = (
    "Llama 3 70B runs as “Open model, self-hosted”, which does not fit the role “Day-to-day operations (closed AI)”."
)
HYBRID_ERRORS = [
    ({"GPT-4o": ("", "x", None)}, "Choose a role for GPT-4o."),
    ({"GPT-4o": ("operations", " ", None)}, "Explain the role of GPT-4o."),
    ({"GPT-4o": ("core", "x", None)}, NOT_CORE),
    ({"Llama 3 70B": ("operations", "x", None)}, NOT_OPS),
    ({"GPT-4o": ("operations", "x", 60), "Llama 3 70B": ("core", "x", 30)}, SHARES),
    # An empty share beside a given one is refused, not taken as 0%.
    ({"GPT-4o": ("operations", "x", 100)}, ALL_OR_NONE),
    ({"GPT-4o": ("retired", "x", None), "Llama 3 70B": ("retired", "x", None)}, "At least one model stays in use."),
]


def rows_with(use_case, overrides):
    rows = role_rows(use_case)
    for row in rows:
        if row["choice"].ai_model.name in overrides:
            row["role"], row["rationale"], row["request_share"] = overrides[row["choice"].ai_model.name]
    return rows


@pytest.mark.parametrize("overrides, error", HYBRID_ERRORS)
def test_hybrid_roles_must_fit_the_deployment_and_add_up(requester, reviewer, overrides, error):
    use_case = walk(requester, reviewer, to_step=5)
    with pytest.raises(ValidationError) as caught:
        roadmap_services.decide_roles(use_case, reviewer, rows_with(use_case, overrides))
    assert [str(message) for message in caught.value.message_dict["roles"]] == [error]
    assert list(use_case.model_choices.values_list("role", flat=True)) == ["", ""]
    assert not AuditEvent.objects.for_object(use_case).filter(action="decide_roles").exists()


def test_hybrid_roles_cover_every_model_of_the_use_case_only(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=5)
    other = walk(requester, reviewer, to_step=3)
    rows = role_rows(use_case)
    for given in (rows[:1], [*rows, *role_rows(other)[:1]]):
        with pytest.raises(ValidationError) as caught:
            roadmap_services.decide_roles(use_case, reviewer, given)
        assert "roles" in caught.value.message_dict


def test_hybrid_roles_are_saved_with_shares_only_for_models_in_use(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=5)
    decision = {"GPT-4o": ("retired", " 費用が高い ", 40), "Llama 3 70B": ("core", "社内データ", 100)}
    roadmap_services.decide_roles(use_case, reviewer, rows_with(use_case, decision))
    assert [(c.role, c.role_rationale, c.request_share) for c in use_case.model_choices.all()] == [
        ("retired", "費用が高い", None),
        ("core", "社内データ", 100),
    ]
    event = AuditEvent.objects.for_object(use_case).get(action="decide_roles")
    assert event.changes == {
        "GPT-4o": [["", "", None], ["retired", "費用が高い", None]],
        "Llama 3 70B": [["", "", None], ["core", "社内データ", 100]],
    }
    roadmap_services.decide_roles(
        use_case, reviewer, rows_with(use_case, {**decision, "GPT-4o": ("retired", "費用が高い", None)})
    )
    assert AuditEvent.objects.for_object(use_case).filter(action="decide_roles").count() == 1  # nothing changed


def test_going_live_needs_step_5_and_the_roles(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=4)
    for too_early in (approved(requester), use_case):
        with pytest.raises(services.TransitionNotAllowed):
            roadmap_services.go_live(too_early, requester)
    use_case = roadmap_services.advance_step(use_case, requester)
    with pytest.raises(roadmap_services.GateNotMet) as caught:
        roadmap_services.go_live(use_case, requester)
    assert (caught.value.step, codes(caught.value.items)) == (5, ["hybrid.roles"])
    assert codes(roadmap.summary(use_case)["go_live_unmet"]) == ["hybrid.roles"]
    use_case = UseCase.objects.get(pk=use_case.pk)
    assert (use_case.status, use_case.went_live_at) == ("piloting", None)

    roadmap_services.decide_roles(use_case, requester, role_rows(use_case))
    assert roadmap.summary(use_case)["go_live_unmet"] == []
    use_case = roadmap_services.go_live(use_case, requester)
    assert use_case.status == "in_production" and use_case.went_live_at is not None
    with pytest.raises(services.TransitionNotAllowed):
        roadmap_services.go_live(use_case, requester)


def test_step_6_blocks_without_rules_and_training_even_when_everything_else_holds(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=5, live=True)
    with pytest.raises(roadmap_services.GateNotMet) as caught:
        roadmap_services.advance_step(use_case, reviewer)
    assert caught.value.step == 6
    assert [(item.code, item.met) for item in caught.value.items] == [
        ("rules.acknowledged", False),
        ("rules.trained", False),
    ]
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 5


# --- Moving back and retiring ---------------------------------------------------------------------


def test_only_reviewers_move_back_and_only_with_a_reason(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=4)
    with pytest.raises(PermissionDenied):
        roadmap_services.move_back(use_case, requester, 3, "やり直し")
    with pytest.raises(ValidationError) as caught:
        roadmap_services.move_back(use_case, reviewer, 3, " ")
    assert list(caught.value.message_dict) == ["reason"]
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 4
    assert [move[0] for move in moves(use_case)] == ["start_pilot", "advance_step"]


@pytest.mark.parametrize("to_step", [1, 4, 5, "x", None])
def test_moving_back_goes_to_an_earlier_step_from_2(requester, reviewer, to_step):
    use_case = walk(requester, reviewer, to_step=4)
    with pytest.raises(ValidationError) as caught:
        roadmap_services.move_back(use_case, reviewer, to_step, "戻す")
    assert list(caught.value.message_dict) == ["to_step"]
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 4


def test_moving_back_to_step_2_stops_the_pilot(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=4)
    use_case = roadmap_services.move_back(use_case, reviewer, 2, "データ方針を見直す")
    assert (use_case.status, use_case.roadmap_step) == ("approved", 2)
    event = AuditEvent.objects.for_object(use_case).get(action="stop_pilot")
    assert (event.from_state, event.to_state, event.comment, event.data) == (
        "piloting",
        "approved",
        "データ方針を見直す",
        {"from_step": 4, "to_step": 2},
    )
    assert set(services.allowed_actions(use_case, requester)) == {"start_pilot", "retire"}
    assert roadmap_services.advance_step(use_case, requester).status == "piloting"  # the pilot is kept


@pytest.mark.parametrize("to_step", [3, 4])
def test_moving_a_live_use_case_back_returns_it_to_piloting(requester, reviewer, to_step):
    use_case = walk(requester, reviewer, to_step=5, skip=True, live=True)
    assert use_case.poc_skipped_reason == "FAQ程度なのでPoC不要"
    use_case = roadmap_services.move_back(use_case, reviewer, to_step, "精度が落ちた")
    assert (use_case.status, use_case.roadmap_step, use_case.went_live_at) == ("piloting", to_step, None)
    event = AuditEvent.objects.for_object(use_case).get(action="return_to_pilot")
    assert (event.from_state, event.to_state, event.data) == (
        "in_production",
        "piloting",
        {"from_step": 5, "to_step": to_step},
    )
    if to_step == 3:  # the next move forward decides again whether to skip
        assert UseCase.objects.get(pk=use_case.pk).poc_skipped_reason == ""


def test_moving_back_within_piloting_clears_the_skip(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=5, skip=True)
    use_case = roadmap_services.move_back(use_case, reviewer, 3, "PoCをやはり実施")
    assert (use_case.status, use_case.roadmap_step, use_case.poc_skipped_reason) == ("piloting", 3, "")
    assert moves(use_case)[-1] == ("move_back", "piloting", "piloting", {"from_step": 5, "to_step": 3})


def test_retiring_needs_a_reason_and_closes_the_roadmap(requester, reviewer):
    journey = Journey(requester, reviewer).build(("pilot",))
    with pytest.raises(ValidationError) as caught:
        roadmap_services.retire(journey.use_case, requester, "")
    assert list(caught.value.message_dict) == ["reason"]
    use_case = roadmap_services.retire(journey.use_case, requester, "別ツールに統合")
    assert use_case.status == "retired"
    assert moves(use_case) == [("retire", "approved", "retired", {})]
    assert AuditEvent.objects.for_object(use_case).get(action="retire").comment == "別ツールに統合"
    with pytest.raises(services.TransitionNotAllowed):
        roadmap_services.advance_step(use_case, requester)
    with pytest.raises(ValidationError):
        roadmap_services.save_trial(use_case, requester, "closed_pilot", journey.pilot_values)


# --- Who may record the roadmap, and on which use cases ----------------------------------------------


@pytest.mark.parametrize(
    "persona, allowed",
    [(p, True) for p in ("requester", "reviewer", "admin")]
    + [(p, False) for p in ("other_requester", "executive", "outsider")],
)
def test_who_may_record_the_roadmap(personas, persona, allowed):
    journey = Journey(personas["requester"], personas["reviewer"]).build(("pilot",))
    use_case, user = journey.use_case, personas[persona]
    seen = list(AuditEvent.objects.for_object(use_case).values_list("pk", flat=True))
    calls = [
        lambda: roadmap_services.save_trial(
            use_case, user, "closed_pilot", {**journey.pilot_values, "results": "良好"}
        ),
        lambda: roadmap_services.decide_roles(use_case, user, role_rows(use_case)),
        lambda: roadmap_services.advance_step(use_case, user),
    ]
    for call in calls:
        if allowed:
            call()
        else:
            with pytest.raises(PermissionDenied):
                call()
    use_case = UseCase.objects.get(pk=use_case.pk)
    new = AuditEvent.objects.for_object(use_case).exclude(pk__in=seen)
    if allowed:
        assert (use_case.status, use_case.roadmap_step, use_case.trials.get().results) == ("piloting", 3, "良好")
        assert use_case.model_choices.get().role == "operations"
        assert sorted(new.values_list("action", flat=True)) == ["decide_roles", "save_trial", "start_pilot"]
    else:
        assert (use_case.status, use_case.roadmap_step, use_case.trials.get().results) == ("approved", 2, "")
        assert not new.exists()


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
def test_a_use_case_not_approved_has_no_roadmap(requester, reviewer, status):
    use_case = UseCaseFactory(complete=True, owner=requester)
    if status != "draft":
        UseCase.objects.filter(pk=use_case.pk).update(status=status, submitted_at=timezone.now())
    for user in (requester, reviewer):
        with pytest.raises(ValidationError) as caught:
            roadmap_services.save_trial(use_case, user, "closed_pilot", pilot_fields(closed_model()))
        assert list(caught.value.message_dict) == ["status"]
        with pytest.raises(services.TransitionNotAllowed):
            roadmap_services.advance_step(use_case, user)
    assert not Trial.objects.filter(use_case=use_case).exists()
    assert not use_case.model_choices.exists()


@pytest.mark.parametrize(
    "step, status, persona, expected",
    [
        (2, "approved", "requester", {"start_pilot", "retire"}),
        (2, "approved", "reviewer", {"start_pilot", "retire"}),
        (3, "piloting", "requester", {"advance_step", "skip_poc", "retire"}),
        (3, "piloting", "reviewer", {"advance_step", "skip_poc", "stop_pilot", "retire"}),
        (4, "piloting", "requester", {"advance_step", "retire"}),
        (4, "piloting", "reviewer", {"advance_step", "move_back", "stop_pilot", "retire"}),
        (5, "piloting", "requester", {"advance_step", "go_live", "retire"}),
        (5, "piloting", "reviewer", {"advance_step", "go_live", "move_back", "stop_pilot", "retire"}),
        (5, "in_production", "requester", {"advance_step", "retire"}),
        (5, "in_production", "reviewer", {"advance_step", "stop_pilot", "return_to_pilot", "retire"}),
        (6, "in_production", "reviewer", {"move_back", "stop_pilot", "return_to_pilot", "retire"}),
        (4, "piloting", "other_requester", set()),
        (4, "piloting", "executive", set()),
        (4, "piloting", "outsider", set()),
    ],
)
def test_allowed_actions_follow_the_step_and_the_role(personas, step, status, persona, expected):
    # Placed directly: allowed_actions reads only the status and the step.
    use_case = place(approved(personas["requester"]), step, status)
    assert set(services.allowed_actions(use_case, personas[persona])) == expected


# --- Recording the pilot and the proof of concept ----------------------------------------------------


@pytest.mark.parametrize(
    "kind, openness, message",
    [
        ("closed_pilot", "open", "A pilot on closed AI needs a closed model."),
        ("open_poc", "closed", "A proof of concept needs an open model."),
    ],
)
def test_a_trial_needs_a_model_of_its_kind(requester, kind, openness, message):
    use_case = approved(requester)
    model = open_model() if openness == "open" else closed_model()
    with pytest.raises(ValidationError) as caught:
        roadmap_services.save_trial(use_case, requester, kind, pilot_fields(model))
    assert list(caught.value.message_dict) == ["ai_model"]
    assert [str(m) for m in caught.value.message_dict["ai_model"]] == [message]
    assert not Trial.objects.exists() and not use_case.model_choices.exists()


@pytest.mark.parametrize(
    "dates, field",
    [
        ({"starts_on": days(0), "planned_end_on": days(-1)}, "planned_end_on"),
        ({"ended_on": days(-31)}, "ended_on"),
        ({"starts_on": None}, "starts_on"),
        ({"planned_end_on": None}, "planned_end_on"),
        ({"ai_model": None}, "ai_model"),
    ],
)
def test_trial_dates_and_model_are_checked(requester, dates, field):
    use_case = approved(requester)
    with pytest.raises(ValidationError) as caught:
        roadmap_services.save_trial(use_case, requester, "closed_pilot", pilot_fields(closed_model(), **dates))
    assert list(caught.value.message_dict) == [field]
    assert not Trial.objects.exists()


def test_a_trial_model_joins_the_use_case_and_refreshes_the_findings(requester, reviewer):
    use_case = approved(requester)
    gpt, llama = closed_model(), open_model()
    roadmap_services.save_trial(use_case, requester, "closed_pilot", pilot_fields(gpt))
    assert not Finding.objects.filter(use_case=use_case, rule_id="open.readiness-missing").exists()
    roadmap_services.save_trial(use_case, reviewer, "open_poc", poc_fields(llama))
    assert [(c.ai_model, c.deployment, c.position) for c in use_case.model_choices.all()] == [
        (gpt, "closed_api", 0),
        (llama, "open_self_hosted", 1),
    ]
    finding = Finding.objects.get(use_case=use_case, rule_id="open.readiness-missing")
    assert finding.subject == f"model:{llama.pk}"

    roadmap_services.save_trial(use_case, reviewer, "open_poc", poc_fields(llama, results="正答率82%"))
    assert use_case.model_choices.count() == 2 and Trial.objects.filter(use_case=use_case).count() == 2
    events = list(AuditEvent.objects.for_object(use_case).filter(action="save_trial").order_by("pk"))
    assert [event.data for event in events] == [
        {"kind": "closed_pilot", "model_added": True},
        {"kind": "open_poc", "model_added": True},
        {"kind": "open_poc", "model_added": False},
    ]
    assert events[2].changes == {"results": ["", "正答率82%"]}
    assert (events[1].actor, events[1].changes["ai_model"]) == (reviewer, [None, str(llama)])


# --- Regressions: the skip is cleared when the PoC is reconsidered; rights come before the gate ---


def test_moving_back_to_step_4_after_a_skip_clears_the_skip_reason(requester, reviewer):
    use_case = walk(requester, reviewer, to_step=5, skip=True)
    use_case = roadmap_services.move_back(use_case, reviewer, 4, "PoCを実施する")
    assert UseCase.objects.get(pk=use_case.pk).poc_skipped_reason == ""


def test_advance_step_checks_rights_and_state_before_the_gate(requester, reviewer, outsider):
    journey = Journey(requester, reviewer).build(PILOT_DONE)  # no PoC: the 3 -> 4 gate is not met
    use_case = roadmap_services.advance_step(journey.use_case, requester)
    with pytest.raises(PermissionDenied):
        roadmap_services.advance_step(use_case, outsider)
    use_case = roadmap_services.retire(use_case, requester, "中止")
    with pytest.raises(services.TransitionNotAllowed):
        roadmap_services.advance_step(use_case, requester)
