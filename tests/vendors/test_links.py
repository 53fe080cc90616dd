"""Link security and answering through the vendor page (no account: a signed, expiring link).

Expired, revoked, tampered, re-issued and foreign links; read-only after submission;
evidence uploads (limits, storage, who may download); gaps at submission; scoring at
submission; the invitation e-mail.
"""

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import VendorContactFactory, VendorFactory, published_version, send_assessment
from tests.vendors.helpers import (
    PDF_BYTES,
    TEXT_ANSWER,
    answer_for,
    contains,
    needs_file,
    pdf,
    post_data,
    question_where,
    stored_files,
    submit_through_service,
    vendor_url,
)
from vendors import assessments
from vendors.choices import AnswerType, AssessmentStatus, VendorAuditAction
from vendors.models import Answer, Assessment, EvidenceFile

pytestmark = pytest.mark.django_db

INVALID_TEMPLATE = "vendors/portal/invalid_link.html"
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def sent(reviewer):
    vendor = VendorFactory(name="秘密のベンダー株式会社")
    return send_assessment(reviewer, vendor=vendor)


def assert_invalid_page(response, assessment):
    """The generic page: 404, and nothing that names the vendor, contact or assessment."""
    assert response.status_code == 404
    assert INVALID_TEMPLATE in [template.name for template in response.templates]
    html = response.content.decode()
    for secret in (
        assessment.vendor.name,
        assessment.reference,
        assessment.contact.name,
        assessment.contact.email,
        str(assessment.template_version.template),
    ):
        assert secret not in html
    assert "questionnaire" not in re.findall(r'<form[^>]*id="([^"]+)"', html)


def answers_of(assessment):
    return {
        answer.question_id: (answer.value, answer.comment) for answer in Answer.objects.filter(assessment=assessment)
    }


# --- Valid and invalid links -----------------------------------------------------------------


def test_a_valid_link_opens_its_questionnaire(client, sent):
    assessment, token = sent
    response = client.get(vendor_url(token))
    assert response.status_code == 200
    assert response.context["assessment"].pk == assessment.pk
    assert contains(response, assessment.vendor.name)
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]
    # Every question of the version is on the page, with its field.
    html = response.content.decode()
    for question in assessments.questions_of(assessment):
        assert f'name="q-{question.id}"' in html or question.answer_type == AnswerType.FILE
        if needs_file(question):
            assert f'name="f-{question.id}"' in html


def test_the_link_expires_after_the_configured_days(settings, reviewer):
    settings.ASSESSMENT_LINK_DAYS = 7
    before = timezone.now()
    assessment, _token = send_assessment(reviewer)
    assert before + datetime.timedelta(days=7) <= assessment.link_expires_at
    assert assessment.link_expires_at <= timezone.now() + datetime.timedelta(days=7)


