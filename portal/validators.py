"""Validators of user text shared by every app (forms and API alike, through the model field).

A title must show something: zero-width spaces, format characters, or blanks of any
script are not a title. A one-line field (a title) must not carry line breaks or other
control characters: they end up in e-mail subjects and CSV cells.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Letters, numbers, punctuation and symbols are visible; separators (Z*), control, format,
# private-use and unassigned code points (C*) and lone combining marks (M*) are not.
_INVISIBLE_CATEGORIES = ("C", "Z", "M")
# Letters (Lo) or symbols (So) that render as blanks.
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Line and paragraph separators and control characters (CR, LF, TAB, NUL, ESC, ...).
_LINE_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


def visible_text(value):
    """The characters of ``value`` that show on a page."""
    return "".join(
        char
        for char in str(value)
        if not unicodedata.category(char).startswith(_INVISIBLE_CATEGORIES) and char not in _BLANK_CHARACTERS
    )


@deconstructible
class VisibleTextValidator:
    """Refuses text with nothing visible in it (only spaces, zero-width or format characters)."""

    message = _("Enter some visible text; spaces and invisible characters alone are not enough.")
    code = "invisible"

    def __call__(self, value):
        if not visible_text(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, VisibleTextValidator)


@deconstructible
class SingleLineValidator:
    """Refuses line breaks and other control characters in a one-line field."""

    message = _("Use a single line: line breaks and control characters are not allowed.")
    code = "multiline"

    def __call__(self, value):
        if any(unicodedata.category(char) in _LINE_BREAKING_CATEGORIES for char in str(value)):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, SingleLineValidator)


validate_visible_text = VisibleTextValidator()
validate_single_line = SingleLineValidator()
# A title, name or other one-line label.
LABEL_VALIDATORS = [validate_single_line, validate_visible_text]
