"""Two people acting on the same use case at the same moment, on PostgreSQL.

Each thread has its own database connection (Django's are per thread) and closes it at
the end. A short pause inside the locked section widens the window in which a missing
lock would let both requests through, so these tests fail if the row locks go away.
"""

import threading
import time

import pytest
from django.db import connection

from governance import services
from governance.choices import StageStatus
from governance.models import ApprovalStage
from portal.models import AuditEvent
from portal.roles import Role
from tests.conftest import _join, api_client_for
from tests.factories import UseCaseFactory, UserFactory
from usecases import services as usecase_services
from usecases.models import UseCase

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAUSE = 0.3
DECISION_ACTIONS = ["approve_stage", "approve", "reject", "request_changes"]


def run_together(*calls):
    """Start ``calls`` in threads released at the same moment; return ``(result, error)`` per call."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = (call(), None)
        except Exception as error:  # noqa: BLE001 - returned to the test
            outcomes[index] = (None, error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


def slow_down(monkeypatch, module, name):
    """Pause inside ``module.name`` (called while the row locks are held)."""
    original = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(PAUSE)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


@pytest.fixture
def second_reviewer(it_department):
    user = UserFactory(username="reviewer2", department=it_department, role=Role.REVIEWER)
    return _join(user, "it-review", "data-security-review")


@pytest.fixture
def in_review(requester):
    """A limited-risk use case, submitted: IT review waiting, data/security review after it."""
    use_case = UseCaseFactory(complete=True, owner=requester, customers_see_output=True, human_checks_output=True)
    return usecase_services.submit(use_case, requester)


def decision_events(use_case):
    return list(AuditEvent.objects.for_object(use_case).filter(action__in=DECISION_ACTIONS))


@pytest.mark.parametrize(
    "decisions",
    [("approve", "approve"), ("approve", "reject"), ("request_changes", "approve")],
    ids=["both-approve", "approve-vs-reject", "changes-vs-approve"],
)
def test_two_deciders_at_once_record_one_decision(
    postgres, monkeypatch, in_review, reviewer, second_reviewer, decisions
):
    slow_down(monkeypatch, services, "open_blocking_findings")
    slow_down(monkeypatch, services.usecase_services, "apply_transition")
    stage = services.active_stage(in_review)
    users = [reviewer, second_reviewer]
    outcomes = run_together(
        *[
            (lambda user=user, decision=decision: services.decide_stage(stage, user, decision, "同時の判断"))
            for user, decision in zip(users, decisions, strict=True)
        ]
    )
    winners = [index for index, (result, error) in enumerate(outcomes) if error is None]
    losers = [error for _result, error in outcomes if error is not None]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], services.StageConflict), outcomes
    winner, decision = users[winners[0]], decisions[winners[0]]

    stage.refresh_from_db()
    assert (stage.decided_by, stage.decision) == (winner, decision)
    expected_status = {"approve": "in_review", "reject": "rejected", "request_changes": "changes_requested"}
    assert UseCase.objects.get(pk=in_review.pk).status == expected_status[decision]
    events = decision_events(in_review)
    assert [(event.actor, event.data["decision"]) for event in events] == [(winner, decision)]
    # One decision also means one next stage at most, started once.
    pending = {"approve": 1, "reject": 0, "request_changes": 1}[decision]  # a rejection cancels the rest
    assert ApprovalStage.objects.filter(use_case=in_review, status=StageStatus.PENDING).count() == pending
    assert ApprovalStage.objects.filter(use_case=in_review, started_at__isnull=False).count() == (
        2 if decision == "approve" else 1
    )


def test_two_deciders_at_once_through_the_api_get_200_and_409(
    postgres, monkeypatch, in_review, reviewer, second_reviewer
):
    slow_down(monkeypatch, services, "open_blocking_findings")
    stage = services.active_stage(in_review)
    url = f"/api/v1/approval-stages/{stage.pk}/decide/"

    def post(user):
        return api_client_for(user).post(url, {"decision": "approve", "comment": "同時"}, format="json")

    outcomes = run_together(lambda: post(reviewer), lambda: post(second_reviewer))
    assert [error for _response, error in outcomes] == [None, None]
    responses = [response for response, _error in outcomes]
    assert sorted(response.status_code for response in responses) == [200, 409], [r.content for r in responses]
    ok = next(response for response in responses if response.status_code == 200)
    conflict = next(response for response in responses if response.status_code == 409)
    assert ok.json()["status"] == "approved"
    assert conflict.json()["detail"]
    stage.refresh_from_db()
    assert stage.status == StageStatus.APPROVED
    assert stage.decided_by.username == ok.json()["decided_by"]["username"]
    assert len(decision_events(in_review)) == 1
    assert UseCase.objects.get(pk=in_review.pk).status == "in_review"


def test_two_submits_of_the_same_draft_at_once_submit_it_once(postgres, monkeypatch, requester, reviewer):
    slow_down(monkeypatch, usecase_services, "_require_complete")
    draft = UseCaseFactory(complete=True, owner=requester)
    outcomes = run_together(
        lambda: usecase_services.submit(draft, requester), lambda: usecase_services.submit(draft, requester)
    )
    errors = [error for _result, error in outcomes if error is not None]
    assert len(errors) == 1 and isinstance(errors[0], usecase_services.TransitionNotAllowed), outcomes
    use_case = UseCase.objects.get(pk=draft.pk)
    assert use_case.status == "submitted"
    assert use_case.version == draft.version + 1
    events = AuditEvent.objects.for_object(use_case)
    assert events.filter(action="submit").count() == 1
    assert events.filter(action="plan_stages").count() == 1
    assert list(ApprovalStage.objects.filter(use_case=use_case).values_list("definition__code", flat=True)) == [
        "it-review"
    ]


def test_two_submits_through_the_api_get_200_and_409(postgres, monkeypatch, requester, reviewer):
    slow_down(monkeypatch, usecase_services, "_require_complete")
    draft = UseCaseFactory(complete=True, owner=requester)
    url = f"/api/v1/use-cases/{draft.reference}/submit/"
    outcomes = run_together(lambda: api_client_for(requester).post(url), lambda: api_client_for(requester).post(url))
    assert [error for _response, error in outcomes] == [None, None]
    assert sorted(response.status_code for response, _error in outcomes) == [200, 409]
    assert AuditEvent.objects.for_object(draft).filter(action="submit").count() == 1
    assert ApprovalStage.objects.filter(use_case=draft).count() == 1


def test_a_withdrawal_and_an_approval_at_once_cannot_both_win(postgres, monkeypatch, requester, reviewer):
    """Minimal risk, one stage: approving it approves the use case, which can then no longer be
    withdrawn; withdrawing first cancels the stage, which can then no longer be approved."""
    slow_down(monkeypatch, services, "open_blocking_findings")
    slow_down(monkeypatch, usecase_services, "apply_transition")
    use_case = usecase_services.submit(UseCaseFactory(complete=True, owner=requester), requester)
    stage = services.active_stage(use_case)
    (_approved, approve_error), (_withdrawn, withdraw_error) = run_together(
        lambda: services.decide_stage(stage, reviewer, "approve"),
        lambda: usecase_services.withdraw(use_case, requester, comment="同時に取り下げ"),
    )
    use_case.refresh_from_db()
    stage.refresh_from_db()
    if approve_error is None:
        assert isinstance(withdraw_error, usecase_services.TransitionNotAllowed), withdraw_error
        assert (use_case.status, stage.status) == ("approved", StageStatus.APPROVED)
    else:
        assert withdraw_error is None, withdraw_error
        assert isinstance(approve_error, services.StageConflict), approve_error
        assert (use_case.status, stage.status, stage.decided_by) == ("withdrawn", StageStatus.CANCELLED, None)
    actions = set(AuditEvent.objects.for_object(use_case).values_list("action", flat=True))
    assert len(actions & {"approve", "withdraw"}) == 1
