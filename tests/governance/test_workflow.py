"""The use-case lifecycle with its approval stages, driven through the services.

A table of (status, action, persona) -> outcome covers who may move a use case from
which state; the other tests follow one use case through planning, decisions, requests
for changes, blocking findings and their exceptions, risk-tier overrides and
optimistic editing. Every starting state is reached through the services (submit,
decide, withdraw); only states no service reaches yet are written directly.
"""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from governance import checks, services
from governance.choices import StageStatus
from governance.models import (
    ApprovalStage,
    ClassificationRule,
    Finding,
    PolicyException,
    RiskTierSetting,
    StageDefinition,
)
from portal.models import AuditEvent
from portal.roles import Role
from tests.conftest import _join, api_client_for
from tests.factories import UseCaseFactory, UserFactory
from usecases import services as usecase_services
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

BLOCKED_RULE, BLOCKED_SUBJECT = "classification.prohibited", "style:closed_saas"
ALL_STAGES = ["it-review", "data-security-review", "legal-review", "privacy-review", "executive-signoff"]


@pytest.fixture(autouse=True)
def _default_language():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def submitted(owner, **fields):
    """A complete draft submitted through the service (tier, findings and stages planned)."""
    return usecase_services.submit(UseCaseFactory(complete=True, owner=owner, **fields), owner)


def decide(use_case, user, decision, comment=""):
    """Decide the stage currently waiting for a decision; return the use case as saved."""
    stage = services.active_stage(use_case)
    assert stage is not None, f"{use_case.reference} has no stage waiting ({use_case.status})"
    services.decide_stage(stage, user, decision, comment)
    return UseCase.objects.get(pk=use_case.pk)


def stages_of(use_case):
    return list(ApprovalStage.objects.filter(use_case=use_case).select_related("definition").order_by("pk"))


def codes(stages):
    return [stage.definition.code for stage in stages]


def new_events(use_case, seen):
    return list(AuditEvent.objects.for_object(use_case).exclude(pk__in=seen).order_by("pk"))


# --- The lifecycle table -------------------------------------------------------------------------------

STATES = [
    "draft",
    "submitted",
    "in_review",
    "changes_requested",
    "approved",
    "rejected",
    "withdrawn",
    "piloting",
    "in_production",
    "retired",
]
ACTIONS = ["submit", "withdraw", "approve", "reject", "request_changes"]
DECISIONS = {"approve", "reject", "request_changes"}
PERSONAS = ["owner", "reviewer", "executive", "admin", "other_requester"]
# The action names ``allowed_actions`` offers for each action of the table.
OFFERED_AS = {
    "submit": {"submit", "resubmit"},
    "withdraw": {"withdraw"},
    "approve": {"approve", "approve_stage"},
    "reject": {"reject"},
    "request_changes": {"request_changes"},
}


def only(persona, status):
    """``persona`` moves the use case to ``status``; everyone else is refused (PermissionDenied)."""
    return {persona: status}


# (state, action) -> an exception everyone gets, or {persona: new status} (others: PermissionDenied).
# The use case is of limited risk: two stages, IT review then data/security review, both
# decided by ``reviewer``. "approve" in ``submitted`` approves the first stage (-> in review),
# in ``in_review`` the last one (-> approved).
NOT_NOW = usecase_services.TransitionNotAllowed
CONFLICT = services.StageConflict
TABLE = {
    ("draft", "submit"): only("owner", "submitted"),
    ("draft", "withdraw"): only("owner", "withdrawn"),
    ("draft", "approve"): CONFLICT,
    ("draft", "reject"): CONFLICT,
    ("draft", "request_changes"): CONFLICT,
    ("submitted", "submit"): NOT_NOW,
    ("submitted", "withdraw"): only("owner", "withdrawn"),
    ("submitted", "approve"): only("reviewer", "in_review"),
    ("submitted", "reject"): only("reviewer", "rejected"),
    ("submitted", "request_changes"): only("reviewer", "changes_requested"),
    ("in_review", "submit"): NOT_NOW,
    ("in_review", "withdraw"): only("owner", "withdrawn"),
    ("in_review", "approve"): only("reviewer", "approved"),
    ("in_review", "reject"): only("reviewer", "rejected"),
    ("in_review", "request_changes"): only("reviewer", "changes_requested"),
    ("changes_requested", "submit"): only("owner", "in_review"),
    ("changes_requested", "withdraw"): only("owner", "withdrawn"),
    ("changes_requested", "approve"): CONFLICT,
    ("changes_requested", "reject"): CONFLICT,
    ("changes_requested", "request_changes"): CONFLICT,
    **{
        (state, action): NOT_NOW if action in ("submit", "withdraw") else CONFLICT
        for state in ("approved", "rejected", "withdrawn", "piloting", "in_production", "retired")
        for action in ACTIONS
    },
}
assert set(TABLE) == {(state, action) for state in STATES for action in ACTIONS}


def expected_outcome(state, action, persona):
    row = TABLE[(state, action)]
    return row.get(persona, PermissionDenied) if isinstance(row, dict) else row


