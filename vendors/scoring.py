"""Scoring of assessment answers: a pure function, so its rules are easy to test.

Each question contributes ``weight x points``; points are between 0 and 1:
- yes/no and single choice: the chosen option's ``points``;
- multiple choice: the sum of the chosen options' points, at most 1;
- text, number, date, file: 1 when answered (a file question needs a file).
The score is the percentage of the maximum (the sum of weights), to one decimal.
A knockout is an answer listed in the question's ``knockout_values``; ``""`` there
means that leaving the question empty is itself a knockout (e.g. "no commitment").
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from vendors.choices import AnswerType


@dataclass
class ScoreResult:
    score: Decimal
    points: dict = field(default_factory=dict)  # question id -> points (0..1)
    knockouts: list = field(default_factory=list)  # question ids


def is_empty(value):
    return value is None or value == "" or value == []


def answer_points(question, value, has_file=False):
    if question.answer_type == AnswerType.FILE:
        return 1.0 if has_file else 0.0
    if is_empty(value):
        return 0.0
    option_points = {option["value"]: float(option.get("points", 0)) for option in question.options}
    if question.answer_type in (AnswerType.YES_NO, AnswerType.SINGLE):
        return option_points.get(value, 0.0)
    if question.answer_type == AnswerType.MULTIPLE:
        return min(1.0, sum(option_points.get(choice, 0.0) for choice in set(value)))
    return 1.0


def is_knockout(question, value, has_file=False):
    knockouts = question.knockout_values or []
    if question.answer_type == AnswerType.FILE:
        return not has_file and "" in knockouts
    if is_empty(value):
        return "" in knockouts
    chosen = value if isinstance(value, list) else [value]
    return any(choice in knockouts for choice in chosen)


def score_answers(questions, values, files=frozenset()):
    """``values``: question id -> answer value; ``files``: ids of questions with evidence."""
    result = ScoreResult(score=Decimal("0.0"))
    total = earned = 0.0
    for question in questions:
        value = values.get(question.id)
        points = answer_points(question, value, question.id in files)
        result.points[question.id] = points
        total += question.weight
        earned += question.weight * points
        if is_knockout(question, value, question.id in files):
            result.knockouts.append(question.id)
    if total:
        result.score = Decimal(str(100 * earned / total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return result
