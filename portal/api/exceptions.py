"""The one translation of errors into API answers (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

Views call services and let their errors propagate:
- a ``RuleViolation`` answers with its ``status_code`` and ``{"detail": message}``, or with the
  body an API module registered for that exception in ``RULE_VIOLATION_BODIES`` (e.g. the
  unmet gate items, which need that app's serializers);
- Django's ``ValidationError`` answers 400 with its messages per field; messages tied to no
  field come as a list, or as ``{"detail": [...]}`` on views that set
  ``plain_errors_as_detail = True``;
- Django's ``PermissionDenied`` answers 403 with DRF's standard message;
- everything else is DRF's default handling.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework import views as drf_views
from rest_framework.response import Response

from portal.exceptions import RuleViolation
from portal.middleware import roll_back_request
from portal.registry import Registry

RULE_VIOLATION_BODIES = Registry(
    "API bodies of rule violations",
    "Exception class -> function(error) returning the JSON body; the nearest base class applies.",
)


def rule_violation_body(error):
    for cls in type(error).__mro__:
        build = RULE_VIOLATION_BODIES.get(cls)
        if build is not None:
            return build(error)
    return {"detail": str(error)}


def _validation_detail(error, view):
    if hasattr(error, "error_dict"):
        return error.message_dict
    if getattr(view, "plain_errors_as_detail", False):
        return {"detail": error.messages}
    return error.messages


def exception_handler(error, context):
    if isinstance(error, RuleViolation):
        # A refusal is an answer, not a failure: like the views that returned it before, it
        # leaves the request's transaction alone (the service rolled back its own work).
        return Response(rule_violation_body(error), status=error.status_code)
    if isinstance(error, DjangoValidationError):
        error = exceptions.ValidationError(_validation_detail(error, context.get("view")))
    elif isinstance(error, DjangoPermissionDenied):
        error = exceptions.PermissionDenied()
    response = drf_views.exception_handler(error, context)
    if response is not None:
        # What DRF does under ATOMIC_REQUESTS: an error answered here undoes the request's writes.
        roll_back_request(context.get("request"))
    return response
