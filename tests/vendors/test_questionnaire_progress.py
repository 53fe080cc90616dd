"""The vendor's questionnaire page: progress, section navigation, the save/submit bar that
stays in reach, and missing answers linked to their fields (issue 19, item 5)."""

import re

import pytest

from tests.factories import VendorFactory, send_assessment
from tests.vendors.helpers import post_data, question_where, vendor_url
from vendors import assessments
from vendors.choices import AnswerType

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def sent(reviewer):
    return send_assessment(reviewer, vendor=VendorFactory(name="テストベンダー株式会社"))


def language(client, code):
    client.cookies["django_language"] = code


@pytest.mark.parametrize(
    ("code", "expected"), [("en", "Answered {n} of {total}"), ("ja", "{total}問中{n}問に回答済み")]
)
def test_progress_counts_the_saved_answers(client, sent, media_root, code, expected):
    assessment, token = sent
    questions = assessments.questions_of(assessment)
    total = len(questions)
    language(client, code)
    html = client.get(vendor_url(token)).content.decode()
    assert expected.format(n=0, total=total) in html
    assert f'max="{total}" value="0"' in html

    # Answer everything except two questions (one plain text, one file-only question if any).
    skipped = {question_where(assessment, lambda q: q.answer_type == AnswerType.TEXT).id}
    files_only = [q for q in questions if q.answer_type == AnswerType.FILE]
    skip_files = {files_only[0].id} if files_only else set()
    response = client.post(vendor_url(token), post_data(assessment, skip_values=skipped, skip_files=skip_files))
    assert response.status_code == 302
    answered = total - len(skipped) - len(skip_files)
    html = client.get(vendor_url(token)).content.decode()
    assert expected.format(n=answered, total=total) in html
    assert f'max="{total}" value="{answered}"' in html


def test_sections_are_listed_as_anchors_with_their_own_counts(client, sent):
    assessment, token = sent
    language(client, "en")
    html = client.get(vendor_url(token)).content.decode()
    sections = {question.section for question in assessments.questions_of(assessment)}
    assert len(sections) > 1
    nav = re.search(r'<nav[^>]*id="sections-nav".*?</nav>', html, re.S).group(0)
    for section in sections:
        assert f'href="#section-{section.pk}"' in nav
        assert f'id="section-{section.pk}"' in html  # the anchor exists
        count = sum(1 for q in assessments.questions_of(assessment) if q.section_id == section.pk)
        assert f"(0 of {count})" in nav


def test_save_and_submit_sit_in_the_sticky_bar_without_inline_style(client, sent):
    _assessment, token = sent
    response = client.get(vendor_url(token))
    html = response.content.decode()
    bar = re.search(r'<div class="sticky-bottom[^"]*" id="questionnaire-bar">.*?</div>\n</div>', html, re.S).group(0)
    assert 'id="save-answers"' in bar and 'id="submit-answers"' in bar
    assert "style=" not in html.split("<body", 1)[1]
    assert "<script>" not in html
    # One save and one submit button on the page, in the bar (not only at the bottom).
    assert html.count('id="submit-answers"') == 1


@pytest.mark.parametrize("code", ["en", "ja"])
def test_a_refused_submit_links_each_missing_answer_to_its_field(client, sent, media_root, code):
    assessment, token = sent
    unanswered = question_where(
        assessment, lambda q: q.required and q.answer_type == AnswerType.TEXT and not q.evidence_required
    )
    no_evidence = question_where(assessment, lambda q: q.evidence_required and q.answer_type == AnswerType.TEXT)
    choice = question_where(
        assessment, lambda q: q.required and q.answer_type in (AnswerType.YES_NO, AnswerType.SINGLE)
    )
    language(client, code)
    data = post_data(assessment, skip_values={unanswered.id, choice.id}, skip_files={no_evidence.id}, button="submit")
    response = client.post(vendor_url(token), data)
    assert response.status_code == 400
    html = response.content.decode()
    links = re.findall(r'<a href="#([^"]+)">', re.search(r'<ul class="mb-0" id="gaps">.*?</ul>', html, re.S).group(0))
    expected = {f"q-{unanswered.id}", f"f-{no_evidence.id}", f"q-{choice.id}-{choice.options[0]['value']}"}
    assert expected <= set(links)
    for field_id in links:  # every link lands on an input of the page
        assert re.search(rf'<(input|textarea)[^>]* id="{re.escape(field_id)}"', html), field_id
    heading = "required items are missing" if code == "en" else "件の必須項目が未回答です"
    assert heading in html
