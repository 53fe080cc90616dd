"""What the vendor and AI-model imports share: a row is a registry record found by its natural
key (a vendor's name; a model's publisher, name and version), created or changed through the
vendor services, which validate the whole record, audit it and re-check dependent use cases."""

import copy

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries

from imports.cells import normal
from imports.choices import RowOutcome
from imports.kinds.base import Kind, RowPlan, validation_messages, yes_no
from portal.services import field_changes


class RegistryKind(Kind):
    model = None
    create_service = update_service = None

    def key_of(self, values):
        raise NotImplementedError

    def record_fields(self, plan, context, values):
        """{field: value} of the row, with lookups resolved (errors added to ``plan``)."""
        raise NotImplementedError

    def plan(self, context, number, texts):
        plan = RowPlan(row=number, key=" / ".join(texts.get(key, "").strip() for key in self.key_columns)[:200])
        values = self.read_cells(plan, texts, context)
        fields = self.record_fields(plan, context, values)
        if plan.errors:
            return plan
        key = self.key_of(values)
        first = context.seen.setdefault(key, number)
        if first != number:
            plan.error(self.key_columns[0], _("The same record is already on row %(row)s.") % {"row": first})
            return plan
        existing = context.existing.get(key)
        if existing is not None:  # found regardless of case and spacing: the stored spelling stays
            for name in self.key_columns:
                if isinstance(fields.get(name), str):
                    fields[name] = getattr(existing, name)
        # Empty cells of fields that cannot be empty: the default for a new record, unchanged otherwise.
        for name in list(fields):
            field = self.model._meta.get_field(name)
            if fields[name] in ("", None) and not field.blank:
                del fields[name]
        candidate = copy.copy(existing) if existing is not None else self.model()
        if existing is not None:
            candidate._state = copy.copy(existing._state)
        changes = field_changes(existing, fields) if existing is not None else fields
        for name, value in fields.items():
            if not self.model._meta.get_field(name).many_to_many:
                setattr(candidate, name, value)
        try:
            candidate.full_clean(validate_unique=False)
        except ValidationError as error:
            for name, message in validation_messages(error):
                plan.error(name if name in self._by_key() else self.key_columns[0], message)
            return plan
        if existing is None:
            plan.outcome = RowOutcome.CREATE
            plan.action = (self._create, (fields,))
        elif not changes:
            plan.outcome = RowOutcome.UNCHANGED
            plan.reason = _("Already holds these values.")
        else:
            plan.outcome = RowOutcome.UPDATE
            plan.action = (self._update, (existing, {name: fields[name] for name in changes}))
        return plan

    def _create(self, user, fields):
        return type(self).create_service(user, fields)

    def _update(self, user, instance, fields):
        return type(self).update_service(instance, user, fields)


def country_codes():
    """{normalised code or name in English or Japanese: code}."""
    found = {}
    for language in ("en", "ja"):
        with translation.override(language):
            for code, name in countries:
                found.setdefault(normal(name), code)
    for code, _name in countries:
        found[normal(code)] = code
    return found


def cell_value(column, value, labels):
    """A record's value as the template writes it (labels in the active language)."""
    if column.kind == "bool":
        return yes_no(value)
    if column.kind == "choice":
        return labels(column.choices).get(value, value) if value else ""
    if column.kind == "choices":
        return ", ".join(labels(column.choices).get(item, item) for item in value)
    if value is None:
        return ""
    return value
