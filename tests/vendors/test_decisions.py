"""The reviewer's decision on a submitted assessment, and the vendor fields that follow.

approve / approve with conditions / reject; knockouts; wrong states; the audit trail
on the assessment and on the vendor page; the page form and the API action.
"""

import calendar
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from portal.choices import DataClassification
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import VendorFactory, send_assessment
from tests.vendors.helpers import post_data, question_where, submit_through_service, vendor_url
from vendors import assessments
from vendors.choices import AnswerType, AssessmentStatus, VendorAuditAction, VendorStatus
from vendors.models import Assessment, Vendor

pytestmark = pytest.mark.django_db


def months_later(day, months):
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), 1, datetime.date(2028, 2, 29)),
        (datetime.date(2028, 2, 29), 12, datetime.date(2029, 2, 28)),
        (datetime.date(2026, 11, 30), 3, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 5, 15), 12, datetime.date(2027, 5, 15)),
        (datetime.date(2026, 12, 1), 60, datetime.date(2031, 12, 1)),
    ],
)
def test_validity_is_counted_in_calendar_months(day, months, expected):
    assert months_later(day, months) == expected
    assert assessments.add_months(day, months) == expected


@pytest.fixture
def vendor():
    return VendorFactory(name="判定テストAI株式会社")


@pytest.fixture
def submitted(reviewer, vendor, media_root):
    assessment, _token = send_assessment(reviewer, vendor=vendor)
    return submit_through_service(assessment)


@pytest.fixture
def knocked_out(reviewer, vendor, media_root):
    assessment, _token = send_assessment(reviewer, vendor=vendor)
    question = question_where(assessment, lambda q: q.answer_type == AnswerType.SINGLE and q.knockout_values)
    result = submit_through_service(assessment, overrides={question.id: question.knockout_values[0]})
    assert result.knockout_count == 1
    return result


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def vendor_state(vendor):
    return (
        Vendor.objects.filter(pk=vendor.pk)
        .values("status", "approved_level", "next_reassessment_on", "conditions")
        .get()
    )


def assessment_state(assessment):
    return (
        Assessment.objects.filter(pk=assessment.pk)
        .values("status", "decided_by", "decided_at", "approved_level", "valid_until", "findings")
        .get()
    )


# --- Approve -----------------------------------------------------------------------------------------


def test_approve_sets_the_vendors_status_level_and_reassessment_date(submitted, reviewer, vendor):
    today = timezone.localdate()
    assessments.decide_assessment(
        submitted,
        reviewer,
        "approve",
        approved_level=DataClassification.CONFIDENTIAL,
        valid_months=12,
        findings="問題なし",
    )
    assessment = fresh(submitted)
    assert assessment.status == AssessmentStatus.APPROVED
    assert assessment.decided_by == reviewer and assessment.decided_at is not None
    assert assessment.approved_level == DataClassification.CONFIDENTIAL
    assert assessment.valid_until == months_later(today, 12)
    assert assessment.findings == "問題なし"
    vendor = fresh(vendor)
    assert vendor.status == VendorStatus.APPROVED
    assert vendor.approved_level == DataClassification.CONFIDENTIAL
    assert vendor.next_reassessment_on == months_later(today, 12)


@pytest.mark.parametrize("months", [1, 6, 24, 60])
def test_the_validity_period_decides_the_reassessment_date(submitted, reviewer, vendor, months):
    assessments.decide_assessment(submitted, reviewer, "approve", approved_level="internal", valid_months=months)
    assert fresh(vendor).next_reassessment_on == months_later(timezone.localdate(), months)


def test_the_default_validity_comes_from_the_settings(submitted, reviewer, vendor, settings):
    settings.ASSESSMENT_VALIDITY_MONTHS = 9
    assessments.decide_assessment(submitted, reviewer, "approve", approved_level="public")
    assert fresh(vendor).next_reassessment_on == months_later(timezone.localdate(), 9)


# --- Approve with conditions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("conditions", ["", "   \n "])
def test_approve_with_conditions_requires_conditions(submitted, reviewer, vendor, conditions):
    vendor_before, assessment_before = vendor_state(vendor), assessment_state(submitted)
    with pytest.raises(ValidationError) as error:
        assessments.decide_assessment(
            submitted, reviewer, "approve_with_conditions", approved_level="internal", conditions=conditions
        )
    assert "conditions" in error.value.message_dict
    assert vendor_state(vendor) == vendor_before
    assert assessment_state(submitted) == assessment_before
    assert fresh(submitted).status == AssessmentStatus.SUBMITTED


