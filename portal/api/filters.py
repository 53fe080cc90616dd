"""Query filters that accept what the schema documents, and refuse the rest with a 400.

django-filter reads a filter's value with the matching Django form field, which is
lenient for people typing into a form: a boolean it does not recognise is ignored (so
``?valid=maybe`` lists everything), and dates may be written in several local formats.
Through the API the schema says ``true``/``false`` and ``YYYY-MM-DD``; this backend
holds the filters to that, so a mistyped filter is an error, not a silently wrong list.
"""

import re

from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.fields import BooleanField, DateField

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false``; given empty, it is neither."""

    default_error_messages = {"invalid": BooleanField.default_error_messages["invalid"]}

    widget = forms.TextInput  # django-filter's widgets turn what they do not know into "no filter"

    def to_python(self, value):
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        pass


class IsoDateField(forms.DateField):
    """A date as ``YYYY-MM-DD`` only (given empty, it is not a date)."""

    def to_python(self, value):
        if isinstance(value, str) and not ISO_DATE.fullmatch(value):
            message = DateField.default_error_messages["invalid"].format(format="YYYY-MM-DD")
            raise forms.ValidationError(message, code="invalid")
        return super().to_python(value)


def make_strict(form):
    """Swap the lenient fields of a filter form for the strict ones (in place)."""
    for name, field in list(form.fields.items()):
        if isinstance(field, forms.NullBooleanField) and not isinstance(field, StrictBooleanField):
            form.fields[name] = StrictBooleanField(required=False, label=field.label)
        elif isinstance(field, forms.DateField) and not isinstance(field, IsoDateField):
            strict = IsoDateField(required=field.required, label=field.label, input_formats=["%Y-%m-%d"])
            strict.validators = field.validators
            form.fields[name] = strict
    return form


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            make_strict(filterset.form)
        return filterset
