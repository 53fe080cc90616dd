"""Assigning an approval stage: to oneself or a colleague of the stage's group, audited,
announced to the assignee, refused for anyone else, and safe when two people act at once."""

import pytest
from django.urls import reverse

from governance import reviewers, services
from governance.choices import StageStatus
from governance.models import ApprovalStage
from portal.exceptions import Conflict, Forbidden
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.governance.reviewer_helpers import capture_events, colleague, current, submitted
from usecases.models import UseCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(monkeypatch):
    return capture_events(monkeypatch)


@pytest.fixture
def stage(requester):
    """The IT-review stage of a submitted use case (the reviewer's group)."""
    return current(submitted(requester))


@pytest.fixture
def it_colleague():
    return colleague("colleague", "it-review", first_name="花子", last_name="佐藤")


def events_of(stage, action):
    return list(AuditEvent.objects.filter(object_id=str(stage.use_case_id), action=action).order_by("id"))


def test_assign_to_me_is_audited_and_tells_nobody(stage, reviewer, captured):
    reviewers.assign_stage(stage, reviewer, reviewer)
    stage.refresh_from_db()
    assert stage.assigned_to == reviewer and stage.assigned_at is not None
    [event] = events_of(stage, "assign_stage")
    assert event.actor == reviewer
    assert event.data == {"stage": "it-review", "assignee": "reviewer"}
    assert event.changes["assigned_to"][0] == ""
    assert captured == []


def test_assign_to_a_colleague_publishes_stage_assigned_to_them(stage, reviewer, it_colleague, captured):
    reviewers.assign_stage(stage, it_colleague, reviewer)
    [event] = captured
    assert event.name == "stage.assigned"
    assert event.subject.pk == stage.pk
    assert event.recipients == (it_colleague.pk,)
    assert event.actor == reviewer
    assert event.key.startswith(f"stage.assigned:{stage.pk}:{it_colleague.pk}:")
    # Assigning the same person again changes nothing and says nothing.
    reviewers.assign_stage(stage, it_colleague, reviewer)
    assert len(captured) == 1 and len(events_of(stage, "assign_stage")) == 1


def test_only_active_members_of_the_group_can_be_assigned(stage, reviewer, legal_reviewer, requester, captured):
    inactive = colleague("inactive", "it-review", is_active=False)
    for person in (legal_reviewer, requester, inactive):
        with pytest.raises(reviewers.AssigneeNotAllowed) as refused:
            reviewers.assign_stage(stage, person, reviewer)
        assert refused.value.status_code == 400
    assert ApprovalStage.objects.get(pk=stage.pk).assigned_to is None
    assert events_of(stage, "assign_stage") == [] and captured == []


def test_the_owner_of_the_use_case_is_never_assigned(stage, reviewer):
    UseCase.objects.filter(pk=stage.use_case_id).update(owner=reviewer)
    stage = ApprovalStage.objects.select_related("use_case").get(pk=stage.pk)
    with pytest.raises(reviewers.AssigneeNotAllowed):
        reviewers.assign_stage(stage, reviewer, colleague("peer", "it-review"))


def test_outsiders_of_the_group_may_not_assign(stage, legal_reviewer, executive, reviewer):
    for person in (legal_reviewer, executive):
        with pytest.raises(Forbidden):
            reviewers.assign_stage(stage, reviewer, person)
        with pytest.raises(Forbidden):
            reviewers.unassign_stage(stage, person)


def test_a_decided_stage_cannot_be_assigned(stage, reviewer, it_colleague):
    services.decide_stage(stage, reviewer, "approve")
    with pytest.raises(Conflict):
        reviewers.assign_stage(stage, it_colleague, reviewer)


def test_unassign_gives_the_stage_back_to_the_group(stage, reviewer, it_colleague, captured):
    reviewers.assign_stage(stage, it_colleague, reviewer)
    reviewers.unassign_stage(stage, it_colleague)
    stage.refresh_from_db()
    assert (stage.assigned_to, stage.assigned_at) == (None, None)
    [event] = events_of(stage, "unassign_stage")
    assert event.actor == it_colleague and event.data["assignee"] == "colleague"
    reviewers.unassign_stage(stage, it_colleague)  # nothing to undo: no second event
    assert len(events_of(stage, "unassign_stage")) == 1


