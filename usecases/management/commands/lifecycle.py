"""Print the use-case lifecycle as assembled at start-up: this app's rows and those other
apps add (governance: the review decisions), so the whole table can be read in one place."""

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _

from usecases.choices import UseCaseAction, UseCaseStatus
from usecases.services import ACTOR_LABELS, TRANSITIONS

STATUS_ORDER = {status: index for index, status in enumerate(UseCaseStatus)}
ACTION_ORDER = {action: index for index, action in enumerate(UseCaseAction)}


def rows():
    """(state, action, next state, who) in the order of the states, then of the actions."""
    ordered = sorted(TRANSITIONS.items(), key=lambda row: (STATUS_ORDER[row[0][0]], ACTION_ORDER[row[0][1]]))
    return [
        (
            UseCaseStatus(state).label,
            UseCaseAction(action).label,
            UseCaseStatus(to_state).label,
            ACTOR_LABELS.get(who, who),
        )
        for (state, action), (to_state, who) in ordered
    ]


def width(text):
    """Columns ``text`` takes in a terminal: Japanese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text, columns):
    return text + " " * (columns - width(text))


def table(language):
    with translation.override(language):
        header = (_("Status"), _("Action"), _("Next status"), _("Who"))
        body = [tuple(str(cell) for cell in row) for row in rows()]
        title = _("Use-case lifecycle")
    widths = [max(width(row[column]) for row in (header, *body)) for column in range(len(header))]
    lines = [f"{title} ({language})", ""]
    lines.append(" | ".join(pad(cell, widths[column]) for column, cell in enumerate(header)).rstrip())
    lines.append("-+-".join("-" * columns for columns in widths))
    lines += [" | ".join(pad(cell, widths[column]) for column, cell in enumerate(row)).rstrip() for row in body]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the use-case lifecycle table (state, action, next state, who), one table per language."

    def add_arguments(self, parser):
        codes = [code for code, _name in settings.LANGUAGES]
        parser.add_argument("--language", choices=codes, help="Only this language (default: every language).")

    def handle(self, *args, **options):
        languages = [options["language"]] if options["language"] else [code for code, _name in settings.LANGUAGES]
        self.stdout.write("\n".join(table(language) for language in languages), ending="")