def build(state, owner, reviewer):
    """A limited-risk use case of ``owner`` in ``state``, reached through the services."""
    use_case = UseCaseFactory(complete=True, owner=owner, customers_see_output=True, human_checks_output=True)
    if state == "draft":
        return use_case
    use_case = usecase_services.submit(use_case, owner)
    if state == "submitted":
        return use_case
    if state == "withdrawn":
        return usecase_services.withdraw(use_case, owner, comment="予算が付かなかった")
    if state == "rejected":
        return decide(use_case, reviewer, "reject", "目的が不明確")
    if state == "changes_requested":
        return decide(use_case, reviewer, "request_changes", "KPIを具体的に")
    use_case = decide(use_case, reviewer, "approve")
    if state == "in_review":
        return use_case
    use_case = decide(use_case, reviewer, "approve")
    if state == "approved":
        return use_case
    # No service moves an approved use case on yet: these states are written directly.
    UseCase.objects.filter(pk=use_case.pk).update(status=state)
    return UseCase.objects.get(pk=use_case.pk)


def stage_to_decide(use_case):
    """The stage waiting for a decision, else the latest stage (decided, cancelled or not started).
    A draft has none: plant a started one, as if left over, to show it cannot be decided."""
    stage = services.active_stage(use_case) or ApprovalStage.objects.filter(use_case=use_case).order_by("pk").last()
    if stage is None:
        definition = StageDefinition.objects.get(code="it-review")
        stage = ApprovalStage.objects.create(
            use_case=use_case,
            definition=definition,
            group=definition.group,
            position=definition.position,
            started_at=timezone.now(),
            due_on=in_days(5),
        )
    return stage


def expected_audit_action(state, action, new_status):
    if action == "submit":
        return "resubmit" if state == "changes_requested" else "submit"
    if action == "approve":
        return "approve" if new_status == "approved" else "approve_stage"
    return action


@pytest.mark.parametrize("state, action, persona", [(s, a, p) for s in STATES for a in ACTIONS for p in PERSONAS])
def test_lifecycle_table(state, action, persona, requester, reviewer, executive, admin_user, other_requester):
    users = {
        "owner": requester,
        "reviewer": reviewer,
        "executive": executive,
        "admin": admin_user,
        "other_requester": other_requester,
    }
    user = users[persona]
    use_case = build(state, requester, reviewer)
    assert use_case.status == state
    stage = stage_to_decide(use_case) if action in DECISIONS else None
    before_stage = (stage.status, stage.decided_by_id, stage.comment) if stage else None
    seen = list(AuditEvent.objects.for_object(use_case).values_list("pk", flat=True))
    version = use_case.version
    outcome = expected_outcome(state, action, persona)
    offered = set(usecase_services.allowed_actions(use_case, user)) & OFFERED_AS[action]

    def perform():
        if action == "submit":
            return usecase_services.submit(use_case, user)
        if action == "withdraw":
            return usecase_services.withdraw(use_case, user, comment="取り下げ")
        return services.decide_stage(stage, user, action, "判断の理由")

    if isinstance(outcome, str):
        assert offered, f"{action} should be offered to {persona} in {state}"
        perform()
        use_case.refresh_from_db()
        assert use_case.status == outcome
        assert use_case.version > version
        audit_action = expected_audit_action(state, action, outcome)
        event = next(event for event in new_events(use_case, seen) if event.action == audit_action)
        assert (event.from_state, event.to_state, event.actor) == (state, outcome, user)
        assert event.actor_name == f"{user} ({user.username})"
        if stage is not None:
            stage.refresh_from_db()
            assert (stage.status, stage.decision, stage.decided_by) == (
                {"approve": "approved", "reject": "rejected", "request_changes": "changes_requested"}[action],
                action,
                user,
            )
            assert event.data == {"stage": stage.definition.code, "decision": action}
            assert event.comment == "判断の理由"
    else:
        assert not offered, f"{action} must not be offered to {persona} in {state}"
        with pytest.raises(outcome):
            perform()
        use_case.refresh_from_db()
        assert (use_case.status, use_case.version) == (state, version)
        assert new_events(use_case, seen) == []
        if stage is not None:
            stage.refresh_from_db()
            assert (stage.status, stage.decided_by_id, stage.comment) == before_stage


# --- Stage planning ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, tier, expected",
    [
        ({}, "minimal", ["it-review"]),
        ({"customers_see_output": True}, "limited", ["it-review", "data-security-review"]),
        ({"audience": "customer_facing"}, "limited", ["it-review", "data-security-review"]),
        (
            {"decides_about_people": True},
            "high",
            ["it-review", "data-security-review", "legal-review", "executive-signoff"],
        ),
        ({"involves_personal_data": True}, "minimal", ["it-review", "privacy-review"]),
        (
            {"customers_see_output": True, "involves_personal_data": True},
            "limited",
            ["it-review", "data-security-review", "privacy-review"],
        ),
        ({"decides_about_people": True, "involves_personal_data": True}, "high", ALL_STAGES),
    ],
)
def test_submit_plans_the_stages_the_tier_and_the_facts_need(requester, fields, tier, expected):
    use_case = submitted(requester, **fields)
    assert (use_case.status, use_case.risk_tier, use_case.effective_risk_tier) == ("submitted", tier, tier)
    stages = list(ApprovalStage.objects.filter(use_case=use_case).select_related("definition", "group"))
    assert codes(stages) == expected  # in the order of the definitions' positions
    assert all(stage.status == StageStatus.PENDING and stage.decided_by is None for stage in stages)
    assert all(stage.group == stage.definition.group for stage in stages)
    first, *later = stages
    # Sequential: only the first stage has started and has a due date.
    assert first.started_at is not None
    assert first.due_on == in_days(first.definition.sla_days) == in_days(5)
    assert all(stage.started_at is None and stage.due_on is None for stage in later)
    assert services.active_stage(use_case) == first
    plan = AuditEvent.objects.for_object(use_case).get(action="plan_stages")
    assert plan.data == {"risk_tier": tier, "stages": expected, "already_approved": [], "current": "it-review"}
    assert plan.actor == requester


