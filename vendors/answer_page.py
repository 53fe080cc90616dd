"""The vendor's questionnaire page as the template needs it: questions grouped by section,
what is answered so far, and each missing answer linked to its own field."""

from vendors import scoring
from vendors.choices import CHOICE_TYPES, AnswerType


def field_id(question, evidence=False):
    """The id of the first input of a question (where a link to it should land)."""
    if evidence or question.answer_type == AnswerType.FILE:
        return f"f-{question.id}"
    if question.answer_type in CHOICE_TYPES and question.options:
        return f"q-{question.id}-{question.options[0]['value']}"
    return f"q-{question.id}"


def is_answered(question, value, files):
    if question.answer_type == AnswerType.FILE:
        return bool(files)
    return not scoring.is_empty(value)


def build(questions, answers, errors=None, gaps=()):
    """Sections with their items, the progress and the missing answers as links.

    ``answers`` maps a question id to ``(value, comment[, files])`` (saved or as just posted)."""
    errors = errors or {}
    gap_ids = {gap.question_id for gap in gaps}
    by_id = {question.id: question for question in questions}
    sections = []
    for question in questions:
        if not sections or sections[-1]["section"].pk != question.section_id:
            sections.append({"section": question.section, "anchor": f"section-{question.section_id}", "items": []})
        saved = answers.get(question.id, (None, "", []))
        value, comment = saved[0], saved[1]
        files = saved[2] if len(saved) > 2 else []
        chosen = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        sections[-1]["items"].append(
            {
                "question": question,
                "value": "" if value is None or isinstance(value, list) else value,
                "chosen": [str(item) for item in chosen],
                "comment": comment,
                "files": files,
                "errors": errors.get(question.id, []),
                "missing": question.id in gap_ids,
                "answered": is_answered(question, value, files),
            }
        )
    missing = [
        {
            "message": gap.message,
            "field_id": field_id(by_id[gap.question_id], evidence=gap.evidence) if gap.question_id in by_id else "",
        }
        for gap in gaps
    ]
    for section in sections:
        section["total"] = len(section["items"])
        section["answered"] = sum(1 for item in section["items"] if item["answered"])
        section["complete"] = section["answered"] == section["total"]
    answered = sum(section["answered"] for section in sections)
    return {
        "sections": sections,
        "missing": missing,
        "progress": {"answered": answered, "total": len(questions)},
    }