def test_an_expired_link_shows_the_generic_page(client, sent):
    assessment, token = sent
    Assessment.objects.filter(pk=assessment.pk).update(link_expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert_invalid_page(client.get(vendor_url(token)), assessment)
    response = client.post(vendor_url(token), post_data(assessment))
    assert_invalid_page(response, assessment)
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_revoked_link_shows_the_generic_page(client, sent, reviewer):
    assessment, token = sent
    assessments.revoke_assessment(assessment, reviewer, comment="送付先の誤り")
    assert_invalid_page(client.get(vendor_url(token)), assessment)
    assert_invalid_page(client.post(vendor_url(token), post_data(assessment)), assessment)
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_link_revoked_after_submission_no_longer_opens(client, sent, reviewer, media_root):
    assessment, token = sent
    submit_through_service(assessment)
    assert client.get(vendor_url(token)).status_code == 200
    assessments.revoke_assessment(assessment, reviewer)
    assert_invalid_page(client.get(vendor_url(token)), assessment)


def _replace_char(text, index):
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


def _tampered_signature(token):
    payload, timestamp, signature = token.rsplit(":", 2)
    return f"{payload}:{timestamp}:{_replace_char(signature, len(signature) // 2)}"


def _tampered_payload(token):
    payload, rest = token.split(":", 1)
    return f"{_replace_char(payload, len(payload) // 2)}:{rest}"


def _tampered_timestamp(token):
    payload, timestamp, signature = token.rsplit(":", 2)
    return f"{payload}:{_replace_char(timestamp, 0)}:{signature}"


def _truncated(token):
    return token[:-3]


def _wrong_nonce(token):
    """Correctly signed, the right assessment id, but not the link's nonce."""
    payload = signing.loads(token, salt=assessments.LINK_SALT)
    return signing.dumps({"a": payload["a"], "n": "guessed-nonce"}, salt=assessments.LINK_SALT, compress=True)


def _other_salt(token):
    """The same payload signed for another purpose must not open the questionnaire."""
    payload = signing.loads(token, salt=assessments.LINK_SALT)
    return signing.dumps(payload, salt="some-other-salt", compress=True)


def _unknown_assessment(token):
    payload = signing.loads(token, salt=assessments.LINK_SALT)
    return signing.dumps({"a": payload["a"] + 1000, "n": payload["n"]}, salt=assessments.LINK_SALT, compress=True)


def _garbage(token):
    return "not-a-token"


@pytest.mark.parametrize(
    "tamper",
    [
        _tampered_signature,
        _tampered_payload,
        _tampered_timestamp,
        _truncated,
        _wrong_nonce,
        _other_salt,
        _unknown_assessment,
        _garbage,
    ],
)
def test_a_tampered_link_shows_the_generic_page(client, sent, tamper):
    assessment, token = sent
    bad = tamper(token)
    assert bad != token
    assert_invalid_page(client.get(vendor_url(bad)), assessment)
    assert_invalid_page(client.post(vendor_url(bad), post_data(assessment)), assessment)
    assert not Answer.objects.filter(assessment=assessment).exists()
    assert client.get(vendor_url(token)).status_code == 200  # the genuine link still works


def test_every_invalid_link_gets_the_same_page(client, sent, reviewer):
    """Nothing tells an expired link from a revoked or a forged one."""
    assessment, token = sent
    other, other_token = send_assessment(reviewer)

    def page(link):
        response = client.get(vendor_url(link))
        assert response.status_code == 404
        # The page may repeat its own address (e.g. in the language switch); that is no secret.
        return CSRF_VALUE.sub("", response.content.decode()).replace(link, "<token>")

    forged = page(_tampered_signature(token))
    Assessment.objects.filter(pk=assessment.pk).update(link_expires_at=timezone.now() - datetime.timedelta(days=1))
    expired = page(token)
    assessments.revoke_assessment(other, reviewer)
    revoked = page(other_token)
    assert forged == expired == revoked


def test_another_assessments_token_opens_only_that_assessment(client, reviewer):
    first, first_token = send_assessment(reviewer, vendor=VendorFactory(name="一社目AI"))
    second, second_token = send_assessment(reviewer, vendor=VendorFactory(name="二社目AI"))
    response = client.get(vendor_url(second_token))
    assert response.status_code == 200
    assert response.context["assessment"].pk == second.pk
    assert contains(response, "二社目AI")
    assert not contains(response, "一社目AI")
    assert not contains(response, first.reference)
    # Answering with the second token changes only the second assessment.
    assert client.post(vendor_url(second_token), post_data(second, files=False)).status_code == 302
    assert Answer.objects.filter(assessment=second).count() == len(assessments.questions_of(second))
    assert not Answer.objects.filter(assessment=first).exists()
    first.refresh_from_db()
    assert first.status == AssessmentStatus.SENT


def test_a_reissued_link_replaces_the_old_one(client, sent, reviewer):
    assessment, old_token = sent
    assert client.get(vendor_url(old_token)).status_code == 200
    _assessment, new_token = assessments.reissue_link(assessment, reviewer)
    assert new_token != old_token
    assert_invalid_page(client.get(vendor_url(old_token)), assessment)
    response = client.get(vendor_url(new_token))
    assert response.status_code == 200
    assert response.context["assessment"].pk == assessment.pk
    # Re-issuing again retires the second link too.
    _assessment, third_token = assessments.reissue_link(assessment, reviewer)
    assert client.get(vendor_url(new_token)).status_code == 404
    assert client.get(vendor_url(third_token)).status_code == 200


def test_a_reissued_link_keeps_the_answers_saved_so_far(client, sent, reviewer):
    assessment, old_token = sent
    client.post(vendor_url(old_token), post_data(assessment, files=False))
    saved = answers_of(assessment)
    assert saved
    _assessment, new_token = assessments.reissue_link(assessment, reviewer)
    response = client.get(vendor_url(new_token))
    assert response.status_code == 200
    assert answers_of(assessment) == saved
    assert contains(response, TEXT_ANSWER)


# --- Read-only after submission ---------------------------------------------------------------


def test_a_submitted_assessment_cannot_be_changed_through_the_link(client, sent, media_root):
    assessment, token = sent
    submit_through_service(assessment)
    assessment.refresh_from_db()
    before = answers_of(assessment)
    files_before = sorted(EvidenceFile.objects.filter(answer__assessment=assessment).values_list("pk", flat=True))
    score, submitted_at = assessment.score, assessment.submitted_at
    text_question = question_where(assessment, lambda q: q.answer_type == AnswerType.TEXT)

    page = client.get(vendor_url(token))
    assert page.status_code == 200
    assert page.context["read_only"] is True
    assert 'id="submit-answers"' not in page.content.decode()

    changed = {text_question.id: "書き換えた回答"}
    for button in ("save", "submit"):
        response = client.post(vendor_url(token), post_data(assessment, overrides=changed, button=button))
        assert response.status_code == 409
        assert response.context["read_only"] is True
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert (assessment.score, assessment.submitted_at) == (score, submitted_at)
    assert answers_of(assessment) == before
    assert (
        sorted(EvidenceFile.objects.filter(answer__assessment=assessment).values_list("pk", flat=True)) == files_before
    )


def test_a_decided_assessment_cannot_be_changed_through_the_link(client, sent, reviewer, media_root):
    assessment, token = sent
    submit_through_service(assessment)
    assessments.decide_assessment(assessment, reviewer, "reject", findings="不十分")
    before = answers_of(assessment)
    response = client.post(vendor_url(token), post_data(assessment, files=False, button="submit"))
    assert response.status_code == 409
    assert answers_of(assessment) == before
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.REJECTED


# --- Evidence ------------------------------------------------------------------------------------


@pytest.fixture
def uploaded(client, sent, media_root):
    """The vendor saves answers with evidence through the page; returns the first file."""
    assessment, token = sent
    response = client.post(vendor_url(token), post_data(assessment))
    assert response.status_code == 302, response.context and response.context.get("sections")
    evidence = EvidenceFile.objects.filter(answer__assessment=assessment).first()
    assert evidence is not None
    client.logout()
    return evidence


def test_evidence_is_stored_outside_the_static_root_under_a_random_name(uploaded, media_root):
    evidence = uploaded
    path = media_root / evidence.file.name
    assert path.read_bytes() == PDF_BYTES
    assert path.is_relative_to(media_root)
    assert not path.is_relative_to(django_settings.STATIC_ROOT)
    assert evidence.original_name == "evidence.pdf"
    assert path.name != "evidence.pdf" and path.suffix == ".pdf"
    assert evidence.size == len(PDF_BYTES)
    expected_count = sum(needs_file(q) for q in assessments.questions_of(evidence.answer.assessment))
    assert len(stored_files(media_root)) == expected_count


def test_evidence_cannot_be_fetched_anonymously(client, uploaded):
    url = reverse("vendors:evidence", kwargs={"pk": uploaded.pk})
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    # Nor by guessing where the file lies under MEDIA_URL.
    assert client.get(f"/{django_settings.MEDIA_URL}{uploaded.file.name}").status_code == 404


def test_evidence_cannot_be_fetched_through_the_vendor_link(client, uploaded, sent):
    _assessment, token = sent
    assert client.get(f"{vendor_url(token)}{uploaded.file.name}").status_code == 404


@pytest.mark.parametrize("persona", ["requester", "executive", "outsider"])
def test_evidence_cannot_be_fetched_without_the_assessment_permission(client, uploaded, personas, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("vendors:evidence", kwargs={"pk": uploaded.pk})).status_code == 403


@pytest.mark.parametrize("persona", ["reviewer", "admin"])
def test_evidence_is_served_to_reviewers_as_an_attachment(client, uploaded, personas, persona):
    client.force_login(personas[persona])
    response = client.get(reverse("vendors:evidence", kwargs={"pk": uploaded.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment")
    assert "evidence.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def _xlsx_bytes():
    import io

    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


XLSX_BYTES = _xlsx_bytes()

BAD_UPLOADS = [
    # (label, file name, content)
    ("executable", "evidence.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
    ("html", "evidence.html", b"<html><script>alert(1)</script></html>"),
    ("svg", "evidence.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ("no extension", "evidence", PDF_BYTES),
    ("pdf that is not a pdf", "x.pdf", b"this is plain text, not a PDF"),
    ("png that is a pdf", "x.png", PDF_BYTES),
    ("jpeg that is text", "photo.jpg", b"hello"),
    ("docx that is not a zip", "report.docx", b"plain words"),
    ("empty file", "empty.txt", b""),
    # Judged by content, whatever the name says.
    ("executable named pdf", "cert.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),
    ("executable named txt", "notes.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
    ("zip named xlsx", "report.xlsx", b"PK\x03\x04" + b"\x00" * 16),
]


@pytest.mark.parametrize("name, content", [row[1:] for row in BAD_UPLOADS], ids=[row[0] for row in BAD_UPLOADS])
def test_a_refused_upload_saves_nothing(client, sent, media_root, name, content):
    assessment, token = sent
    target = question_where(assessment, needs_file)
    data = post_data(assessment)
    data[f"f-{target.id}"] = pdf(name, content)
    response = client.post(vendor_url(token), data)
    assert response.status_code == 400
    errors = [
        item["errors"]
        for block in response.context["sections"]
        for item in block["items"]
        if item["question"].id == target.id
    ][0]
    assert errors, "the refused file has no error message beside its question"
    for message in errors:
        assert contains(response, message)
    assert not Answer.objects.filter(assessment=assessment).exists()
    assert not EvidenceFile.objects.exists()
    assert stored_files(media_root) == []
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SENT


def test_a_file_over_the_size_limit_is_refused(client, sent, media_root, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    assessment, token = sent
    target = question_where(assessment, needs_file)
    data = post_data(assessment)
    data[f"f-{target.id}"] = pdf("big.pdf", PDF_BYTES + b"0" * 2048)
    response = client.post(vendor_url(token), data)
    assert response.status_code == 400
    assert not EvidenceFile.objects.exists()
    assert not Answer.objects.filter(assessment=assessment).exists()
    assert stored_files(media_root) == []
    # Exactly at the limit is fine.
    data = post_data(assessment)
    data[f"f-{target.id}"] = pdf("fits.pdf", PDF_BYTES + b"0" * (1024 - len(PDF_BYTES)))
    assert client.post(vendor_url(token), data).status_code == 302
    assert EvidenceFile.objects.filter(original_name="fits.pdf", size=1024).exists()


@pytest.mark.parametrize(
    "name, content",
    [
        ("policy.txt", "データ保持ポリシー".encode()),
        ("subprocessors.csv", b"name,country\nA,JP\n"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16),
        ("scan.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
        ("report.xlsx", XLSX_BYTES),
        ("売上.csv", "品名,数量\r\nりんご,3\r\n".encode("cp932")),
    ],
)
def test_accepted_evidence_types(client, sent, media_root, name, content):
    assessment, token = sent
    target = question_where(assessment, needs_file)
    data = post_data(assessment)
    data[f"f-{target.id}"] = pdf(name, content)
    assert client.post(vendor_url(token), data).status_code == 302
    evidence = EvidenceFile.objects.get(answer__question_id=target.id)
    assert evidence.original_name == name
    assert (media_root / evidence.file.name).read_bytes() == content


def test_an_uploaded_name_does_not_decide_where_the_file_lands(client, sent, media_root):
    assessment, token = sent
    target = question_where(assessment, needs_file)
    data = post_data(assessment)
    data[f"f-{target.id}"] = pdf("../../../etc/evil.pdf")
    assert client.post(vendor_url(token), data).status_code == 302
    evidence = EvidenceFile.objects.get(answer__question_id=target.id)
    path = (media_root / evidence.file.name).resolve()
    assert path.is_relative_to(media_root.resolve() / "evidence" / assessment.reference)
    assert "evil" not in path.name


@pytest.mark.parametrize(
    "answer_type, bad_value",
    [
        (AnswerType.SINGLE, "not-an-option"),
        (AnswerType.YES_NO, "maybe"),
        (AnswerType.NUMBER, "twelve"),
        (AnswerType.NUMBER, "nan"),
        (AnswerType.DATE, "2025-13-45"),
        (AnswerType.MULTIPLE, ["iso27001", "bogus"]),
    ],
)
def test_an_invalid_answer_is_refused_and_nothing_is_saved(client, sent, media_root, answer_type, bad_value):
    assessment, token = sent
    target = question_where(assessment, lambda q: q.answer_type == answer_type)
    response = client.post(vendor_url(token), post_data(assessment, overrides={target.id: bad_value}))
    assert response.status_code == 400
    item = [item for block in response.context["sections"] for item in block["items"] if item["question"] == target]
    assert item[0]["errors"]
    assert not Answer.objects.filter(assessment=assessment).exists()
    assert not EvidenceFile.objects.exists()


def test_a_repeated_choice_does_not_inflate_the_score(client, sent):
    """Posting the same checkbox value three times must count it once."""
    assessment, token = sent
    target = question_where(
        assessment, lambda q: q.answer_type == AnswerType.MULTIPLE and any(o["value"] == "iso27001" for o in q.options)
    )
    points = {option["value"]: option["points"] for option in target.options}["iso27001"]
    assert points < 1
    data = post_data(assessment, files=False, overrides={target.id: ["iso27001", "iso27001", "iso27001"]})
    assert client.post(vendor_url(token), data).status_code == 302
    assert assessments.compute_score(assessment).points[target.id] == pytest.approx(points)


# --- Gaps at submission, then score -------------------------------------------------------------


def test_submitting_with_nothing_answered_lists_every_gap(client, sent):
    assessment, token = sent
    response = client.post(vendor_url(token), {"submit": "1"})
    assert response.status_code == 400
    questions = assessments.questions_of(assessment)
    expected = [q.id for q in questions if q.required] + [q.id for q in questions if q.evidence_required]
    gaps = response.context["gaps"]
    assert sorted(gap.question_id for gap in gaps) == sorted(expected)
    with translation.override(assessment.contact.language):
        texts = {q.id: q.localized_text for q in questions}
    for gap in gaps:
        assert texts[gap.question_id] in str(gap.message)
        assert contains(response, gap.message)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS
    assert assessment.submitted_at is None and assessment.score is None


def test_submitting_with_gaps_lists_them_and_keeps_the_saved_answers(client, sent, media_root):
    assessment, token = sent
    questions = assessments.questions_of(assessment)
    unanswered = question_where(
        assessment, lambda q: q.required and q.answer_type == AnswerType.TEXT and not q.evidence_required
    )
    no_evidence = question_where(assessment, lambda q: q.evidence_required and q.answer_type == AnswerType.TEXT)
    data = post_data(assessment, skip_values={unanswered.id}, skip_files={no_evidence.id}, button="submit")
    response = client.post(vendor_url(token), data)
    assert response.status_code == 400
    gaps = response.context["gaps"]
    assert [gap.question_id for gap in gaps] == sorted(
        [unanswered.id, no_evidence.id], key=[q.id for q in questions].index
    )
    with translation.override(assessment.contact.language):
        assert unanswered.localized_text in str(gaps[[g.question_id for g in gaps].index(unanswered.id)].message)
        assert no_evidence.localized_text in str(gaps[[g.question_id for g in gaps].index(no_evidence.id)].message)
    assert contains(response, gaps[0].message) and contains(response, gaps[1].message)
    html = response.content.decode()
    assert 'id="gaps"' in html

    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS
    assert assessment.submitted_at is None
    saved = answers_of(assessment)
    assert saved[no_evidence.id][0] == TEXT_ANSWER  # its text answer was kept
    assert saved[unanswered.id][0] is None
    assert sum(value is not None for value, _comment in saved.values()) == len(questions) - 1
    evidence_questions = [q.id for q in questions if needs_file(q)]
    assert EvidenceFile.objects.filter(answer__assessment=assessment).count() == len(evidence_questions) - 1
    # The page shows what was saved, so the vendor does not retype it.
    assert contains(response, TEXT_ANSWER)

    # Filling the two gaps (files already saved stay attached) submits.
    data = post_data(assessment, files=False, button="submit")
    data[f"f-{no_evidence.id}"] = pdf()
    response = client.post(vendor_url(token), data)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_saving_then_submitting_computes_score_and_knockouts(client, sent, media_root):
    assessment, token = sent
    questions = assessments.questions_of(assessment)
    training = question_where(assessment, lambda q: q.answer_type == AnswerType.SINGLE and q.knockout_values)
    knockout_value = training.knockout_values[0]
    empty_knockout = question_where(assessment, lambda q: "" in q.knockout_values and not q.required)
    overrides = {training.id: knockout_value}

    response = client.post(
        vendor_url(token), post_data(assessment, overrides=overrides, skip_values={empty_knockout.id})
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS
    assert assessment.score is None
    stored = {answer.question_id: answer.value for answer in assessment.answers.all()}
    for question in questions:
        if question.id == empty_knockout.id:
            assert stored[question.id] is None
        elif question.id == training.id:
            assert stored[question.id] == knockout_value
        else:
            assert stored[question.id] == answer_for(question)

    # The page posts the saved values again; the files saved before stay attached.
    data = post_data(assessment, overrides=overrides, skip_values={empty_knockout.id}, files=False, button="submit")
    response = client.post(vendor_url(token), data)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.submitted_at is not None
    assert assessment.knockout_count == 2
    total = sum(q.weight for q in questions)
    lost = training.weight * (1 - {o["value"]: o["points"] for o in training.options}[knockout_value])
    lost += empty_knockout.weight
    expected = (Decimal(100) * (Decimal(total) - Decimal(str(lost))) / Decimal(total)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    assert assessment.score == expected
    actions = [event.action for event in assessment_events(assessment)]
    assert actions == [
        VendorAuditAction.SEND_ASSESSMENT,
        VendorAuditAction.VENDOR_SAVED,
        VendorAuditAction.VENDOR_SAVED,
        VendorAuditAction.VENDOR_SUBMITTED,
    ]
    # After submission the page is read-only.
    page = client.get(vendor_url(token))
    assert page.context["read_only"] is True


def assessment_events(assessment):
    from portal.models import AuditEvent

    return list(AuditEvent.objects.for_object(assessment).order_by("created_at", "id"))


def test_a_full_submission_scores_100(client, sent, media_root):
    assessment, token = sent
    assert client.post(vendor_url(token), post_data(assessment, button="submit")).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.score == Decimal("100.0")
    assert assessment.knockout_count == 0


# --- Invitation e-mail ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_invitation_goes_to_the_contact_with_the_link_in_their_language(
    client, reviewer, mailoutbox, django_capture_on_commit_callbacks, language
):
    contact = VendorContactFactory(language=language, email=f"{language}-contact@vendor.example")
    with django_capture_on_commit_callbacks(execute=True):
        assessment, token = assessments.send_assessment(contact.vendor, contact, published_version(), reviewer)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [contact.email]
    assert assessments.link_url(token) in message.body
    assert assessment.reference in message.subject
    # The link in the mail opens the questionnaire.
    path = re.search(r"https?://[^/\s]+(/vendor/questionnaire/\S+/)", message.body).group(1)
    assert client.get(path).status_code == 200
    template = assessment.template_version.template
    english_phrases = ["Dear ", "Open the questionnaire", "The link is personal", "Questionnaire "]
    if language == "en":
        assert template.name_en in message.subject
        assert "Open the questionnaire" in message.body
    else:
        assert template.name_ja in message.subject
        text = message.subject + message.body
        leftovers = [phrase for phrase in english_phrases if phrase in text]
        assert leftovers == [], f"English left in the Japanese invitation: {leftovers}\n{text}"


def test_a_reissued_link_is_mailed_and_the_old_one_is_not(reviewer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assessment, old_token = send_assessment(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        _assessment, new_token = assessments.reissue_link(assessment, reviewer)
    assert len(mailoutbox) == 2
    assert assessments.link_url(new_token) in mailoutbox[1].body
    assert assessments.link_url(old_token) not in mailoutbox[1].body
    assert mailoutbox[1].to == [assessment.contact.email]


def test_no_mail_is_sent_before_the_transaction_commits(reviewer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_assessment(reviewer)
    assert mailoutbox == []
    assert len(callbacks) == 1


def test_the_vendor_page_speaks_the_contacts_language(client, reviewer):
    for language in ("en", "ja"):
        contact = VendorContactFactory(language=language)
        _assessment, token = assessments.send_assessment(contact.vendor, contact, published_version(), reviewer)
        response = client.get(vendor_url(token))
        assert f'<html lang="{language}">' in response.content.decode()


def test_an_expired_link_can_be_reissued_and_keeps_the_answers(client, sent, reviewer):
    assessment, token = sent
    assert client.post(vendor_url(token), post_data(assessment, files=False)).status_code == 302
    saved = answers_of(assessment)
    Assessment.objects.filter(pk=assessment.pk).update(link_expires_at=timezone.now() - datetime.timedelta(days=1))
    assert client.get(vendor_url(token)).status_code == 404
    _assessment, new_token = assessments.reissue_link(assessment, reviewer)
    assert client.get(vendor_url(token)).status_code == 404
    response = client.get(vendor_url(new_token))
    assert response.status_code == 200
    assert answers_of(assessment) == saved
    assert Assessment.objects.get(pk=assessment.pk).link_expires_at > timezone.now() + datetime.timedelta(days=29)
