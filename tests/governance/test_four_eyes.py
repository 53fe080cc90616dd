"""The four-eyes rule: whoever decided one stage of a use case may not decide another
kind of stage of it, where the rule is on (explicitly, or by default for high-risk cases)."""

import pytest
from django.urls import reverse
from django.utils import translation

from governance import services
from governance.choices import StageStatus
from governance.models import ApprovalStage, StageDefinition
from portal.exceptions import Forbidden
from tests.conftest import api_client_for
from tests.governance.reviewer_helpers import capture_events, colleague, current, high_risk, submitted
from usecases import services as usecase_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(monkeypatch):
    return capture_events(monkeypatch)


MESSAGE = "The four-eyes rule applies to"


def approve_it_review(use_case, reviewer):
    stage = current(use_case)
    assert stage.definition.code == "it-review"
    services.decide_stage(stage, reviewer, "approve")
    stage = current(use_case)
    assert stage.definition.code == "data-security-review"
    return stage


def test_high_risk_by_default_the_same_person_is_refused_a_second_stage(requester, reviewer):
    use_case = high_risk(requester)
    assert StageDefinition.objects.get(code="data-security-review").four_eyes is None
    stage = approve_it_review(use_case, reviewer)
    with translation.override("en"), pytest.raises(services.FourEyesViolation, match=MESSAGE) as refused:
        services.decide_stage(stage, reviewer, "approve")
    assert isinstance(refused.value, Forbidden) and refused.value.status_code == 403
    assert "“Data and security review”" in str(refused.value)
    stage.refresh_from_db()
    assert (stage.status, stage.decided_by) == (StageStatus.PENDING, None)
    # A colleague of the group decides it.
    other = colleague("security", "data-security-review")
    assert services.decide_stage(stage, other, "approve").status == StageStatus.APPROVED


def test_explicitly_on_applies_to_a_limited_use_case_too(requester, reviewer):
    StageDefinition.objects.filter(code="data-security-review").update(four_eyes=True)
    use_case = submitted(requester, audience="customer_facing")
    assert use_case.effective_risk_tier == "limited"
    stage = approve_it_review(use_case, reviewer)
    with pytest.raises(services.FourEyesViolation):
        services.decide_stage(stage, reviewer, "request_changes", "Please add a human check.")
    assert ApprovalStage.objects.get(pk=stage.pk).status == StageStatus.PENDING


def test_off_lets_one_person_decide_both_stages(requester, reviewer):
    StageDefinition.objects.filter(code="data-security-review").update(four_eyes=False)
    stage = approve_it_review(high_risk(requester), reviewer)
    assert services.decide_stage(stage, reviewer, "approve").status == StageStatus.APPROVED


def test_default_is_off_below_the_high_tier(requester, reviewer):
    use_case = submitted(requester, audience="customer_facing")
    stage = approve_it_review(use_case, reviewer)
    assert services.decide_stage(stage, reviewer, "approve").status == StageStatus.APPROVED


def test_the_same_kind_of_stage_in_a_later_round_is_not_another_stage(requester, reviewer):
    """Changes requested on IT review, resubmitted: the same reviewer decides IT review again."""
    StageDefinition.objects.update(four_eyes=True)
    use_case = high_risk(requester)
    services.decide_stage(current(use_case), reviewer, "request_changes", "Name the data source.")
    use_case.refresh_from_db()
    usecase_services.submit(use_case, requester)
    stage = current(use_case)
    assert stage.definition.code == "it-review"
    assert services.decide_stage(stage, reviewer, "approve").status == StageStatus.APPROVED


def test_page_and_api_refuse_with_the_message(client, requester, reviewer):
    use_case = high_risk(requester)
    stage = approve_it_review(use_case, reviewer)
    client.force_login(reviewer)
    page = client.get(use_case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    decision = dict(page.context["top_panels"])["governance/panels/decision.html"]
    assert decision["four_eyes"] and decision["decide_form"] is None
    assert 'id="four-eyes"' in page.content.decode()
    url = reverse("governance:decide", args=[use_case.reference, stage.pk])
    response = client.post(url, {"stage-decision": "approve"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert MESSAGE in response.content.decode()
    api = api_client_for(reviewer).post(
        f"/api/v1/approval-stages/{stage.pk}/decide/",
        {"decision": "approve"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert api.status_code == 403 and MESSAGE in api.json()["detail"]
    assert ApprovalStage.objects.get(pk=stage.pk).status == StageStatus.PENDING