def test_the_executive_stage_is_decided_by_the_executive_group(requester):
    use_case = submitted(requester, decides_about_people=True)
    signoff = ApprovalStage.objects.get(use_case=use_case, definition__code="executive-signoff")
    assert signoff.group.name == "executive"


def test_stages_start_one_after_another_with_their_own_due_dates(
    four_eyes_off, requester, reviewer, legal_reviewer, executive
):
    use_case = submitted(requester, decides_about_people=True)
    deciders = [reviewer, reviewer, legal_reviewer, executive]
    sla = {"it-review": 5, "data-security-review": 5, "legal-review": 10, "executive-signoff": 5}
    seen = list(AuditEvent.objects.for_object(use_case).values_list("pk", flat=True))
    for index, user in enumerate(deciders):
        current = services.active_stage(use_case)
        assert current.due_on == in_days(sla[current.definition.code])
        pending = ApprovalStage.objects.filter(use_case=use_case, status=StageStatus.PENDING)
        assert [stage.pk for stage in pending if stage.started_at is not None] == [current.pk]
        assert all(stage.due_on is None for stage in pending if stage.pk != current.pk)
        use_case = decide(use_case, user, "approve")
        assert use_case.status == ("approved" if index == len(deciders) - 1 else "in_review")
    assert services.active_stage(use_case) is None
    decided = ApprovalStage.objects.filter(use_case=use_case).select_related("definition").order_by("position")
    assert [(stage.definition.code, stage.status, stage.decided_by) for stage in decided] == [
        ("it-review", "approved", reviewer),
        ("data-security-review", "approved", reviewer),
        ("legal-review", "approved", legal_reviewer),
        ("executive-signoff", "approved", executive),
    ]
    transitions = [
        (event.action, event.from_state, event.to_state, event.data["stage"])
        for event in new_events(use_case, seen)
        if event.action in ("approve_stage", "approve")
    ]
    assert transitions == [
        ("approve_stage", "submitted", "in_review", "it-review"),
        ("approve_stage", "in_review", "in_review", "data-security-review"),
        ("approve_stage", "in_review", "in_review", "legal-review"),
        ("approve", "in_review", "approved", "executive-signoff"),
    ]


@pytest.mark.parametrize(
    "fields, deciders, days",
    [
        ({}, ["reviewer"], 365),
        ({"customers_see_output": True, "human_checks_output": True}, ["reviewer", "reviewer"], 180),
        ({"decides_about_people": True}, ["reviewer", "reviewer", "legal", "executive"], 90),
    ],
    ids=["minimal", "limited", "high"],
)
def test_final_approval_sets_the_dates_and_the_roadmap_step(
    four_eyes_off, requester, reviewer, legal_reviewer, executive, fields, deciders, days
):
    users = {"reviewer": reviewer, "legal": legal_reviewer, "executive": executive}
    use_case = submitted(requester, **fields)
    assert (use_case.roadmap_step, use_case.approved_at, use_case.next_review_on) == (1, None, None)
    before = timezone.now()
    for name in deciders[:-1]:
        use_case = decide(use_case, users[name], "approve")
        assert (use_case.status, use_case.approved_at, use_case.next_review_on) == ("in_review", None, None)
    use_case = decide(use_case, users[deciders[-1]], "approve")
    tier = use_case.effective_risk_tier
    assert RiskTierSetting.objects.get(tier=tier).review_interval_days == days
    assert use_case.status == "approved"
    assert use_case.roadmap_step == 2
    assert before <= use_case.approved_at <= timezone.now()
    assert use_case.next_review_on == in_days(days)


def test_the_review_interval_comes_from_the_risk_tier_setting(requester, reviewer):
    RiskTierSetting.objects.filter(tier="minimal").update(review_interval_days=30)
    use_case = decide(submitted(requester), reviewer, "approve")
    assert use_case.next_review_on == in_days(30)


def test_approval_never_moves_the_roadmap_back(requester, reviewer):
    use_case = usecase_services.submit(UseCaseFactory(complete=True, owner=requester, roadmap_step=4), requester)
    use_case = decide(use_case, reviewer, "approve")
    assert (use_case.status, use_case.roadmap_step) == ("approved", 4)


# --- Who decides ----------------------------------------------------------------------------------------


def test_an_admin_in_the_group_does_not_decide_their_own_use_case(admin_user, reviewer):
    _join(admin_user, "it-review", "data-security-review")
    use_case = submitted(admin_user)
    stage = services.active_stage(use_case)
    assert "approve" not in usecase_services.allowed_actions(use_case, admin_user)
    assert stage not in ApprovalStage.objects.queue_for(admin_user)
    for decision, comment in (("approve", ""), ("reject", "自分で却下"), ("request_changes", "自分で差し戻し")):
        with pytest.raises(PermissionDenied):
            services.decide_stage(stage, admin_user, decision, comment)
    stage.refresh_from_db()
    assert (stage.status, stage.decided_by) == (StageStatus.PENDING, None)
    # Another member of the group may.
    assert decide(use_case, reviewer, "approve").status == "approved"


