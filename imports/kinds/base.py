"""What the kinds share: reading the header, checking a row's cells, the outcome of a row."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from imports.cells import CellError, ChoiceLabels, normal, read
from imports.choices import RowOutcome


@dataclass
class RowPlan:
    """What one row would do: its outcome, why (for a skip), its errors, and what to call."""

    row: int
    key: str
    outcome: str = RowOutcome.CREATE
    reason: str = ""
    errors: list = field(default_factory=list)
    action: tuple | None = None  # (function, args, kwargs), not stored

    def error(self, column, message):
        self.errors.append({"column": column, "message": str(message)})
        self.outcome = RowOutcome.ERROR

    def as_json(self):
        return {"row": self.row, "key": self.key, "outcome": self.outcome, "reason": self.reason, "errors": self.errors}


class Kind:
    """A kind of import. Subclasses set ``key``, ``columns``, ``key_column`` and implement
    ``prepare(user, rows)`` (look up once what the rows refer to), ``plan(context, number,
    values)`` and ``template_rows(user)``."""

    key = None
    columns = ()
    key_column = None
    file_name = "import"

    def column(self, key):
        return self._by_key()[key]

    def _by_key(self):
        return {column.key: column for column in self.columns}

    def header(self, language=None):
        return [column.header(language) for column in self.columns]

    def map_header(self, cells):
        """({cell index: column key}, [file errors]) of the header row."""
        names = {}
        for column in self.columns:
            for name in column.names():
                names[name] = column.key
        mapping, errors, seen = {}, [], {}
        for index, cell in enumerate(cells):
            text = normal(cell)
            if not text:
                continue
            key = names.get(text)
            if key is None:
                errors.append(
                    _("Column %(column)s, “%(header)s”, is not a column of this template.")
                    % {"column": column_letter(index), "header": cell.strip()[:60]}
                )
            elif key in seen:
                errors.append(
                    _("Column %(column)s repeats the column “%(header)s” (already column %(first)s).")
                    % {"column": column_letter(index), "header": cell.strip()[:60], "first": column_letter(seen[key])}
                )
            else:
                seen[key] = index
                mapping[index] = key
        for column in self.columns:
            if column.required and column.key not in seen:
                errors.append(_("The required column “%(header)s” is missing.") % {"header": column.header()})
        return mapping, errors

    def read_cells(self, plan, texts, context):
        """{column key: value} of a row's texts, each error added to ``plan`` at its column.
        Columns the file does not have are left out (an update leaves those fields alone)."""
        values = {}
        for column in self.columns:
            if column.key not in context.present:
                if column.required:
                    plan.error(column.key, _("Required: fill in “%(header)s”.") % {"header": column.header()})
                continue
            raw = texts.get(column.key, "")
            try:
                value = read(column, raw, context.labels)
            except CellError as error:
                plan.error(column.key, error)
                continue
            if column.required and value in (None, "", []):
                plan.error(column.key, _("Required: fill in “%(header)s”.") % {"header": column.header()})
                continue
            values[column.key] = value
        return values

    def new_labels(self):
        return ChoiceLabels()


def column_letter(index):
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def validation_messages(error):
    """[(field or "", message)] of a Django ValidationError."""
    if hasattr(error, "error_dict"):
        return [
            (name if name != "__all__" else "", message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [("", message) for message in error.messages]


def check_field(plan, model, name, column, value):
    """Run ``model``'s field validators (lengths, ranges, choices) on a non-empty value."""
    if value in (None, "", []):
        return
    try:
        model._meta.get_field(name).clean(value, None)
    except ValidationError as error:
        for message in error.messages:
            plan.error(column, message)


def yes_no(value):
    return _("yes") if value else _("no")


def in_language(language, function, *args):
    with translation.override(language):
        return function(*args)
