"""Query filters that accept what the schema documents, and refuse the rest with a 400.

django-filter reads a filter's value with the matching Django form field, which is
lenient for people typing into a form: a boolean it does not recognise is ignored (so
``?valid=maybe`` lists everything), and dates may be written in several local formats.
Through the API the schema says ``true``/``false`` and ``YYYY-MM-DD``; this backend
holds the filters to that, so a mistyped filter is an error, not a silently wrong list.
The same goes for ``ordering``: given empty, or naming a field that cannot order the
list, it is a 400 naming the parameter (DRF and django-filter fall back to the default
order without a word).
"""

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.fields import BooleanField, CharField, DateField
from rest_framework.filters import OrderingFilter

BLANK = CharField.default_error_messages["blank"]

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


INVALID_CHOICE = _('"%(value)s" is not a valid choice. Allowed: %(allowed)s.')


def list_allowed_choices(field):
    """A refused choice names the values allowed (model choices are ids: not listed)."""
    allowed = [str(value) for value, _label in field.choices if value != ""]
    # Filled in the request's language now; the form fills %(value)s in when it refuses one.
    field.error_messages["invalid_choice"] = INVALID_CHOICE % {"value": "%(value)s", "allowed": ", ".join(allowed)}


def make_strict(form):
    """Swap the lenient fields of a filter form for the strict ones (in place)."""
    for name, field in list(form.fields.items()):
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            list_allowed_choices(field)
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
            for name, filter_ in filterset.filters.items():
                # An empty ordering is "no filter" to django-filter; the API refuses it.
                if isinstance(filter_, django_filters.OrderingFilter) and _blank(request.query_params, name):
                    raise ValidationError({name: [BLANK]})
        return filterset


def _blank(query, name):
    return name in query and not query.get(name).strip()


class StrictOrderingFilter(OrderingFilter):
    """DRF's ``ordering``, refusing an empty value or a field it cannot order by (listing those it can)."""

    unknown = _("Cannot order by %(fields)s. Allowed: %(allowed)s (a leading - reverses the order).")

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is not None:
            if not raw.strip():
                raise ValidationError({self.ordering_param: [BLANK]})
            allowed = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
            # Exactly what the schema's pattern allows: no blanks around the names.
            terms = raw.split(",")
            wrong = [term for term in terms if term.removeprefix("-") not in allowed]
            if wrong:
                message = self.unknown % {"fields": ", ".join(wrong), "allowed": ", ".join(allowed)}
                raise ValidationError({self.ordering_param: [message]})
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        for parameter in parameters:
            if isinstance(fields, list | tuple) and all(isinstance(field, str) for field in fields):
                names = "|".join(re.escape(field) for field in fields)
                parameter["schema"]["pattern"] = f"^-?(?:{names})(?:,-?(?:{names}))*$"
            else:
                parameter["schema"]["pattern"] = r"^-?\w+(?:,-?\w+)*$"
        return parameters
