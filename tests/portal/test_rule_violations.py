"""Service refusals share one hierarchy, and the API's exception handler turns each into the
answer the views used to write by hand."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework import exceptions

from governance import services as governance_services
from portal.api.exceptions import exception_handler
from portal.exceptions import Conflict, Invalid, NotFound, RuleViolation
from usecases import roadmap_services
from usecases import services as usecase_services
from vendors import assessments as vendor_assessments
from vendors import questionnaires as vendor_questionnaires


@pytest.mark.parametrize(
    ("error_class", "base"),
    [
        (usecase_services.StaleUseCase, Conflict),
        (usecase_services.TransitionNotAllowed, Conflict),
        (roadmap_services.StepChanged, Conflict),
        (usecase_services.IncompleteUseCase, Invalid),
        (roadmap_services.GateNotMet, Invalid),
        (vendor_assessments.AssessmentNotAllowed, Conflict),
        (vendor_questionnaires.TemplateLocked, Conflict),
        (vendor_assessments.InvalidLink, NotFound),
        (vendor_assessments.IncompleteAssessment, Invalid),
        (governance_services.StageConflict, Conflict),
        (governance_services.BlockingFindings, Invalid),
    ],
)
def test_every_service_refusal_is_a_rule_violation_with_its_status(error_class, base):
    assert issubclass(error_class, base)
    assert issubclass(error_class, RuleViolation)


class _View:
    plain_errors_as_detail = False


class _VendorView:
    plain_errors_as_detail = True


def test_a_conflict_answers_409_with_its_message():
    response = exception_handler(governance_services.StageConflict("Decided meanwhile."), {"view": _View()})
    assert (response.status_code, response.data) == (409, {"detail": "Decided meanwhile."})


def test_django_validation_errors_answer_400_with_their_messages():
    by_field = exception_handler(ValidationError({"name": ["Required."]}), {"view": _View()})
    assert (by_field.status_code, by_field.data) == (400, {"name": ["Required."]})
    plain = exception_handler(ValidationError("Nope."), {"view": _View()})
    assert (plain.status_code, plain.data) == (400, ["Nope."])
    vendor = exception_handler(ValidationError("Nope."), {"view": _VendorView()})
    assert (vendor.status_code, vendor.data) == (400, {"detail": ["Nope."]})


def test_django_permission_denied_answers_403_with_the_standard_message():
    response = exception_handler(PermissionDenied("internal reason"), {"view": _View()})
    assert response.status_code == 403
    assert response.data == {"detail": str(exceptions.PermissionDenied.default_detail)}