def test_not_even_a_superuser_decides_their_own_use_case(marketing, reviewer):
    root = UserFactory(username="root", department=marketing, is_superuser=True, is_staff=True)
    use_case = submitted(root)
    with pytest.raises(PermissionDenied):
        services.decide_stage(services.active_stage(use_case), root, "approve")
    assert UseCase.objects.get(pk=use_case.pk).status == "submitted"


def test_a_superuser_decides_any_stage_of_someone_else(requester, marketing):
    root = UserFactory(username="root", department=marketing, is_superuser=True, is_staff=True)
    use_case = decide(submitted(requester, decides_about_people=True), root, "approve")
    assert services.active_stage(use_case).definition.code == "data-security-review"


@pytest.mark.parametrize("persona", ["legal", "privacy", "executive", "admin"])
def test_a_decider_outside_the_stages_group_is_refused(
    requester, legal_reviewer, privacy_reviewer, executive, admin_user, persona
):
    user = {"legal": legal_reviewer, "privacy": privacy_reviewer, "executive": executive, "admin": admin_user}[persona]
    assert user.has_perm("governance.decide_approvalstage")
    use_case = submitted(requester, involves_personal_data=True)
    stage = services.active_stage(use_case)
    assert stage.definition.code == "it-review"
    with pytest.raises(PermissionDenied):
        services.decide_stage(stage, user, "approve")
    with pytest.raises(PermissionDenied):
        services.decide_stage(stage, user, "reject", "所管外")
    stage.refresh_from_db()
    assert (stage.status, stage.decided_by) == (StageStatus.PENDING, None)


def test_each_stage_is_decided_by_its_own_group(four_eyes_off, requester, reviewer, legal_reviewer):
    use_case = decide(submitted(requester, decides_about_people=True), reviewer, "approve")
    use_case = decide(use_case, reviewer, "approve")
    legal = services.active_stage(use_case)
    assert legal.definition.code == "legal-review"
    with pytest.raises(PermissionDenied):
        services.decide_stage(legal, reviewer, "approve")  # IT, not legal
    services.decide_stage(legal, legal_reviewer, "approve")
    legal.refresh_from_db()
    assert (legal.status, legal.decided_by) == (StageStatus.APPROVED, legal_reviewer)


def test_a_stage_that_has_not_started_cannot_be_decided(requester, legal_reviewer):
    use_case = submitted(requester, decides_about_people=True)
    legal = ApprovalStage.objects.get(use_case=use_case, definition__code="legal-review")
    with pytest.raises(services.StageConflict):
        services.decide_stage(legal, legal_reviewer, "approve")
    legal.refresh_from_db()
    assert (legal.status, legal.started_at, legal.decided_by) == (StageStatus.PENDING, None, None)


@pytest.mark.parametrize("decision", ["reject", "request_changes"])
@pytest.mark.parametrize("comment", ["", "   ", None])
def test_a_comment_is_required_unless_approving(requester, reviewer, decision, comment):
    use_case = submitted(requester)
    stage = services.active_stage(use_case)
    with pytest.raises(ValidationError) as caught:
        services.decide_stage(stage, reviewer, decision, comment)
    assert list(caught.value.message_dict) == ["comment"]
    stage.refresh_from_db()
    assert (stage.status, stage.decided_by) == (StageStatus.PENDING, None)
    assert UseCase.objects.get(pk=use_case.pk).status == "submitted"


def test_approving_needs_no_comment_and_keeps_one_given(requester, reviewer):
    use_case = submitted(requester, customers_see_output=True, human_checks_output=True)
    first = services.decide_stage(services.active_stage(use_case), reviewer, "approve")
    assert first.comment == ""
    second = services.decide_stage(services.active_stage(use_case), reviewer, "approve", "  問題なし  ")
    assert second.comment == "問題なし"
    assert AuditEvent.objects.for_object(use_case).get(action="approve").comment == "問題なし"


def test_rejection_cancels_the_stages_still_waiting(requester, reviewer):
    use_case = decide(submitted(requester, decides_about_people=True), reviewer, "reject", "不適切")
    assert use_case.status == "rejected"
    assert [(stage.definition.code, stage.status) for stage in stages_of(use_case)] == [
        ("it-review", "rejected"),
        ("data-security-review", "cancelled"),
        ("legal-review", "cancelled"),
        ("executive-signoff", "cancelled"),
    ]


def test_withdrawal_cancels_the_stages_still_waiting(requester, reviewer):
    use_case = decide(submitted(requester, customers_see_output=True), reviewer, "approve")
    use_case = usecase_services.withdraw(use_case, requester, comment="中止")
    assert [(stage.definition.code, stage.status) for stage in stages_of(use_case)] == [
        ("it-review", "approved"),
        ("data-security-review", "cancelled"),
    ]
    assert services.active_stage(use_case) is None


# --- Changes requested and resubmission -----------------------------------------------------------------


