"""Bad input on the vendor page and concurrency in the editor (found in review)."""

import threading

import pytest
from django.db import connections

from tests.factories import VendorContactFactory, published_version, send_assessment
from tests.vendors.helpers import pdf, post_data, vendor_url
from vendors import assessments, questionnaires
from vendors.choices import AnswerType
from vendors.models import Answer, EvidenceFile, TemplateVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(reviewer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return send_assessment(reviewer)


def _question(assessment, **match):
    return next(
        question
        for question in assessments.questions_of(assessment)
        if all(getattr(question, key) == value for key, value in match.items())
    )


def test_a_nul_byte_in_a_comment_is_refused_not_a_server_error(client, sent):
    assessment, token = sent
    question = _question(assessment, answer_type=AnswerType.TEXT)
    data = post_data(assessment, files=False)
    data[f"c-{question.id}"] = "hello\x00world"
    response = client.post(vendor_url(token), data)
    assert response.status_code == 400
    assert not Answer.objects.filter(assessment=assessment).exists()


@pytest.mark.parametrize("raw", ["1e400", "nan", "inf", "1_000", "1." + "0" * 100, "12abc"])
def test_odd_numbers_are_refused(client, sent, raw):
    assessment, token = sent
    question = _question(assessment, answer_type=AnswerType.NUMBER)
    response = client.post(vendor_url(token), post_data(assessment, overrides={question.id: raw}, files=False))
    assert response.status_code == 400
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_files_only_where_evidence_is_asked_and_at_most_five(client, sent):
    assessment, token = sent
    plain = _question(assessment, answer_type=AnswerType.YES_NO, evidence_required=False)
    response = client.post(vendor_url(token), {**post_data(assessment, files=False), f"f-{plain.id}": pdf()})
    assert response.status_code == 400
    evidence = _question(assessment, evidence_required=True)
    many = [pdf(f"e{index}.pdf") for index in range(6)]
    response = client.post(vendor_url(token), {**post_data(assessment, files=False), f"f-{evidence.id}": many})
    assert response.status_code == 400
    assert not EvidenceFile.objects.exists()


def test_reissuing_an_internal_checklist_mails_nobody(client, reviewer, mailoutbox, django_capture_on_commit_callbacks):
    contact = VendorContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assessment, _token = assessments.send_assessment(
            contact.vendor, contact, published_version("open-model-readiness"), reviewer
        )
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/vendors/assessments/{assessment.reference}/reissue/")
    assert response.status_code == 302 and "/vendor/questionnaire/" in response.url
    assert mailoutbox == []
    assert client.get(response.url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/vendors/999999/edit/", "/vendors/999999/send-assessment/", "/vendors/models/99999/edit/"]
)
def test_anonymous_visitors_cannot_probe_which_objects_exist(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_editors_starting_a_new_version_at_once_get_one_draft(postgres, reviewer):
    template = published_version().template
    barrier, errors = threading.Barrier(2), []

    def start():
        try:
            barrier.wait(timeout=10)
            questionnaires.start_new_version(template, reviewer)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert TemplateVersion.objects.filter(template=template, status="draft").count() == 1