def test_approve_with_conditions_records_them_on_the_vendor(submitted, reviewer, vendor):
    assessments.decide_assessment(
        submitted,
        reviewer,
        "approve_with_conditions",
        approved_level=DataClassification.INTERNAL,
        valid_months=6,
        conditions="  ゼロデータリテンションを有効にすること。  ",
    )
    assert fresh(submitted).status == AssessmentStatus.APPROVED_WITH_CONDITIONS
    vendor = fresh(vendor)
    assert vendor.status == VendorStatus.APPROVED_WITH_CONDITIONS
    assert vendor.conditions == "ゼロデータリテンションを有効にすること。"
    assert vendor.approved_level == DataClassification.INTERNAL
    assert vendor.next_reassessment_on == months_later(timezone.localdate(), 6)


# --- Reject ---------------------------------------------------------------------------------------------------


def test_reject_clears_the_approved_level(reviewer, vendor, media_root):
    first, _token = send_assessment(reviewer, vendor=vendor)
    assessments.decide_assessment(submit_through_service(first), reviewer, "approve", approved_level="confidential")
    assert fresh(vendor).approved_level == "confidential"

    second, _token = send_assessment(reviewer, vendor=vendor)
    submit_through_service(second)
    assessments.decide_assessment(second, reviewer, "reject", findings="再評価で不備")
    second = fresh(second)
    assert second.status == AssessmentStatus.REJECTED
    assert (second.approved_level, second.valid_until) == ("", None)
    vendor = fresh(vendor)
    assert vendor.status == VendorStatus.REJECTED
    assert vendor.approved_level == ""
    assert vendor.next_reassessment_on is None


def test_reject_ignores_a_level_given_by_mistake(submitted, reviewer, vendor):
    assessments.decide_assessment(submitted, reviewer, "reject", approved_level="restricted", valid_months=12)
    assert fresh(submitted).approved_level == ""
    assert fresh(vendor).approved_level == ""


# --- Knockouts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["approve", "approve_with_conditions"])
def test_an_assessment_with_a_knockout_can_only_be_rejected(knocked_out, reviewer, vendor, decision):
    vendor_before, assessment_before = vendor_state(vendor), assessment_state(knocked_out)
    with pytest.raises(ValidationError) as error:
        assessments.decide_assessment(
            knocked_out, reviewer, decision, approved_level="internal", conditions="条件付きで", valid_months=12
        )
    assert "decision" in error.value.message_dict
    assert vendor_state(vendor) == vendor_before
    assert assessment_state(knocked_out) == assessment_before
    assessments.decide_assessment(knocked_out, reviewer, "reject")
    assert fresh(knocked_out).status == AssessmentStatus.REJECTED
    assert fresh(vendor).status == VendorStatus.REJECTED


# --- Wrong states and bad input ---------------------------------------------------------------------------------


def test_decide_is_refused_before_submission(reviewer, vendor, client):
    assessment, token = send_assessment(reviewer, vendor=vendor)
    with pytest.raises(assessments.AssessmentNotAllowed):
        assessments.decide_assessment(assessment, reviewer, "approve", approved_level="internal")
    client.post(vendor_url(token), post_data(assessment, files=False))  # now in progress
    assert fresh(assessment).status == AssessmentStatus.IN_PROGRESS
    with pytest.raises(assessments.AssessmentNotAllowed):
        assessments.decide_assessment(assessment, reviewer, "reject")
    assert fresh(assessment).decided_at is None
    assert fresh(vendor).status == VendorStatus.UNDER_ASSESSMENT


def test_decide_is_refused_on_a_revoked_assessment(submitted, reviewer, vendor):
    assessments.revoke_assessment(submitted, reviewer)
    with pytest.raises(assessments.AssessmentNotAllowed):
        assessments.decide_assessment(submitted, reviewer, "reject")
    assert fresh(vendor).status == VendorStatus.UNDER_ASSESSMENT