def test_request_changes_edit_and_resubmit_resumes_at_the_stage_that_asked(requester, reviewer):
    use_case = submitted(requester, customers_see_output=True, human_checks_output=True)
    use_case = decide(use_case, reviewer, "approve")  # IT review approved
    data_security = services.active_stage(use_case)
    assert data_security.definition.code == "data-security-review"
    use_case = decide(use_case, reviewer, "request_changes", "ログの保存期間を明記してください")
    assert use_case.status == "changes_requested"
    event = AuditEvent.objects.for_object(use_case).get(action="request_changes")
    assert (event.from_state, event.to_state, event.actor) == ("in_review", "changes_requested", reviewer)
    assert event.comment == "ログの保存期間を明記してください"
    assert services.active_stage(use_case) is None  # nothing to decide while the owner edits

    # The owner edits (allowed in this state) ...
    assert usecase_services.can_edit(use_case, requester)
    version = use_case.version
    use_case = usecase_services.update_draft(
        use_case, requester, {"summary": "ログは30日で削除する。"}, expected_version=version
    )
    assert (use_case.summary, use_case.version) == ("ログは30日で削除する。", version + 1)
    # ... and the checks must run again on resubmission: the matrix changed meanwhile
    # (without a re-check being queued), and the risk tier is derived again.
    ClassificationRule.objects.filter(level__code="internal", style="closed_api").update(
        verdict="prohibited", require_vendor_approval=False
    )
    UseCase.objects.filter(pk=use_case.pk).update(risk_tier="")
    assert not Finding.objects.filter(use_case=use_case, rule_id=BLOCKED_RULE).exists()

    seen = list(AuditEvent.objects.for_object(use_case).values_list("pk", flat=True))
    use_case = usecase_services.submit(use_case, requester)
    assert use_case.status == "in_review"
    resubmit = next(event for event in new_events(use_case, seen) if event.action == "resubmit")
    assert (resubmit.from_state, resubmit.to_state, resubmit.actor) == ("changes_requested", "in_review", requester)
    assert Finding.objects.filter(use_case=use_case, rule_id=BLOCKED_RULE, subject="style:closed_api").exists()
    assert UseCase.objects.get(pk=use_case.pk).risk_tier == "limited"

    stages = stages_of(use_case)
    assert [(stage.definition.code, stage.status) for stage in stages] == [
        ("it-review", "approved"),
        ("data-security-review", "changes_requested"),
        ("data-security-review", "pending"),
    ]
    it_review, old, new = stages
    assert it_review.decided_by == reviewer  # the earlier approval stands
    assert old.pk == data_security.pk and old.comment == "ログの保存期間を明記してください"
    assert new.pk != old.pk and new.started_at is not None and new.due_on == in_days(5)
    assert new.decided_by is None and new.decision == ""
    assert services.active_stage(use_case) == new
    plan = next(event for event in new_events(use_case, seen) if event.action == "plan_stages")
    assert plan.data == {
        "risk_tier": "limited",
        "stages": ["data-security-review"],
        "already_approved": ["it-review"],
        "current": "data-security-review",
    }


def test_a_request_for_changes_on_the_first_stage_keeps_the_later_ones_waiting(requester, reviewer):
    use_case = submitted(requester, decides_about_people=True)
    use_case = decide(use_case, reviewer, "request_changes", "目的を明確に")
    use_case = usecase_services.submit(use_case, requester)
    pending = ApprovalStage.objects.filter(use_case=use_case, status=StageStatus.PENDING).select_related("definition")
    assert codes(pending) == ["it-review", "data-security-review", "legal-review", "executive-signoff"]
    assert services.active_stage(use_case).definition.code == "it-review"
    assert [stage.pk for stage in pending if stage.started_at] == [services.active_stage(use_case).pk]
    # The later stages are the rows planned in the first round, not duplicates.
    assert ApprovalStage.objects.filter(use_case=use_case).count() == 5


def test_resubmitting_with_a_higher_tier_adds_the_stages_it_needs(requester, reviewer):
    use_case = decide(submitted(requester), reviewer, "request_changes", "人事判断に使うなら申告を")
    use_case = usecase_services.update_draft(use_case, requester, {"decides_about_people": True})
    use_case = usecase_services.submit(use_case, requester)
    assert use_case.effective_risk_tier == "high"
    pending = ApprovalStage.objects.filter(use_case=use_case, status=StageStatus.PENDING).select_related("definition")
    assert codes(pending) == ["it-review", "data-security-review", "legal-review", "executive-signoff"]
    assert services.active_stage(use_case).definition.code == "it-review"


def test_nobody_but_the_owner_edits_a_use_case_sent_back(requester, other_requester, reviewer, admin_user):
    use_case = decide(submitted(requester), reviewer, "request_changes", "直して")
    for user in (other_requester, reviewer, admin_user):
        with pytest.raises(PermissionDenied):
            usecase_services.update_draft(use_case, user, {"title": "横から"})
    assert UseCase.objects.get(pk=use_case.pk).title == use_case.title


# --- Blocking findings and exceptions --------------------------------------------------------------------


@pytest.fixture
def blocked(requester):
    """Confidential data meant for a SaaS feature: the matrix forbids it. Minimal risk: one stage."""
    return submitted(requester, data_classification="confidential", intended_style="closed_saas")


def grant(use_case, user, expires_on=None, rule_id=BLOCKED_RULE, subject=BLOCKED_SUBJECT, justification="検証目的"):
    return services.grant_exception(
        use_case, user, rule_id, subject, justification, expires_on if expires_on is not None else in_days(30)
    )


