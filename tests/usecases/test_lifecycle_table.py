"""``manage.py lifecycle`` prints the assembled use-case lifecycle (this app's rows and the
governance review rows), one table per language, as checked in next to this file."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from usecases.services import ACTOR_LABELS, ACTOR_RULES, TRANSITIONS

HERE = Path(__file__).parent


def lifecycle(*args):
    out = io.StringIO()
    call_command("lifecycle", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_table_of_each_language_is_the_checked_in_one(language):
    expected = (HERE / f"lifecycle_table.{language}.txt").read_text(encoding="utf-8")
    assert lifecycle("--language", language) == expected


def test_without_a_language_every_language_is_printed_japanese_first():
    tables = [(HERE / f"lifecycle_table.{language}.txt").read_text(encoding="utf-8") for language in ("ja", "en")]
    assert lifecycle() == "\n".join(tables)


def test_the_table_holds_every_row_and_names_every_actor():
    lines = lifecycle("--language", "en").splitlines()
    assert len(lines) == 4 + len(TRANSITIONS)
    assert set(ACTOR_LABELS.keys()) == set(ACTOR_RULES.keys())


def test_an_unknown_language_is_refused():
    with pytest.raises(CommandError):
        lifecycle("--language", "fr")