@pytest.mark.parametrize("second", ["approve", "reject", "approve_with_conditions"])
def test_decide_is_refused_twice(submitted, reviewer, vendor, second):
    assessments.decide_assessment(submitted, reviewer, "approve", approved_level="internal", findings="一回目")
    vendor_before, assessment_before = vendor_state(vendor), assessment_state(submitted)
    with pytest.raises(assessments.AssessmentNotAllowed):
        assessments.decide_assessment(
            submitted, reviewer, second, approved_level="restricted", conditions="後から", findings="二回目"
        )
    assert vendor_state(vendor) == vendor_before
    assert assessment_state(submitted) == assessment_before


@pytest.mark.parametrize(
    "decision, kwargs, field",
    [
        ("approve", {}, "approved_level"),
        ("approve", {"approved_level": "top-secret"}, "approved_level"),
        ("approve", {"approved_level": "internal", "valid_months": 61}, "valid_months"),
        ("approve", {"approved_level": "internal", "valid_months": -1}, "valid_months"),
        ("approve", {"approved_level": "internal", "valid_months": 0}, "valid_months"),
        ("approve_with_conditions", {"approved_level": "internal"}, "conditions"),
    ],
)
def test_bad_decisions_are_refused_with_a_message_per_field(submitted, reviewer, vendor, decision, kwargs, field):
    before = vendor_state(vendor), assessment_state(submitted)
    with pytest.raises(ValidationError) as error:
        assessments.decide_assessment(submitted, reviewer, decision, **kwargs)
    assert field in error.value.message_dict
    assert (vendor_state(vendor), assessment_state(submitted)) == before


@pytest.mark.parametrize("persona", ["requester", "executive", "outsider"])
def test_only_reviewers_decide(submitted, personas, persona):
    with pytest.raises(PermissionDenied):
        assessments.decide_assessment(submitted, personas[persona], "reject")
    assert fresh(submitted).status == AssessmentStatus.SUBMITTED


def test_an_internal_checklist_is_not_a_vendor_decision(reviewer, vendor, media_root):
    assessment, _token = send_assessment(reviewer, vendor=vendor, key="open-model-readiness")
    submit_through_service(assessment)
    with pytest.raises(ValidationError):
        assessments.decide_assessment(assessment, reviewer, "approve", approved_level="internal")
    assert fresh(vendor).status == VendorStatus.UNDER_ASSESSMENT


# --- Audit trail ----------------------------------------------------------------------------------------------


def events(obj):
    return list(AuditEvent.objects.for_object(obj).order_by("created_at", "id"))


def test_every_step_is_in_the_audit_trail(client, reviewer, vendor, media_root):
    assessment, token = send_assessment(reviewer, vendor=vendor)
    _assessment, token = assessments.reissue_link(assessment, reviewer)
    assert client.post(vendor_url(token), post_data(assessment)).status_code == 302
    assert client.post(vendor_url(token), post_data(assessment, files=False, button="submit")).status_code == 302
    assessments.decide_assessment(
        assessment, reviewer, "approve_with_conditions", approved_level="internal", conditions="ログを保存しない設定"
    )

    trail = events(assessment)
    assert [event.action for event in trail] == [
        VendorAuditAction.SEND_ASSESSMENT,
        VendorAuditAction.REISSUE_LINK,
        VendorAuditAction.VENDOR_SAVED,
        VendorAuditAction.VENDOR_SAVED,
        VendorAuditAction.VENDOR_SUBMITTED,
        VendorAuditAction.DECIDE_ASSESSMENT,
    ]
    assert all(event.created_at is not None for event in trail)
    by_action = {event.action: event for event in trail}
    assert by_action[VendorAuditAction.SEND_ASSESSMENT].actor == reviewer
    assert by_action[VendorAuditAction.REISSUE_LINK].actor == reviewer
    submitted_event = by_action[VendorAuditAction.VENDOR_SUBMITTED]
    assert submitted_event.actor is None  # the vendor has no account ...
    assert submitted_event.data["by"] == assessment.contact.email  # ... but who it was is kept
    assert (submitted_event.from_state, submitted_event.to_state) == ("in_progress", "submitted")
    decided = by_action[VendorAuditAction.DECIDE_ASSESSMENT]
    assert decided.actor == reviewer
    assert (decided.from_state, decided.to_state) == ("submitted", "approved_with_conditions")
    assert decided.data["approved_level"] == "internal"
    assert decided.data["score"] == str(fresh(assessment).score)

    # The vendor's own trail records how its status changed, by whom.
    vendor_decided = [event for event in events(vendor) if event.action == VendorAuditAction.DECIDE_ASSESSMENT]
    assert len(vendor_decided) == 1
    vendor_decided = vendor_decided[0]
    assert vendor_decided.actor == reviewer
    assert (vendor_decided.from_state, vendor_decided.to_state) == ("under_assessment", "approved_with_conditions")
    assert vendor_decided.comment == "ログを保存しない設定"