def test_a_blocking_finding_refuses_approval(blocked, reviewer):
    stage = services.active_stage(blocked)
    with pytest.raises(services.BlockingFindings) as caught:
        services.decide_stage(stage, reviewer, "approve")
    assert [(finding.rule_id, finding.subject) for finding in caught.value.findings] == [
        (BLOCKED_RULE, BLOCKED_SUBJECT)
    ]
    stage.refresh_from_db()
    assert (stage.status, stage.decided_by) == (StageStatus.PENDING, None)
    assert UseCase.objects.get(pk=blocked.pk).status == "submitted"
    assert not AuditEvent.objects.for_object(blocked).filter(action__in=["approve", "approve_stage"]).exists()
    # Rejecting or asking for changes is still possible.
    assert decide(blocked, reviewer, "request_changes", "SaaSは不可").status == "changes_requested"


@pytest.mark.parametrize("persona", ["executive", "admin"])
def test_an_exception_lets_the_approval_proceed(blocked, reviewer, executive, admin_user, persona):
    granter = {"executive": executive, "admin": admin_user}[persona]
    exception = grant(blocked, granter, expires_on=in_days(90))
    assert (exception.rule_id, exception.subject, exception.granted_by) == (BLOCKED_RULE, BLOCKED_SUBJECT, granter)
    assert exception.is_valid
    event = AuditEvent.objects.for_object(blocked).get(action="grant_exception")
    assert (event.actor, event.comment) == (granter, "検証目的")
    assert event.data == {"rule_id": BLOCKED_RULE, "subject": BLOCKED_SUBJECT, "expires_on": in_days(90).isoformat()}
    assert checks.open_blocking_findings(blocked) == []
    assert decide(blocked, reviewer, "approve").status == "approved"


@pytest.mark.parametrize("persona", ["reviewer", "requester", "other_requester"])
def test_only_executives_and_admins_grant_exceptions(blocked, reviewer, requester, other_requester, persona):
    user = {"reviewer": reviewer, "requester": requester, "other_requester": other_requester}[persona]
    with pytest.raises(PermissionDenied):
        grant(blocked, user)
    assert not PolicyException.objects.exists()
    assert not AuditEvent.objects.filter(action="grant_exception").exists()


def test_an_expired_exception_blocks_again(blocked, reviewer, executive):
    exception = grant(blocked, executive, expires_on=in_days(10))
    PolicyException.objects.filter(pk=exception.pk).update(expires_on=timezone.localdate())
    assert checks.open_blocking_findings(blocked) == []  # valid through its last day
    PolicyException.objects.filter(pk=exception.pk).update(expires_on=in_days(-1))
    stage = services.active_stage(blocked)
    with pytest.raises(services.BlockingFindings):
        services.decide_stage(stage, reviewer, "approve")
    stage.refresh_from_db()
    assert stage.status == StageStatus.PENDING
    assert UseCase.objects.get(pk=blocked.pk).status == "submitted"
    # A new exception unblocks it again.
    grant(blocked, executive, expires_on=in_days(5))
    assert decide(blocked, reviewer, "approve").status == "approved"


@pytest.mark.parametrize(
    "justification, expires_in, field",
    [
        ("", 30, "justification"),
        ("   ", 30, "justification"),
        ("理由", 0, "expires_on"),
        ("理由", -1, "expires_on"),
        ("理由", None, "expires_on"),
        ("理由", 366, "expires_on"),
    ],
)
def test_an_exception_needs_a_justification_and_an_expiry_within_a_year(
    blocked, executive, justification, expires_in, field
):
    expires_on = None if expires_in is None else in_days(expires_in)
    with pytest.raises(ValidationError) as caught:
        services.grant_exception(blocked, executive, BLOCKED_RULE, BLOCKED_SUBJECT, justification, expires_on)
    assert field in caught.value.message_dict
    assert not PolicyException.objects.exists()


def test_an_exception_may_last_exactly_a_year(blocked, executive):
    assert grant(blocked, executive, expires_on=in_days(365)).expires_on == in_days(365)


@pytest.mark.parametrize(
    "rule_id, subject",
    [
        ("usecase.no-model", ""),  # a finding, but not a blocking one
        ("classification.prohibited", "style:closed_api"),  # a blocking rule, another subject
        ("model.blocked", "model:1"),  # no such finding at all
        ("no.such-rule", ""),
    ],
)
def test_an_exception_is_only_for_an_existing_blocking_finding(blocked, executive, rule_id, subject):
    assert Finding.objects.filter(use_case=blocked, rule_id="usecase.no-model").exists()
    with pytest.raises(ValidationError) as caught:
        grant(blocked, executive, rule_id=rule_id, subject=subject)
    assert "rule_id" in caught.value.message_dict
    assert not PolicyException.objects.exists()


def test_an_exception_covers_only_its_own_finding(requester, reviewer, executive):
    # A prohibited practice blocks on its own as well as the matrix.
    use_case = submitted(
        requester, data_classification="confidential", intended_style="closed_saas", prohibited_practice=True
    )
    grant(use_case, executive)
    stage = services.active_stage(use_case)
    with pytest.raises(services.BlockingFindings) as caught:
        services.decide_stage(stage, reviewer, "approve")
    assert [finding.rule_id for finding in caught.value.findings] == ["risk.prohibited"]


def test_no_exception_on_a_closed_use_case(blocked, requester, executive):
    usecase_services.withdraw(blocked, requester)
    with pytest.raises(usecase_services.TransitionNotAllowed):
        grant(blocked, executive)
    assert not PolicyException.objects.exists()


