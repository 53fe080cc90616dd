"""Filters that reject ids the database could not even compare (never a 500).

A choice filter on a model turns ``?department=<id>`` into a query. An id beyond the
64-bit range makes SQLite raise OverflowError and PostgreSQL "out of range" before
Django's own validation can answer; these fields refuse such ids as invalid choices.
"""

import django_filters
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters import fields

MAX_ID = 2**63 - 1


def check_id(field, value):
    if value in field.empty_values:
        return
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID):
        raise ValidationError(field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class IdChoiceField(fields.ModelChoiceField):
    def to_python(self, value):
        check_id(self, value)
        return super().to_python(value)


class IdMultipleChoiceField(fields.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value if isinstance(value, list | tuple | set | frozenset) else [value]:
            try:
                check_id(self, item)
            except ValidationError as error:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                ) from error
        return super()._check_values(value)


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = IdChoiceField


class IdMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = IdMultipleChoiceField


class LocalizedOrderingFilter(django_filters.OrderingFilter):
    """Sort choices labelled in the reader's language.

    django-filter makes a label from the parameter name when none is given ("Created at",
    never translated) and formats "%s (descending)" once at import, in the start-up
    language. Here every field needs a lazy label, and the descending label is composed
    lazily too, so the whole menu is translated when the page is rendered.
    """

    descending_label = _("{} (descending)")

    def build_choices(self, fields, labels):
        missing = [field for field in fields if field not in labels]
        if missing:
            raise ImproperlyConfigured(f"Sort fields without a label: {', '.join(missing)}")
        choices = []
        for field, param in fields.items():
            choices.append((param, labels[field]))
            choices.append((f"-{param}", labels.get(f"-{param}", format_lazy(self.descending_label, labels[field]))))
        return choices