def test_revoking_is_in_the_audit_trail(submitted, reviewer):
    assessments.revoke_assessment(submitted, reviewer, comment="契約を見送り")
    event = events(submitted)[-1]
    assert event.action == VendorAuditAction.REVOKE_ASSESSMENT
    assert (event.actor, event.from_state, event.to_state, event.comment) == (
        reviewer,
        "submitted",
        "revoked",
        "契約を見送り",
    )


def _label(response, label):
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        return escape(str(label))


def test_the_steps_are_shown_on_the_vendor_page(client, reviewer, vendor, media_root):
    """Sent, submitted (by the vendor) and decided, each with who and when, on the vendor's page."""
    assessment, token = send_assessment(reviewer, vendor=vendor)
    assert client.post(vendor_url(token), post_data(assessment, button="submit")).status_code == 302
    assessments.decide_assessment(assessment, reviewer, "approve", approved_level="confidential")
    client.force_login(reviewer)
    response = client.get(vendor.get_absolute_url())
    assert response.status_code == 200
    history = response.content.decode().split('id="history"', 1)[1]
    for action in (
        VendorAuditAction.SEND_ASSESSMENT,
        VendorAuditAction.VENDOR_SUBMITTED,
        VendorAuditAction.DECIDE_ASSESSMENT,
    ):
        assert _label(response, action.label) in history, f"{action} is not on the vendor page"
    assert str(reviewer) in history
    assert timezone.localtime().strftime("%Y-%m-%d") in history
    # The vendor's new state is on the page too.
    assert _label(response, VendorStatus.APPROVED.label) in response.content.decode()
    assert _label(response, DataClassification.CONFIDENTIAL.label) in response.content.decode()


def test_the_steps_are_shown_on_the_assessment_page(client, submitted, reviewer):
    assessments.decide_assessment(submitted, reviewer, "reject", findings="データの保存場所が不明")
    client.force_login(reviewer)
    response = client.get(submitted.get_absolute_url())
    history = response.content.decode().split('id="history"', 1)[1]
    for action in (
        VendorAuditAction.SEND_ASSESSMENT,
        VendorAuditAction.VENDOR_SUBMITTED,
        VendorAuditAction.DECIDE_ASSESSMENT,
    ):
        assert _label(response, action.label) in history
    assert "データの保存場所が不明" in history
    assert submitted.contact.name in history  # the vendor's steps name the contact


# --- The decision form on the page ------------------------------------------------------------------------------


def test_deciding_through_the_page(client, submitted, reviewer, vendor):
    client.force_login(reviewer)
    url = reverse("vendors:assessment-decide", args=[submitted.reference])
    response = client.post(url, {"decision": "approve", "approved_level": "restricted", "valid_months": "24"})
    assert response.status_code == 302
    assert fresh(vendor).approved_level == "restricted"
    assert fresh(vendor).next_reassessment_on == months_later(timezone.localdate(), 24)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"decision": "approve", "valid_months": "12"}, "approved_level"),
        ({"decision": "approve_with_conditions", "approved_level": "internal", "valid_months": "12"}, "conditions"),
        ({"decision": "approve", "approved_level": "internal", "valid_months": "0"}, "valid_months"),
        ({"decision": "maybe", "approved_level": "internal", "valid_months": "12"}, "decision"),
    ],
)
def test_a_bad_decision_on_the_page_shows_the_errors(client, submitted, reviewer, vendor, data, field):
    client.force_login(reviewer)
    before = vendor_state(vendor), assessment_state(submitted)
    response = client.post(reverse("vendors:assessment-decide", args=[submitted.reference]), data)
    assert response.status_code == 400
    assert field in response.context["decision_form"].errors
    assert (vendor_state(vendor), assessment_state(submitted)) == before


