"""One window for every date a person or client may enter.

Django and DRF accept any year from 1 to 9999, so a slip of the keyboard (year 0202, 20266)
became a reminder due in the year 9999 or a "since" filter from the year 1. Every date and
datetime input field (forms, the admin, filters, serializers) gets this validator from
``PortalConfig.ready()``, so a new field is bounded without anyone remembering it.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import fields as drf_fields
from rest_framework.exceptions import ValidationError as ApiValidationError

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2200, 12, 31)


MESSAGE = _("Enter a date between %(earliest)s and %(latest)s.")
WINDOW = {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}


def validate_date_in_range(value):
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(MESSAGE, code="date_out_of_range", params=WINDOW)


BOUNDED_FIELDS = (
    forms.DateField,
    forms.DateTimeField,
    forms.SplitDateTimeField,
    drf_fields.DateField,
    drf_fields.DateTimeField,
)


def _bounded_to_internal_value(to_internal_value):
    def wrapper(self, value):
        # DRF converts a datetime at the ends of Python's range (year 1, 9999) to UTC before
        # any validator runs, and the conversion raises OverflowError: a 500, not a 400.
        try:
            return to_internal_value(self, value)
        except OverflowError:
            raise ApiValidationError([MESSAGE % WINDOW], code="date_out_of_range") from None

    wrapper.bounded = True
    return wrapper


def bound_date_inputs():
    """Add the validator to the default validators of every date input field class (idempotent)."""
    for field_class in BOUNDED_FIELDS:
        if validate_date_in_range not in field_class.default_validators:
            field_class.default_validators = [*field_class.default_validators, validate_date_in_range]
    if not getattr(drf_fields.DateTimeField.to_internal_value, "bounded", False):
        drf_fields.DateTimeField.to_internal_value = _bounded_to_internal_value(
            drf_fields.DateTimeField.to_internal_value
        )