def test_assignment_through_the_pages(client, stage, reviewer, it_colleague, captured):
    client.force_login(reviewer)
    url = reverse("governance:stage-assign", args=[stage.pk])
    response = client.post(url, {"me": "1", "back": "queue"})
    assert response.status_code == 302 and response["Location"] == reverse("governance:queue")
    assert ApprovalStage.objects.get(pk=stage.pk).assigned_to == reviewer
    response = client.post(url, {"assignee": it_colleague.pk})
    assert response.status_code == 302 and response["Location"] == stage.use_case.get_absolute_url()
    assert ApprovalStage.objects.get(pk=stage.pk).assigned_to == it_colleague
    # A person outside the group is not a choice: a message, nothing changed.
    for bad in ("999999999", "x", "99999999999999999999999"):
        assert client.post(url, {"assignee": bad}).status_code == 302
    assert ApprovalStage.objects.get(pk=stage.pk).assigned_to == it_colleague
    client.post(reverse("governance:stage-unassign", args=[stage.pk]))
    assert ApprovalStage.objects.get(pk=stage.pk).assigned_to is None


def test_the_review_page_offers_assignment_to_members_only(client, stage, reviewer, legal_reviewer, it_colleague):
    client.force_login(reviewer)
    content = client.get(stage.use_case.get_absolute_url()).content.decode()
    assert 'id="assign-me"' in content and 'id="assign-colleague"' in content
    assert f'<option value="{it_colleague.pk}">' in content
    assert f'<option value="{stage.use_case.owner_id}">' not in content
    client.force_login(legal_reviewer)
    assert 'id="assign-me"' not in client.get(stage.use_case.get_absolute_url()).content.decode()


def test_assignment_through_the_api(stage, reviewer, it_colleague, legal_reviewer, captured):
    api = api_client_for(reviewer)
    url = f"/api/v1/approval-stages/{stage.pk}/assign/"
    response = api.post(url, {}, format="json")
    assert response.status_code == 200 and response.json()["assigned_to"]["username"] == "reviewer"
    response = api.post(url, {"assignee": it_colleague.pk}, format="json")
    assert response.status_code == 200 and response.json()["assigned_to"]["id"] == it_colleague.pk
    assert [event.name for event in captured] == ["stage.assigned"]
    response = api.post(url, {"assignee": legal_reviewer.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "nothing was changed" in response.json()["detail"]
    assert api.post(url, {"assignee": "me"}, format="json").status_code == 400
    assert api.post(url, {"who": 1}, format="json").status_code == 400
    assert api_client_for(legal_reviewer).post(url, {}, format="json").status_code == 403
    response = api.post(f"/api/v1/approval-stages/{stage.pk}/unassign/", format="json")
    assert response.status_code == 200 and response.json()["assigned_to"] is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_assigning_at_once_see_each_other(postgres, requester, reviewer, monkeypatch):
    """The row lock serialises assignments: the second sees the first's assignee as the one before."""
    from tests.governance.test_concurrency import run_together, slow_down

    stage = current(submitted(requester))
    first, second = colleague("first", "it-review"), colleague("second", "it-review")
    slow_down(monkeypatch, reviewers, "record_event")
    sinks = []
    monkeypatch.setattr(reviewers.events, "publish", lambda *args, **kwargs: sinks.append(args))
    outcomes = run_together(
        lambda: reviewers.assign_stage(stage, first, first),
        lambda: reviewers.assign_stage(stage, second, second),
    )
    assert [error for _result, error in outcomes] == [None, None]
    before = [event.changes["assigned_to"][0] for event in events_of(stage, "assign_stage")]
    assert before[0] == "" and before[1] in {"first (first)", "second (second)"}, before
    assert stage.status == StageStatus.PENDING
