"""DRF's serializers, holding JSON input to the types the OpenAPI schema documents.

The API modules import this module in place of ``rest_framework.serializers``
(``from portal.api import strict as serializers``): everything is DRF's, except that

- ``Serializer`` and ``ModelSerializer`` refuse a JSON value of the wrong type with the
  field's usual message, where DRF would coerce it (``5`` for a text field, ``"5"`` or
  ``5.0`` for a number, ``"true"`` or ``1`` for a boolean, ``1e3`` or ``" 5"`` for a
  decimal). A client that follows the schema never notices; one that does not gets a
  400 naming the field instead of a guess. Multipart bodies (file uploads) are text by
  nature and are left to DRF's parsing;
- decimals are documented, and checked, as the plain numerals DRF writes (``-12.50``),
  without a sign where the field has a minimum of zero or more;
- a field the serializer does not know is refused with a 400 naming it (DRF drops it
  silently, so ``"style"`` for ``"intended_style"`` was saved as "no style"), and so is a
  read-only one (a client that sends it expects a change that would not happen);
- a choice refused lists the values allowed (``ChoiceField``, also what ``ModelSerializer``
  builds for a model field with choices);
- a read-only choice that may be blank is documented with the blank value;
- ``SlugRelatedField`` refuses text the database cannot compare (NUL characters) as a
  field error instead of failing in the query.
"""

import copy
import re
from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers as drf
from rest_framework.serializers import *  # noqa: F403 - this module stands in for rest_framework.serializers


def decimal_pattern(field):
    """The numerals ``field`` accepts, as an ECMA and Python regular expression."""
    places = field.decimal_places
    whole = field.max_whole_digits
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    fraction = "[0-9]+" if places is None else f"[0-9]{{1,{places}}}"
    options = []
    if whole is None or whole > 0:
        digits = "[0-9]+" if whole is None else f"[0-9]{{1,{whole}}}"
        options.append(digits if places == 0 else f"{digits}(?:\\.{fraction})?")
    else:
        options.append("0")
    if places != 0:
        options.append(f"0?\\.{fraction}" if whole == 0 else f"\\.{fraction}")
    return f"^{sign}(?:{'|'.join(options)})$"


def _not(expected, value):
    """Whether ``value`` is not of the JSON type ``expected`` (booleans are not numbers)."""
    if isinstance(value, bool):
        return expected is not bool
    return not isinstance(value, expected)


def _choice_type(field):
    kinds = {type(value) for value in field.choices}
    if kinds <= {str}:
        return str
    if kinds <= {int}:
        return int
    return None


def _failure(field, key, **kwargs):
    try:
        field.fail(key, **kwargs)
    except drf.ValidationError as error:
        return error.detail


def type_error(field, value):
    """DRF's message for ``value`` given to ``field`` in a JSON body with the wrong type, or None."""
    if value is None or field.read_only:
        return None
    if isinstance(field, drf.BooleanField):
        return _failure(field, "invalid") if _not(bool, value) else None
    if isinstance(field, drf.IntegerField):
        return _failure(field, "invalid") if _not(int, value) else None
    if isinstance(field, drf.FloatField):
        return _failure(field, "invalid") if _not((int, float), value) else None
    if isinstance(field, drf.DecimalField):
        if _not(str, value) or not re.fullmatch(decimal_pattern(field), value):
            return _failure(field, "invalid")
        return None
    if isinstance(field, drf.MultipleChoiceField):
        if _not(list, value):
            return _failure(field, "not_a_list", input_type=type(value).__name__)
        kind = _choice_type(field)
        for item in value:
            if kind is not None and _not(kind, item):
                return _failure(field, "invalid_choice", input=item)
        return None
    if isinstance(field, drf.ChoiceField):
        kind = _choice_type(field)
        return _failure(field, "invalid_choice", input=value) if kind is not None and _not(kind, value) else None
    if isinstance(field, drf.CharField):
        return _failure(field, "invalid") if _not(str, value) else None
    if isinstance(field, drf.ListField):
        if _not(list, value):
            return _failure(field, "not_a_list", input_type=type(value).__name__)
        errors = {index: type_error(field.child, item) for index, item in enumerate(value)}
        return {index: error for index, error in errors.items() if error} or None
    if isinstance(field, drf.DictField):
        return _failure(field, "not_a_dict", input_type=type(value).__name__) if _not(dict, value) else None
    if isinstance(field, drf.ManyRelatedField):
        if _not(list, value):
            return _failure(field, "not_a_list", input_type=type(value).__name__)
        for item in value:
            error = type_error(field.child_relation, item)
            if error:
                return error
        return None
    if isinstance(field, drf.PrimaryKeyRelatedField):
        if field.pk_field is not None:
            return type_error(field.pk_field, value)
        queryset = field.get_queryset() if field.queryset is not None else None
        integer = queryset is not None and isinstance(queryset.model._meta.pk, models.AutoField | models.IntegerField)
        return (
            _failure(field, "incorrect_type", data_type=type(value).__name__) if integer and _not(int, value) else None
        )
    if isinstance(field, drf.SlugRelatedField | drf.HyperlinkedRelatedField):
        return _failure(field, "invalid") if _not(str, value) else None
    return None