def test_the_page_refuses_to_approve_a_knockout(client, knocked_out, reviewer, vendor):
    client.force_login(reviewer)
    before = vendor_state(vendor), assessment_state(knocked_out)
    response = client.post(
        reverse("vendors:assessment-decide", args=[knocked_out.reference]),
        {"decision": "approve", "approved_level": "internal", "valid_months": "12"},
    )
    assert response.status_code == 400
    assert "decision" in response.context["decision_form"].errors
    assert (vendor_state(vendor), assessment_state(knocked_out)) == before


def test_the_page_refuses_to_decide_twice(client, submitted, reviewer, vendor):
    client.force_login(reviewer)
    url = reverse("vendors:assessment-decide", args=[submitted.reference])
    assert client.post(url, {"decision": "reject", "valid_months": "12"}).status_code == 302
    before = vendor_state(vendor), assessment_state(submitted)
    response = client.post(url, {"decision": "approve", "approved_level": "internal", "valid_months": "12"})
    assert response.status_code in (302, 409)
    assert (vendor_state(vendor), assessment_state(submitted)) == before


# --- The API action ---------------------------------------------------------------------------------------------------


def decide_url(assessment):
    return f"/api/v1/assessments/{assessment.reference}/decide/"


def test_deciding_through_the_api(submitted, reviewer, vendor):
    response = api_client_for(reviewer).post(
        decide_url(submitted),
        {"decision": "approve_with_conditions", "approved_level": "internal", "valid_months": 6, "conditions": "条件A"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved_with_conditions"
    assert body["approved_level"] == "internal"
    assert body["valid_until"] == months_later(timezone.localdate(), 6).isoformat()
    vendor = fresh(vendor)
    assert (vendor.status, vendor.conditions) == (VendorStatus.APPROVED_WITH_CONDITIONS, "条件A")


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "approve"}, "approved_level"),
        ({"decision": "approve", "approved_level": "top-secret"}, "approved_level"),
        ({"decision": "approve", "approved_level": "internal", "valid_months": 0}, "valid_months"),
        ({"decision": "approve", "approved_level": "internal", "valid_months": 61}, "valid_months"),
        ({"decision": "approve", "approved_level": "internal", "valid_months": "soon"}, "valid_months"),
        ({"decision": "approve_with_conditions", "approved_level": "internal"}, "conditions"),
        ({"decision": "approve_with_conditions", "approved_level": "internal", "conditions": "  "}, "conditions"),
    ],
)
def test_the_api_refuses_bad_input_with_field_messages(submitted, reviewer, vendor, body, field):
    before = vendor_state(vendor), assessment_state(submitted)
    response = api_client_for(reviewer).post(decide_url(submitted), body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    assert errors[field] and all(isinstance(message, str) and message for message in errors[field])
    assert (vendor_state(vendor), assessment_state(submitted)) == before


def test_the_api_refuses_to_approve_a_knockout(knocked_out, reviewer, vendor):
    before = vendor_state(vendor), assessment_state(knocked_out)
    response = api_client_for(reviewer).post(
        decide_url(knocked_out), {"decision": "approve", "approved_level": "internal"}, format="json"
    )
    assert response.status_code == 400
    assert "decision" in response.json()
    assert (vendor_state(vendor), assessment_state(knocked_out)) == before


def test_the_api_answers_409_in_the_wrong_status(reviewer, vendor, media_root):
    sent, _token = send_assessment(reviewer, vendor=vendor)
    client = api_client_for(reviewer)
    response = client.post(decide_url(sent), {"decision": "reject"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"]
    assert fresh(sent).status == AssessmentStatus.SENT

    submit_through_service(sent)
    assert client.post(decide_url(sent), {"decision": "reject"}, format="json").status_code == 200
    before = vendor_state(vendor), assessment_state(sent)
    response = client.post(decide_url(sent), {"decision": "approve", "approved_level": "internal"}, format="json")
    assert response.status_code == 409
    assert (vendor_state(vendor), assessment_state(sent)) == before


def test_the_api_decide_refuses_readers(submitted, personas):
    for persona in ("requester", "executive", "outsider"):
        response = api_client_for(personas[persona]).post(decide_url(submitted), {"decision": "reject"}, format="json")
        assert response.status_code == 403
    assert api_client_for(None).post(decide_url(submitted), {"decision": "reject"}, format="json").status_code == 401
    assert fresh(submitted).status == AssessmentStatus.SUBMITTED