# --- Risk-tier overrides ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reviewer", "admin"])
def test_a_reviewer_overrides_the_tier_with_a_justification(requester, reviewer, admin_user, persona):
    user = {"reviewer": reviewer, "admin": admin_user}[persona]
    use_case = submitted(requester)
    assert codes(stages_of(use_case)) == ["it-review"]
    it_review = services.active_stage(use_case)
    version = UseCase.objects.get(pk=use_case.pk).version

    updated = services.override_risk_tier(use_case, user, "high", "顧客の個人データを大量に扱う")
    assert (updated.risk_tier, updated.risk_tier_override, updated.effective_risk_tier) == ("minimal", "high", "high")
    assert updated.risk_tier_justification == "顧客の個人データを大量に扱う"
    assert updated.version == version + 1
    event = AuditEvent.objects.for_object(use_case).get(action="override_risk_tier")
    assert (event.actor, event.from_state, event.to_state, event.comment) == (
        user,
        "minimal",
        "high",
        "顧客の個人データを大量に扱う",
    )
    # Re-planned while in review: the stages of the high tier are added, IT review stays current.
    pending = ApprovalStage.objects.filter(use_case=use_case, status=StageStatus.PENDING).select_related("definition")
    assert codes(pending) == ["it-review", "data-security-review", "legal-review", "executive-signoff"]
    assert services.active_stage(use_case) == it_review
    plan = AuditEvent.objects.for_object(use_case).filter(action="plan_stages").latest("pk")
    assert (plan.actor, plan.data["risk_tier"]) == (user, "high")


def test_lowering_the_tier_in_review_cancels_the_stages_no_longer_needed(requester, reviewer):
    use_case = submitted(requester, decides_about_people=True)
    services.override_risk_tier(use_case, reviewer, "minimal", "採用判断には使わないと確認した")
    assert [(stage.definition.code, stage.status) for stage in stages_of(use_case)] == [
        ("it-review", "pending"),
        ("data-security-review", "cancelled"),
        ("legal-review", "cancelled"),
        ("executive-signoff", "cancelled"),
    ]
    use_case = decide(use_case, reviewer, "approve")
    assert use_case.status == "approved"
    assert use_case.next_review_on == in_days(365)  # the tier in force decides the cadence


def test_lowering_the_tier_never_leaves_a_use_case_in_review_with_nothing_to_decide(requester, reviewer):
    """IT review approved, data/security review running: lowering the tier to minimal must not
    cancel the running stage and leave no stage at all (nobody could approve or reject it)."""
    use_case = submitted(requester, customers_see_output=True, human_checks_output=True)
    use_case = decide(use_case, reviewer, "approve")
    assert services.active_stage(use_case).definition.code == "data-security-review"
    services.override_risk_tier(use_case, reviewer, "minimal", "顧客は出力を見ないと確認した")
    use_case = UseCase.objects.get(pk=use_case.pk)
    assert use_case.status == "in_review"
    stage = services.active_stage(use_case)
    assert stage is not None, "in review with no stage waiting: the use case is stuck"
    assert decide(use_case, reviewer, "approve").status == "approved"


def test_an_override_outside_review_plans_nothing_until_resubmission(requester, reviewer):
    use_case = decide(submitted(requester), reviewer, "request_changes", "確認")
    plans = AuditEvent.objects.for_object(use_case).filter(action="plan_stages").count()
    services.override_risk_tier(use_case, reviewer, "limited", "顧客が出力を見る")
    assert AuditEvent.objects.for_object(use_case).filter(action="plan_stages").count() == plans
    assert not ApprovalStage.objects.filter(use_case=use_case, definition__code="data-security-review").exists()
    use_case = usecase_services.submit(use_case, requester)
    assert use_case.effective_risk_tier == "limited"  # the override survives the re-derivation
    pending = ApprovalStage.objects.filter(use_case=use_case, status=StageStatus.PENDING).select_related("definition")
    assert codes(pending) == ["it-review", "data-security-review"]


@pytest.mark.parametrize("persona", ["requester", "other_requester", "executive"])
def test_only_reviewers_override_the_tier(requester, other_requester, executive, persona):
    user = {"requester": requester, "other_requester": other_requester, "executive": executive}[persona]
    use_case = submitted(requester)
    with pytest.raises(PermissionDenied):
        services.override_risk_tier(use_case, user, "minimal", "自分で下げたい")
    use_case.refresh_from_db()
    assert (use_case.risk_tier_override, use_case.effective_risk_tier) == ("", "minimal")
    assert not AuditEvent.objects.filter(action="override_risk_tier").exists()


@pytest.mark.parametrize(
    "tier, justification, field",
    [("high", "", "justification"), ("high", "   ", "justification"), ("catastrophic", "理由", "tier")],
)
def test_an_override_needs_a_valid_tier_and_a_justification(requester, reviewer, tier, justification, field):
    use_case = submitted(requester)
    with pytest.raises(ValidationError) as caught:
        services.override_risk_tier(use_case, reviewer, tier, justification)
    assert field in caught.value.message_dict
    use_case.refresh_from_db()
    assert use_case.risk_tier_override == ""
    assert not AuditEvent.objects.filter(action="override_risk_tier").exists()
    assert codes(stages_of(use_case)) == ["it-review"]


