"""Helpers shared by the vendor tests: answering a questionnaire the way the vendor page
posts it, evidence files, snapshots of what a refused request must not change."""

from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from vendors import assessments
from vendors.choices import AnswerType

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT_ANSWER = "当社の方針に従って対応しています。"
NUMBER_ANSWER = "24"
DATE_ANSWER = "2025-10-01"


def vendor_url(token):
    return reverse("vendor-portal:assessment", kwargs={"token": token})


def pdf(name="evidence.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def best_choice(question):
    """The option worth most points that is not a knockout."""
    allowed = [option for option in question.options if option["value"] not in question.knockout_values]
    return max(allowed, key=lambda option: float(option.get("points", 0)))["value"]


def answer_for(question):
    """A valid, full-marks raw value as the page posts it (a list for multiple choice)."""
    if question.answer_type in (AnswerType.YES_NO, AnswerType.SINGLE):
        return best_choice(question)
    if question.answer_type == AnswerType.MULTIPLE:
        return [option["value"] for option in question.options if option["value"] not in question.knockout_values]
    if question.answer_type == AnswerType.NUMBER:
        return NUMBER_ANSWER
    if question.answer_type == AnswerType.DATE:
        return DATE_ANSWER
    if question.answer_type == AnswerType.TEXT:
        return TEXT_ANSWER
    return None


def needs_file(question):
    return question.answer_type == AnswerType.FILE or question.evidence_required


def post_data(assessment, *, overrides=None, skip_values=(), skip_files=(), files=True, button="save"):
    """POST data of the vendor page answering every question with full marks.

    ``overrides``: question id -> raw value; ``skip_values``/``skip_files``: question ids
    left unanswered / without evidence; ``files=False`` sends no file at all.
    """
    overrides = overrides or {}
    data = {button: "1"}
    for question in assessments.questions_of(assessment):
        if question.id not in skip_values:
            value = overrides.get(question.id, answer_for(question))
            if value is not None:
                data[f"q-{question.id}"] = value
        if files and needs_file(question) and question.id not in skip_files:
            data[f"f-{question.id}"] = pdf()
    return data


def service_answers(assessment, *, overrides=None, skip_values=(), files=True):
    """The same answers in the form ``assessments.save_answers`` takes."""
    overrides = overrides or {}
    raw, uploads = {}, {}
    for question in assessments.questions_of(assessment):
        if question.id not in skip_values:
            raw[question.id] = overrides.get(question.id, answer_for(question))
        if files and needs_file(question):
            uploads[question.id] = [pdf()]
    return raw, {}, uploads


def submit_through_service(assessment, **kwargs):
    """Answer with full marks (unless ``overrides`` say otherwise) and submit."""
    raw, comments, uploads = service_answers(assessment, **kwargs)
    errors = assessments.save_answers(assessment, raw, comments, uploads)
    assert errors == {}, errors
    return assessments.submit_assessment(assessment)


def questions_of_version(version):
    return assessments.questions_of(SimpleNamespace(template_version_id=version.pk))


def question_where(assessment, predicate):
    """The first question of the assessment's version matching ``predicate``."""
    return next(question for question in assessments.questions_of(assessment) if predicate(question))


def stored_files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


def contains(response, text):
    return escape(str(text)) in response.content.decode()