UNKNOWN_FIELD = _("Unknown field: this operation does not take it.")
READ_ONLY_FIELD = _("Read-only field: it cannot be set here.")


def _allowed(field):
    return ", ".join(str(value) for value in field.choices if value not in ("", None))


class ChoiceField(drf.ChoiceField):
    """DRF's choice, whose refusal lists the values allowed."""

    default_error_messages = {
        "invalid_choice": _('"{input}" is not a valid choice. Allowed: {allowed}.'),
    }

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            kwargs.setdefault("allowed", _allowed(self))
        super().fail(key, **kwargs)


class MultipleChoiceField(ChoiceField, drf.MultipleChoiceField):
    default_error_messages = {"invalid_choice": ChoiceField.default_error_messages["invalid_choice"]}


def unknown_fields(serializer, data):
    """Field errors for the keys of ``data`` that ``serializer`` does not write."""
    errors = {}
    for name in data:
        field = serializer.fields.get(name)
        if field is None or isinstance(field, drf.HiddenField):
            errors[name] = [UNKNOWN_FIELD]
        elif field.read_only:
            errors[name] = [READ_ONLY_FIELD]
    return errors


class StrictTypesMixin:
    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        unknown = unknown_fields(self, data)
        if isinstance(data, QueryDict):
            if unknown:
                self._raise_with_others(data, unknown)
            return super().to_internal_value(data)
        errors = dict(unknown)
        for field in self._writable_fields:
            if field.field_name in data:
                error = type_error(field, data[field.field_name])
                if error:
                    errors[field.field_name] = error if isinstance(error, dict | list) else [error]
        if not errors:
            return super().to_internal_value(data)
        self._raise_with_others(data, errors)

    def _raise_with_others(self, data, errors):
        # The other fields are still checked, so the answer lists every problem at once.
        if isinstance(data, QueryDict):
            # Not ``data.copy()``: that deep-copies the uploaded files.
            rest = QueryDict(mutable=True)
            for name, values in data.lists():
                if name not in errors:
                    rest.setlist(name, values)
        else:
            rest = {name: value for name, value in data.items() if name not in errors}
        try:
            super().to_internal_value(rest)
        except drf.ValidationError as error:
            if isinstance(error.detail, dict):
                errors = {**error.detail, **errors}
        raise drf.ValidationError(errors)


class Serializer(StrictTypesMixin, drf.Serializer):
    pass


# Fields of each model serializer class, built once (see ``ModelSerializer.get_fields``).
_FIELD_PROTOTYPES = {}


class ModelSerializer(StrictTypesMixin, drf.ModelSerializer):
    serializer_choice_field = ChoiceField

    def get_fields(self):
        # DRF derives a model serializer's fields from the model on every instantiation (a
        # fifth of a detail request). The result depends only on the class, so it is built once
        # and each instance gets copies, as DRF copies declared fields: copies, because binding
        # a field to its serializer changes it.
        prototypes = _FIELD_PROTOTYPES.get(type(self))
        if prototypes is None:
            prototypes = _FIELD_PROTOTYPES[type(self)] = super().get_fields()
        return copy.deepcopy(prototypes)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if "choices" in kwargs and model_field.blank and issubclass(field_class, drf.ChoiceField):
            kwargs["allow_blank"] = True
        return field_class, kwargs

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        # DRF drops ``allow_blank`` from read-only fields; a blank choice is still a value they show.
        blank = kwargs.get("allow_blank") and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank:
            kwargs.setdefault("allow_blank", True)
        return kwargs


class HyperlinkedModelSerializer(StrictTypesMixin, drf.HyperlinkedModelSerializer):
    pass


class SlugRelatedField(drf.SlugRelatedField):
    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            raise drf.ValidationError(ProhibitNullCharactersValidator.message)
        return super().to_internal_value(data)
