"""Scoring of assessment answers (vendors/scoring.py), table-driven.

Questions are lightweight stand-ins: scoring reads only id, answer_type, options,
weight and knockout_values, so no database row is needed for the rules themselves.
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from vendors.scoring import answer_points, is_knockout, score_answers

pytestmark = pytest.mark.django_db

YES_NO = [{"value": "yes", "points": 1.0}, {"value": "no", "points": 0.0}]
TRAINING = [
    {"value": "never", "points": 1.0},
    {"value": "opt_in", "points": 0.8},
    {"value": "opt_out", "points": 0.3},
    {"value": "no_opt_out", "points": 0.0},
]
CERTIFICATIONS = [
    {"value": "iso27001", "points": 0.35},
    {"value": "iso27701", "points": 0.15},
    {"value": "soc2", "points": 0.35},
    {"value": "ismap", "points": 0.3},
    {"value": "other", "points": 0.1},
]


def question(answer_type, *, id=1, options=(), weight=3, knockout_values=()):  # noqa: A002 - the model's name
    return SimpleNamespace(
        id=id, answer_type=answer_type, options=list(options), weight=weight, knockout_values=list(knockout_values)
    )


# --- answer_points ---------------------------------------------------------------------

POINTS = [
    # (label, question, value, has_file, expected points)
    ("yes", question("yes_no", options=YES_NO), "yes", False, 1.0),
    ("no", question("yes_no", options=YES_NO), "no", False, 0.0),
    ("yes/no unanswered", question("yes_no", options=YES_NO), None, False, 0.0),
    ("yes/no not an option", question("yes_no", options=YES_NO), "maybe", False, 0.0),
    (
        "inverted yes/no",
        question("yes_no", options=[{"value": "yes", "points": 0.5}, {"value": "no", "points": 1}]),
        "no",
        False,
        1.0,
    ),
    ("single best", question("single", options=TRAINING), "never", False, 1.0),
    ("single partial", question("single", options=TRAINING), "opt_in", False, 0.8),
    ("single worst", question("single", options=TRAINING), "no_opt_out", False, 0.0),
    ("single empty string", question("single", options=TRAINING), "", False, 0.0),
    ("option without points", question("single", options=[{"value": "a"}]), "a", False, 0.0),
    ("multiple one", question("multiple", options=CERTIFICATIONS), ["iso27001"], False, 0.35),
    ("multiple summed", question("multiple", options=CERTIFICATIONS), ["iso27001", "iso27701"], False, 0.5),
    (
        "multiple capped at 1",
        question("multiple", options=CERTIFICATIONS),
        ["iso27001", "soc2", "ismap", "other"],
        False,
        1.0,
    ),
    ("multiple exactly 1", question("multiple", options=CERTIFICATIONS), ["iso27001", "soc2", "ismap"], False, 1.0),
    ("multiple none chosen", question("multiple", options=CERTIFICATIONS), [], False, 0.0),
    ("multiple unknown choice", question("multiple", options=CERTIFICATIONS), ["bogus"], False, 0.0),
    # Choosing the same option several times must not add its points several times.
    (
        "multiple repeated choice counts once",
        question("multiple", options=CERTIFICATIONS),
        ["iso27001", "iso27001", "iso27001"],
        False,
        0.35,
    ),
    ("text answered", question("text"), "当社の方針です。", False, 1.0),
    ("text empty", question("text"), "", False, 0.0),
    ("text unanswered", question("text"), None, False, 0.0),
    ("number answered", question("number"), "24", False, 1.0),
    ("number zero is an answer", question("number"), "0", False, 1.0),
    ("number empty", question("number"), None, False, 0.0),
    ("date answered", question("date"), "2025-10-01", False, 1.0),
    ("date empty", question("date"), "", False, 0.0),
    ("file with evidence", question("file"), None, True, 1.0),
    ("file without evidence", question("file"), None, False, 0.0),
    ("file: a value is no evidence", question("file"), "evidence.pdf", False, 0.0),
]


@pytest.mark.parametrize("q, value, has_file, expected", [row[1:] for row in POINTS], ids=[row[0] for row in POINTS])
def test_answer_points(q, value, has_file, expected):
    assert answer_points(q, value, has_file) == pytest.approx(expected)


def test_points_stay_between_zero_and_one_for_every_choice_combination():
    from itertools import combinations

    q = question("multiple", options=CERTIFICATIONS)
    values = [option["value"] for option in CERTIFICATIONS]
    for size in range(len(values) + 1):
        for chosen in combinations(values, size):
            assert 0.0 <= answer_points(q, list(chosen)) <= 1.0


# --- is_knockout ---------------------------------------------------------------------------

KNOCKOUTS = [
    # (label, question, value, expected)
    ("knockout value chosen", question("single", options=TRAINING, knockout_values=["no_opt_out"]), "no_opt_out", True),
    ("other value", question("single", options=TRAINING, knockout_values=["no_opt_out"]), "opt_out", False),
    (
        "unanswered, no empty knockout",
        question("single", options=TRAINING, knockout_values=["no_opt_out"]),
        None,
        False,
    ),
    ("yes/no knockout on no", question("yes_no", options=YES_NO, knockout_values=["no"]), "no", True),
    ("yes/no knockout, yes", question("yes_no", options=YES_NO, knockout_values=["no"]), "yes", False),
    (
        "multiple containing the knockout",
        question("multiple", options=CERTIFICATIONS, knockout_values=["other"]),
        ["iso27001", "other"],
        True,
    ),
    (
        "multiple without the knockout",
        question("multiple", options=CERTIFICATIONS, knockout_values=["other"]),
        ["iso27001"],
        False,
    ),
    ("empty knockout, None", question("number", knockout_values=[""]), None, True),
    ("empty knockout, empty string", question("number", knockout_values=[""]), "", True),
    ("empty knockout, empty list", question("multiple", options=CERTIFICATIONS, knockout_values=[""]), [], True),
    ("empty knockout, answered", question("number", knockout_values=[""]), "24", False),
    ("empty knockout, zero answered", question("number", knockout_values=[""]), "0", False),
    ("no knockout values", question("yes_no", options=YES_NO), "no", False),
    (
        "knockout values None",
        SimpleNamespace(id=1, answer_type="yes_no", options=YES_NO, weight=3, knockout_values=None),
        "no",
        False,
    ),
    ("no knockouts, unanswered", question("text"), None, False),
]


@pytest.mark.parametrize("q, value, expected", [row[1:] for row in KNOCKOUTS], ids=[row[0] for row in KNOCKOUTS])
def test_is_knockout(q, value, expected):
    assert is_knockout(q, value) is expected


# --- score_answers ------------------------------------------------------------------------------

yes5 = question("yes_no", id=1, options=YES_NO, weight=5)
yes3 = question("yes_no", id=2, options=YES_NO, weight=3)
text2 = question("text", id=3, weight=2)
single4 = question("single", id=4, options=TRAINING, weight=4, knockout_values=["no_opt_out"])
number0_empty_ko = question("number", id=5, weight=0, knockout_values=[""])
file1 = question("file", id=6, weight=1)
one = [question("yes_no", id=i, options=YES_NO, weight=1) for i in (11, 12, 13)]
tenth = question("single", id=21, options=[{"value": "a", "points": 0.1}, {"value": "b", "points": 0}], weight=5)

SCORES = [
    # (label, questions, values, files, score, knockout ids)
    ("all full marks", [yes5, yes3, text2], {1: "yes", 2: "yes", 3: "x"}, set(), "100.0", []),
    ("nothing answered", [yes5, yes3, text2], {}, set(), "0.0", []),
    ("weights: 5 of 8", [yes5, yes3], {1: "yes", 2: "no"}, set(), "62.5", []),
    ("weights: 3 of 8", [yes5, yes3], {1: "no", 2: "yes"}, set(), "37.5", []),
    ("partial points are weighted", [yes5, single4], {1: "yes", 4: "opt_in"}, set(), "91.1", []),  # (5+3.2)/9
    ("two thirds rounds to 66.7", one, {11: "yes", 12: "yes", 13: "no"}, set(), "66.7", []),
    ("one third rounds to 33.3", one, {11: "yes"}, set(), "33.3", []),
    ("half up: 6.25 -> 6.3", [tenth, yes3], {21: "a", 2: "no"}, set(), "6.3", []),
    ("knockout flagged, score still computed", [yes5, single4], {1: "yes", 4: "no_opt_out"}, set(), "55.6", [4]),
    ("weight 0 does not count but can knock out", [yes5, number0_empty_ko], {1: "yes"}, set(), "100.0", [5]),
    ("weight 0 answered", [yes5, number0_empty_ko], {1: "no", 5: "12"}, set(), "0.0", []),
    ("zero total weight", [number0_empty_ko], {}, set(), "0.0", [5]),
    ("no questions at all", [], {}, set(), "0.0", []),
    ("file with evidence", [yes3, file1], {2: "yes"}, {6}, "100.0", []),
    ("file without evidence", [yes3, file1], {2: "yes"}, set(), "75.0", []),
    ("answers to unknown questions are ignored", [yes3], {2: "yes", 99: "no"}, {98}, "100.0", []),
]


@pytest.mark.parametrize(
    "questions, values, files, score, knockouts", [row[1:] for row in SCORES], ids=[row[0] for row in SCORES]
)
def test_score_answers(questions, values, files, score, knockouts):
    result = score_answers(questions, values, files)
    assert isinstance(result.score, Decimal)
    assert str(result.score) == score  # a percentage with exactly one decimal
    assert result.knockouts == knockouts
    assert set(result.points) == {q.id for q in questions}


def test_points_are_reported_per_question():
    result = score_answers([yes5, single4, text2, file1], {1: "yes", 4: "opt_out", 3: ""}, {6})
    assert result.points == pytest.approx({1: 1.0, 4: 0.3, 3: 0.0, 6: 1.0})


def test_knockouts_are_listed_in_question_order():
    ko_a = question("yes_no", id=30, options=YES_NO, knockout_values=["no"])
    ko_b = question("yes_no", id=31, options=YES_NO, knockout_values=["no"])
    ko_c = question("text", id=32, knockout_values=[""])
    result = score_answers([ko_b, ko_c, ko_a], {30: "no", 31: "no"})
    assert result.knockouts == [31, 32, 30]


def test_a_file_question_answered_with_evidence_is_not_an_empty_knockout():
    """``""`` in knockout_values means "left empty"; a file question is answered by its file."""
    evidence = question("file", id=40, weight=3, knockout_values=[""])
    answered = score_answers([evidence], {}, {40})
    assert answered.points[40] == 1.0
    assert answered.knockouts == []
    missing = score_answers([evidence], {}, set())
    assert missing.knockouts == [40]


def test_scoring_is_the_same_for_the_seeded_questions():
    """The real seeded rows work with the pure functions (options and knockouts as stored)."""
    from tests.factories import published_version
    from tests.vendors.helpers import answer_for, questions_of_version

    questions = questions_of_version(published_version())
    values = {q.id: answer_for(q) for q in questions}
    files = {q.id for q in questions if q.answer_type == "file"}
    result = score_answers(questions, values, files)
    assert result.score == Decimal("100.0")
    assert result.knockouts == []
    empty = score_answers(questions, {}, set())
    assert empty.score == Decimal("0.0")
    # Only the questions whose empty answer is itself a knockout fail when nothing is answered.
    assert empty.knockouts == [q.id for q in questions if "" in q.knockout_values]
    assert empty.knockouts, "the seed has a question where no commitment is a knockout"
