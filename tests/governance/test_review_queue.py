"""The reviewer's queue (search, filters, sorting, constant cost) and the review page (the
decision panel first, blocking findings with how to resolve them)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance import reviewers
from governance.models import ApprovalStage
from governance.rules import RULES
from tests.conftest import api_client_for
from tests.factories import DepartmentFactory
from tests.governance.reviewer_helpers import colleague, current, submitted
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

QUEUE = "governance:queue"


@pytest.fixture
def queue(requester, other_requester, reviewer):
    """Three stages waiting for the reviewer's groups, in two departments and two tiers."""
    ads = submitted(requester, title="広告コピー生成")
    chat = submitted(other_requester, title="営業チャット", audience="customer_facing")
    late = submitted(requester, title="議事録要約")
    ApprovalStage.objects.filter(use_case=late).update(due_on=timezone.localdate() - datetime.timedelta(days=2))
    UseCase.objects.filter(pk=ads.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=3))
    reviewers.assign_stage(current(chat), reviewer, reviewer)
    return {"ads": ads, "chat": chat, "late": late}


def references(client, **query):
    response = client.get(reverse(QUEUE), query)
    assert response.status_code == 200
    return [stage.use_case.reference for stage in response.context["stages"]]


@pytest.fixture
def as_reviewer(client, reviewer):
    client.force_login(reviewer)
    return client


def test_the_queue_shows_the_columns(as_reviewer, queue):
    content = as_reviewer.get(reverse(QUEUE), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for heading in ("Requester", "Department", "Submitted on", "Risk tier", "SLA due", "Assigned to"):
        assert f"<th>{heading}</th>" in content
    assert "table-danger" in content and "overdue" in content


def test_search_by_reference_title_and_requester(as_reviewer, queue):
    ads, chat = queue["ads"], queue["chat"]
    assert references(as_reviewer, q=ads.reference) == [ads.reference]
    assert references(as_reviewer, q="チャット") == [chat.reference]
    assert references(as_reviewer, q="other") == [chat.reference]
    assert references(as_reviewer, q="nothing-like-this") == []


def test_each_filter(as_reviewer, queue, marketing, sales):
    ads, chat, late = queue["ads"], queue["chat"], queue["late"]
    assert sorted(references(as_reviewer, department=sales.pk)) == [chat.reference]
    assert sorted(references(as_reviewer, department=marketing.pk)) == sorted([ads.reference, late.reference])
    assert references(as_reviewer, risk_tier="limited") == [chat.reference]
    assert sorted(references(as_reviewer, risk_tier="minimal")) == sorted([ads.reference, late.reference])
    assert references(as_reviewer, assigned="me") == [chat.reference]
    assert sorted(references(as_reviewer, assigned="unassigned")) == sorted([ads.reference, late.reference])
    assert len(references(as_reviewer, assigned="anyone")) == 3
    assert references(as_reviewer, overdue="true") == [late.reference]
    assert late.reference not in references(as_reviewer, overdue="false")
    it_review = current(ads).group
    assert len(references(as_reviewer, group=it_review.pk)) == 3
    security = ApprovalStage.objects.filter(use_case=chat, definition__code="data-security-review").get().group
    assert references(as_reviewer, group=security.pk) == []


def test_sorting(as_reviewer, queue):
    ads, late = queue["ads"], queue["late"]
    assert references(as_reviewer, ordering="due")[0] == late.reference
    assert references(as_reviewer, ordering="-due")[-1] == late.reference
    assert references(as_reviewer, ordering="submitted")[0] == ads.reference
    assert references(as_reviewer, ordering="-submitted")[-1] == ads.reference
    assert references(as_reviewer, ordering="requester")[0] == queue["chat"].reference  # "other" < "requester"
    assert references(as_reviewer, ordering="-requester")[-1] == queue["chat"].reference
    by_reference = references(as_reviewer, ordering="reference")
    assert by_reference == sorted(by_reference)


@pytest.mark.parametrize(
    "query",
    [
        {"risk_tier": "enormous"},
        {"department": "x"},
        {"department": "99999999999999999999999"},
        {"group": "-1"},
        {"assigned": "them"},
        {"ordering": "password"},
        {"q": "x" * 300},
    ],
)
def test_a_bad_filter_is_a_form_error_not_a_500(as_reviewer, queue, query):
    response = as_reviewer.get(reverse(QUEUE), query)
    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert list(response.context["stages"]) == []


def test_the_queue_costs_the_same_for_5_and_40_stages(client, requester, reviewer):
    colleague("second", "it-review")
    for _ in range(5):
        submitted(requester)
    client.force_login(reviewer)
    client.get(reverse(QUEUE))  # warm the session and content types

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(QUEUE), {"ordering": "due"})
        assert response.status_code == 200
        return len(queries.captured_queries), len(response.context["stages"])

    small = count()
    for _ in range(35):
        submitted(requester)
    reviewers.assign_stage(ApprovalStage.objects.active().first(), reviewer, reviewer)
    large = count()
    assert (small[1], large[1]) == (5, 40)
    assert small[0] == large[0], (small, large)


def test_the_api_list_takes_the_same_filters(queue, reviewer):
    api = api_client_for(reviewer)
    rows = api.get("/api/v1/approval-stages/", {"mine": "true", "assigned": "me"}).json()["results"]
    assert [row["use_case"] for row in rows] == [queue["chat"].reference]
    assert rows[0]["assigned_to"]["username"] == "reviewer"
    rows = api.get("/api/v1/approval-stages/", {"mine": "true", "q": queue["late"].reference}).json()["results"]
    assert [row["use_case"] for row in rows] == [queue["late"].reference]
    assert api.get("/api/v1/approval-stages/", {"assigned": "them"}).status_code == 400


# --- The review page ---------------------------------------------------------------------------------


def test_the_decision_panel_comes_first_with_how_to_resolve(client, requester, reviewer):
    blocked = submitted(requester, data_classification="confidential", intended_style="closed_saas")
    client.force_login(reviewer)
    content = client.get(blocked.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    decide, findings = content.index('id="decide"'), content.index('id="governance"')
    assert content.index('id="skip-to-decide"') < decide < content.index('id="decide-form"') < findings
    assert decide < content.index("<dl")  # before the use case's facts
    rule = RULES["classification.prohibited"]
    panel = content[decide:findings]
    assert 'data-blocking-rule="classification.prohibited"' in panel
    assert str(rule.title) in panel and "How to resolve:" in panel and str(rule.resolve) in panel


def test_the_requester_sees_no_decision_panel(client, requester):
    use_case = submitted(requester)
    client.force_login(requester)
    content = client.get(use_case.get_absolute_url()).content.decode()
    assert 'id="decide"' not in content and 'id="skip-to-decide"' not in content


def test_every_rule_says_how_to_resolve_it():
    assert all(str(rule.resolve).strip() for rule in RULES.values())


def test_the_department_filter_offers_every_department(as_reviewer, queue):
    DepartmentFactory(code="hr", name="人事部", name_en="HR")
    choices = as_reviewer.get(reverse(QUEUE)).context["filter"].form.fields["department"].queryset
    assert "hr" in {department.code for department in choices}