def test_an_override_through_the_api(requester, reviewer):
    use_case = submitted(requester)
    url = f"/api/v1/use-case-reviews/{use_case.reference}/override-risk-tier/"
    refused = api_client_for(requester).post(url, {"tier": "minimal", "justification": "x"}, format="json")
    assert refused.status_code == 403
    missing = api_client_for(reviewer).post(url, {"tier": "high", "justification": ""}, format="json")
    assert missing.status_code == 400 and "justification" in missing.json()
    response = api_client_for(reviewer).post(url, {"tier": "high", "justification": "重大"}, format="json")
    assert response.status_code == 200
    assert UseCase.objects.get(pk=use_case.pk).effective_risk_tier == "high"
    assert AuditEvent.objects.for_object(use_case).filter(action="override_risk_tier").count() == 1


# --- Optimistic edits ------------------------------------------------------------------------------------


def test_an_edit_based_on_an_old_version_is_refused(requester):
    use_case = UseCaseFactory(complete=True, owner=requester, title="元の題名")
    loaded = use_case.version
    usecase_services.update_draft(use_case, requester, {"title": "別タブで保存"}, expected_version=loaded)
    with pytest.raises(usecase_services.StaleUseCase) as caught:
        usecase_services.update_draft(use_case, requester, {"summary": "古い画面から"}, expected_version=loaded)
    assert caught.value.use_case.version == loaded + 1
    saved = UseCase.objects.get(pk=use_case.pk)
    assert (saved.title, saved.version) == ("別タブで保存", loaded + 1)
    assert saved.summary != "古い画面から"
    assert AuditEvent.objects.for_object(use_case).filter(action="update").count() == 1


def test_a_reviewers_decision_makes_the_owners_open_editor_stale(requester, reviewer):
    use_case = UseCaseFactory(complete=True, owner=requester)
    use_case = usecase_services.submit(use_case, requester)
    loaded = use_case.version
    use_case = decide(use_case, reviewer, "request_changes", "直して")
    assert use_case.version > loaded
    with pytest.raises(usecase_services.StaleUseCase):
        usecase_services.update_draft(use_case, requester, {"title": "古い版から"}, expected_version=loaded)
    usecase_services.update_draft(use_case, requester, {"title": "最新版から"}, expected_version=use_case.version)
    assert UseCase.objects.get(pk=use_case.pk).title == "最新版から"


def test_the_api_refuses_a_stale_version_with_409_and_accepts_the_current_one(requester):
    use_case = UseCaseFactory(complete=True, owner=requester, title="元の題名", monthly_requests=1000)
    client = api_client_for(requester)
    url = f"/api/v1/use-cases/{use_case.reference}/"
    loaded = client.get(url).json()["version"]
    assert loaded == use_case.version

    first = client.patch(url, {"title": "一人目", "version": loaded}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["version"] == loaded + 1

    stale = client.patch(url, {"title": "二人目", "version": loaded}, format="json")
    assert stale.status_code == 409
    assert stale.json()["detail"]
    assert UseCase.objects.get(pk=use_case.pk).title == "一人目"

    current = client.patch(url, {"title": "二人目", "monthly_requests": 5000, "version": loaded + 1}, format="json")
    assert current.status_code == 200, current.content
    assert (current.json()["title"], current.json()["version"]) == ("二人目", loaded + 2)

    events = list(AuditEvent.objects.for_object(use_case).filter(action="update").order_by("pk"))
    assert [event.changes for event in events] == [
        {"title": ["元の題名", "一人目"]},
        {"title": ["一人目", "二人目"], "monthly_requests": [1000, 5000]},
    ]
    assert all(event.actor == requester for event in events)
    assert all(event.actor_name == "requester (requester)" for event in events)
    assert events[-1].data == {"fields": ["title", "monthly_requests"]}


def test_the_actor_name_keeps_the_name_at_the_time(requester):
    requester.first_name, requester.last_name = "花子", "山田"
    requester.save()
    use_case = UseCaseFactory(complete=True, owner=requester)
    usecase_services.update_draft(use_case, requester, {"title": "改名前"})
    requester.first_name = "春子"
    requester.save()
    event = AuditEvent.objects.for_object(use_case).get(action="update")
    assert event.actor_name == f"花子 山田 ({requester.username})"


def test_nobody_grants_an_exception_or_overrides_the_tier_on_their_own_use_case(admin_user, client):
    """Four eyes: an admin's own blocked use case needs someone else's exception and tier
    override, through the service, the page and the API."""
    own_blocked = submitted(admin_user, data_classification="confidential", intended_style="closed_saas")
    with pytest.raises(PermissionDenied):
        grant(own_blocked, admin_user)
    assert not PolicyException.objects.exists()
    client.force_login(admin_user)
    assert client.get(reverse("governance:grant-exception", args=[own_blocked.reference])).status_code == 403
    page = client.get(reverse("usecases:detail", args=[own_blocked.reference]))
    assert page.status_code == 200 and b'id="grant-exception"' not in page.content

    own_case = own_blocked
    assert admin_user.has_perm("usecases.review_usecase")
    with pytest.raises(PermissionDenied):
        services.override_risk_tier(own_case, admin_user, "high", "自分で上げる")
    response = api_client_for(admin_user).post(
        f"/api/v1/use-case-reviews/{own_case.reference}/override-risk-tier/",
        {"tier": "high", "justification": "自分で上げる"},
        format="json",
    )
    assert response.status_code == 403
    own_case.refresh_from_db()
    assert own_case.risk_tier_override == ""
    assert not AuditEvent.objects.filter(action__in=["grant_exception", "override_risk_tier"]).exists()
    # Someone else may.
    assert grant(own_blocked, UserFactory(role=Role.GOVERNANCE_ADMIN)).granted_by != admin_user
