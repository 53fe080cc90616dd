"""Turning the text of one cell into a value, or into the message that says why it cannot be one.

Each column of a template is a ``Column``: its key, its English and Japanese headers (either is
accepted), whether it is required, and how its text is read. Choices are accepted as their code,
their English label or their Japanese label (case and surrounding spaces ignored).

Formula-looking text (starting with ``=``, ``+``, ``-`` or ``@``) is **refused**, not stored: a
cell a spreadsheet would run as a formula is a mistake or an attack either way. To import such
text on purpose, start the cell with an apostrophe (``'=ok``), as the portal's exports write it:
the apostrophe is dropped and the rest kept as text. Numbers (``-5``) are numbers, not formulas.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@")
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "はい", "○", "◯", "有", "あり"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "いいえ", "×", "無", "なし", ""})
SEPARATORS = re.compile(r"[,、;；\n]")


class CellError(ValueError):
    """The cell's text cannot be read as the column's value; ``str()`` says why."""


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    ja: str
    kind: str = "text"  # text, int, decimal, bool, choice, choices, date, lookup
    required: bool = False
    choices: type | None = None  # a TextChoices class for choice/choices
    max_length: int | None = None
    aliases: tuple = field(default=())

    def header(self, language=None):
        language = language or translation.get_language() or "ja"
        return self.ja if language.startswith("ja") else self.en

    def names(self):
        """The header texts that name this column, normalised."""
        return {normal(self.en), normal(self.ja), normal(self.key), *(normal(alias) for alias in self.aliases)}


def normal(text):
    return " ".join(str(text).split()).casefold()


class ChoiceLabels:
    """{normalised code or label: code} of a TextChoices class in both languages; built once per import."""

    def __init__(self):
        self._maps = {}

    def lookup(self, choices):
        found = self._maps.get(choices)
        if found is None:
            found = {}
            for language in ("en", "ja"):
                with translation.override(language):
                    for value, label in choices.choices:
                        found.setdefault(normal(label), value)
            for value in choices.values:
                found[normal(value)] = value
            self._maps[choices] = found
        return found

    def allowed(self, choices):
        return ", ".join(f"{label} ({value})" for value, label in choices.choices)


def text_of(raw):
    """The cell's text with a formula refused and an apostrophe escape undone."""
    text = raw.strip()
    if text.startswith("'") and text[1:2] in FORMULA_STARTS:
        return text[1:]
    if text.startswith(FORMULA_STARTS):
        raise CellError(
            _(
                "“%(text)s” looks like a spreadsheet formula and is refused; "
                "start the cell with an apostrophe (') to import it as text."
            )
            % {"text": text[:40]}
        )
    return text


def _number_text(raw):
    return raw.strip().replace(",", "").replace("，", "").replace(" ", "")


def read(column, raw, labels):
    """The value of ``raw`` (a cell's text) for ``column``; "" or None when empty."""
    if column.kind in ("int", "decimal"):
        text = _number_text(raw)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation as error:
            raise CellError(_("“%(text)s” is not a number.") % {"text": raw.strip()[:40]}) from error
        if not number.is_finite():
            raise CellError(_("“%(text)s” is not a number.") % {"text": raw.strip()[:40]})
        if column.kind == "int":
            if number != number.to_integral_value():
                raise CellError(_("“%(text)s” is not a whole number.") % {"text": raw.strip()[:40]})
            if abs(number) > 10**15:
                raise CellError(_("“%(text)s” is too large.") % {"text": raw.strip()[:40]})
            return int(number)
        return number
    text = text_of(raw)
    if column.kind == "text":
        if column.max_length and len(text) > column.max_length:
            raise CellError(
                _("The text is %(length)s characters long; at most %(max)s are accepted.")
                % {"length": len(text), "max": column.max_length}
            )
        return text
    if column.kind == "bool":
        word = normal(text)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(_("“%(text)s” is not yes or no; write yes/no (はい/いいえ).") % {"text": text[:40]})
    if column.kind == "date":
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text[:10].replace("/", "-"))
        except ValueError as error:
            raise CellError(_("“%(text)s” is not a date (YYYY-MM-DD).") % {"text": text[:40]}) from error
    if column.kind == "choice":
        if not text:
            return ""
        return _choice(column, text, labels)
    if column.kind == "choices":
        return [_choice(column, part.strip(), labels) for part in SEPARATORS.split(text) if part.strip()]
    return text  # lookup: resolved by the kind against records loaded once


def _choice(column, text, labels):
    value = labels.lookup(column.choices).get(normal(text))
    if value is None:
        raise CellError(
            _("“%(text)s” is not one of the allowed values: %(allowed)s.")
            % {"text": text[:60], "allowed": labels.allowed(column.choices)}
        )
    return value
