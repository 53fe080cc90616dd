"""Questionnaire template versions: a published version never changes (service, pages,
API, model); editing happens in a draft copied from the latest version; publishing the
draft retires the previous version; answers stay tied to the version they answered."""

import pytest
from django.contrib.messages import constants as message_levels
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import published_version, send_assessment
from tests.vendors.helpers import contains, post_data, questions_of_version, vendor_url
from vendors import assessments, questionnaires
from vendors.choices import AssessmentStatus, TemplateVersionStatus, VendorAuditAction
from vendors.forms import QuestionForm
from vendors.models import Question, QuestionnaireTemplate, TemplateSection, TemplateVersion

pytestmark = pytest.mark.django_db

QUESTION_FIELDS = [
    "text_ja",
    "text_en",
    "help_ja",
    "help_en",
    "answer_type",
    "options",
    "required",
    "weight",
    "knockout_values",
    "evidence_required",
]


def snapshot(version):
    """Everything about a version that must not change once it is published."""
    return {
        "version": TemplateVersion.objects.filter(pk=version.pk).values("number", "status", "published_at").get(),
        "sections": list(
            TemplateSection.objects.filter(version=version)
            .order_by("pk")
            .values("pk", "title_ja", "title_en", "position")
        ),
        "questions": list(
            Question.objects.filter(section__version=version)
            .order_by("pk")
            .values("pk", "section_id", "position", *QUESTION_FIELDS)
        ),
    }


def question_data(**changes):
    """Valid QuestionForm data for a single-choice question."""
    data = {
        "text_ja": "新しい質問ですか。",
        "text_en": "Is this a new question?",
        "help_ja": "",
        "help_en": "",
        "answer_type": "single",
        "options": "yes | はい | Yes | 1\nno | いいえ | No | 0",
        "required": "on",
        "weight": "3",
        "knockout_values": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def form_data_for(question, **changes):
    """QuestionForm data as the edit page pre-fills it for ``question``."""
    initial = QuestionForm.initial_for(question)
    data = {key: value for key, value in initial.items() if not isinstance(value, bool)}
    data.update({key: "on" for key, value in initial.items() if value is True})
    data["weight"] = str(initial["weight"])
    data.update(changes)
    return data


@pytest.fixture
def genai():
    return QuestionnaireTemplate.objects.get(key="genai-vendor-assessment")


@pytest.fixture
def v1(genai):
    return published_version()


@pytest.fixture
def retired(genai, v1, reviewer):
    """Version 1 after version 2 was published."""
    questionnaires.publish_version(questionnaires.start_new_version(genai, reviewer), reviewer)
    v1.refresh_from_db()
    assert v1.status == TemplateVersionStatus.RETIRED
    return v1


@pytest.fixture(params=["published", "retired"])
def locked(request):
    return request.getfixturevalue("v1" if request.param == "published" else "retired")


def first_questions(version):
    section = version.sections.order_by("position", "id").first()
    first, second = list(section.questions.order_by("position", "id")[:2])
    return section, first, second


# --- The service refuses to change a published or retired version ----------------------------------

SERVICE_CHANGES = {
    "change a question": lambda version, section, first, second, user: questionnaires.save_question(
        section, user, {"text_en": "Changed?"}, first
    ),
    "add a question": lambda version, section, first, second, user: questionnaires.save_question(
        section,
        user,
        {
            "text_ja": "追加",
            "text_en": "Added",
            "answer_type": "text",
            "weight": 3,
            "options": [],
            "knockout_values": [],
        },
    ),
    "add a section": lambda version, section, first, second, user: questionnaires.add_section(
        version, user, "新", "New"
    ),
    "delete a question": lambda version, section, first, second, user: questionnaires.delete_question(first, user),
    "move a question down": lambda version, section, first, second, user: questionnaires.move_question(first, user, 1),
    "move a question up": lambda version, section, first, second, user: questionnaires.move_question(second, user, -1),
    "publish again": lambda version, section, first, second, user: questionnaires.publish_version(version, user),
}


@pytest.mark.parametrize("change", list(SERVICE_CHANGES))
def test_the_service_refuses_to_change_a_locked_version(locked, reviewer, change):
    section, first, second = first_questions(locked)
    before = snapshot(locked)
    with pytest.raises(questionnaires.TemplateLocked):
        SERVICE_CHANGES[change](locked, section, first, second, reviewer)
    assert snapshot(locked) == before


def test_the_model_refuses_to_change_rows_of_a_locked_version(locked):
    section, first, _second = first_questions(locked)
    before = snapshot(locked)
    first.text_en = "Changed behind the service's back"
    with pytest.raises(PermissionError):
        first.save()
    with pytest.raises(PermissionError):
        first.delete()
    section.title_en = "Renamed"
    with pytest.raises(PermissionError):
        section.save()
    with pytest.raises(PermissionError):
        Question(section=section, text_ja="追加", text_en="Added", answer_type="text").save()
    assert snapshot(locked) == before


# --- ... nor do the editor pages -----------------------------------------------------------------

PAGE_CHANGES = {
    "change a question": lambda version, section, first, second: (
        reverse("vendors:question-update", kwargs={"section": section.pk, "pk": first.pk}),
        form_data_for(first, text_en="Changed through the page?"),
    ),
    "add a question": lambda version, section, first, second: (
        reverse("vendors:question-create", kwargs={"section": section.pk}),
        question_data(),
    ),
    "add a section": lambda version, section, first, second: (
        reverse("vendors:template-add-section", kwargs={"pk": version.pk}),
        {"title_ja": "新しい章", "title_en": "New section"},
    ),
    "delete a question": lambda version, section, first, second: (
        reverse("vendors:question-delete", kwargs={"pk": first.pk}),
        {},
    ),
    "move a question down": lambda version, section, first, second: (
        reverse("vendors:question-move-down", kwargs={"pk": first.pk}),
        {},
    ),
    "move a question up": lambda version, section, first, second: (
        reverse("vendors:question-move-up", kwargs={"pk": second.pk}),
        {},
    ),
    "publish again": lambda version, section, first, second: (
        reverse("vendors:template-publish", kwargs={"pk": version.pk}),
        {},
    ),
}


@pytest.mark.parametrize("change", list(PAGE_CHANGES))
@pytest.mark.parametrize("persona", ["reviewer", "admin"])
def test_the_editor_pages_refuse_to_change_a_locked_version(client, locked, personas, persona, change):
    section, first, second = first_questions(locked)
    url, data = PAGE_CHANGES[change](locked, section, first, second)
    before = snapshot(locked)
    client.force_login(personas[persona])
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert snapshot(locked) == before
    levels = [message.level for message in response.context["messages"]]
    assert message_levels.ERROR in levels, "the refusal is not explained to the editor"


def test_the_page_of_a_published_version_offers_no_editing(client, v1, reviewer):
    client.force_login(reviewer)
    response = client.get(v1.get_absolute_url())
    assert response.status_code == 200
    assert response.context["can_edit"] is False
    html = response.content.decode()
    section, first, _second = first_questions(v1)
    assert reverse("vendors:question-delete", kwargs={"pk": first.pk}) not in html
    assert reverse("vendors:template-publish", kwargs={"pk": v1.pk}) not in html
    assert reverse("vendors:question-create", kwargs={"section": section.pk}) not in html


# --- ... nor does the API ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reviewer", "admin"])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_template_versions_api_is_read_only(v1, personas, persona, method):
    client = api_client_for(personas[persona])
    url = f"/api/v1/template-versions/{v1.pk}/"
    body = client.get(url).json()
    before = snapshot(v1)
    body["status"] = "draft"
    body["sections"][0]["questions"][0]["text_en"] = "Changed through the API?"
    body["sections"][0]["title_en"] = "Renamed"
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == 405, response.content
    assert snapshot(v1) == before


@pytest.mark.parametrize("persona", ["reviewer", "admin"])
def test_no_version_can_be_created_through_the_api(genai, personas, persona):
    client = api_client_for(personas[persona])
    before = TemplateVersion.objects.count()
    response = client.post("/api/v1/template-versions/", {"template": genai.pk, "number": 9}, format="json")
    assert response.status_code == 405
    assert TemplateVersion.objects.count() == before


@pytest.mark.parametrize("persona", ["reviewer", "admin"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_questionnaire_templates_api_is_read_only(genai, personas, persona, method):
    client = api_client_for(personas[persona])
    before = list(QuestionnaireTemplate.objects.order_by("pk").values())
    url = "/api/v1/questionnaire-templates/" + ("" if method == "post" else f"{genai.pk}/")
    response = getattr(client, method)(url, {"key": "changed", "name_en": "Changed", "name_ja": "変更"}, format="json")
    assert response.status_code in (403, 405), response.content
    assert list(QuestionnaireTemplate.objects.order_by("pk").values()) == before


def test_the_api_shows_the_published_questions_as_stored(v1, reviewer):
    body = api_client_for(reviewer).get(f"/api/v1/template-versions/{v1.pk}/").json()
    assert body["status"] == "published"
    questions = [question for section in body["sections"] for question in section["questions"]]
    stored = {question.pk: question for question in questions_of_version(v1)}
    assert {question["id"] for question in questions} == set(stored)
    for question in questions:
        assert question["text_en"] == stored[question["id"]].text_en
        assert question["knockout_values"] == stored[question["id"]].knockout_values


# --- New versions --------------------------------------------------------------------------------------


def test_a_new_version_copies_the_latest_into_a_draft(genai, v1, reviewer):
    before = snapshot(v1)
    draft = questionnaires.start_new_version(genai, reviewer)
    assert draft.pk != v1.pk
    assert (draft.number, draft.status, draft.published_at) == (2, TemplateVersionStatus.DRAFT, None)
    assert draft.is_editable
    assert snapshot(v1) == before  # the original is untouched

    def content(version):
        return [
            (
                section.position,
                section.title_ja,
                section.title_en,
                [
                    (question.position, *(getattr(question, field) for field in QUESTION_FIELDS))
                    for question in section.questions.order_by("position", "id")
                ],
            )
            for section in version.sections.order_by("position", "id")
        ]

    assert content(draft) == content(v1)
    assert len(questions_of_version(draft)) == len(questions_of_version(v1)) == 42
    old_ids = {question.pk for question in questions_of_version(v1)}
    assert not old_ids & {question.pk for question in questions_of_version(draft)}
    assert not set(v1.sections.values_list("pk", flat=True)) & set(draft.sections.values_list("pk", flat=True))
    event = AuditEvent.objects.for_object(genai).get(action=VendorAuditAction.NEW_TEMPLATE_VERSION)
    assert event.actor == reviewer
    assert event.to_state == "v2"


def test_starting_a_new_version_again_returns_the_existing_draft(genai, v1, reviewer):
    draft = questionnaires.start_new_version(genai, reviewer)
    section, first, _second = first_questions(draft)
    questionnaires.save_question(section, reviewer, {"text_en": "Edited in the draft"}, first)
    again = questionnaires.start_new_version(genai, reviewer)
    assert again.pk == draft.pk
    assert genai.versions.count() == 2
    assert Question.objects.get(pk=first.pk).text_en == "Edited in the draft"  # not copied over again


def test_the_new_version_button_opens_the_draft(client, genai, v1, reviewer):
    client.force_login(reviewer)
    url = reverse("vendors:template-new-version", kwargs={"pk": genai.pk})
    response = client.post(url)
    draft = genai.versions.get(status=TemplateVersionStatus.DRAFT)
    assert response.status_code == 302
    assert response.url == draft.get_absolute_url()
    assert client.post(url).url == draft.get_absolute_url()
    assert genai.versions.count() == 2


def test_publishing_the_draft_retires_the_previous_version(genai, v1, reviewer):
    draft = questionnaires.start_new_version(genai, reviewer)
    v1_published_at = v1.published_at
    questionnaires.publish_version(draft, reviewer)
    v1.refresh_from_db()
    draft.refresh_from_db()
    assert draft.status == TemplateVersionStatus.PUBLISHED
    assert draft.published_at is not None
    assert v1.status == TemplateVersionStatus.RETIRED
    assert v1.published_at == v1_published_at
    assert list(TemplateVersion.objects.published().filter(template=genai)) == [draft]
    assert published_version().pk == draft.pk
    event = AuditEvent.objects.for_object(genai).filter(action=VendorAuditAction.PUBLISH_TEMPLATE).get()
    assert (event.actor, event.to_state) == (reviewer, "v2")
    # The next draft is copied from version 2, the latest.
    section, first, _second = first_questions(draft)
    v3 = questionnaires.start_new_version(genai, reviewer)
    assert v3.number == 3
    assert first_questions(v3)[1].text_en == first.text_en


def test_publishing_through_the_page(client, genai, v1, reviewer):
    draft = questionnaires.start_new_version(genai, reviewer)
    client.force_login(reviewer)
    response = client.post(reverse("vendors:template-publish", kwargs={"pk": draft.pk}))
    assert response.status_code == 302
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert (draft.status, v1.status) == (TemplateVersionStatus.PUBLISHED, TemplateVersionStatus.RETIRED)


def test_an_empty_draft_cannot_be_published(reviewer):
    template = QuestionnaireTemplate.objects.create(key="empty", name_ja="空", name_en="Empty")
    draft = questionnaires.start_new_version(template, reviewer)
    assert draft.number == 1 and not draft.sections.exists()
    with pytest.raises(ValidationError):
        questionnaires.publish_version(draft, reviewer)
    draft.refresh_from_db()
    assert draft.status == TemplateVersionStatus.DRAFT


# --- Editing a draft ---------------------------------------------------------------------------------


@pytest.fixture
def draft(genai, v1, reviewer):
    return questionnaires.start_new_version(genai, reviewer)


def test_editing_a_draft_question_through_the_page(client, draft, v1, reviewer):
    section, first, _second = first_questions(draft)
    _v1_section, v1_first, _ = first_questions(v1)
    client.force_login(reviewer)
    url = reverse("vendors:question-update", kwargs={"section": section.pk, "pk": first.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert contains(page, first.text_en)
    data = form_data_for(first, text_en="Which data do you keep, and for how long?", weight="4")
    response = client.post(url, data)
    assert response.status_code == 302
    assert response.url == draft.get_absolute_url()
    first.refresh_from_db()
    assert (first.text_en, first.weight) == ("Which data do you keep, and for how long?", 4)
    v1_first.refresh_from_db()
    assert v1_first.text_en != first.text_en  # the published original keeps its wording


def test_adding_moving_and_deleting_in_a_draft_through_the_pages(client, draft, reviewer):
    section, first, second = first_questions(draft)
    client.force_login(reviewer)
    count = section.questions.count()

    response = client.post(reverse("vendors:question-create", kwargs={"section": section.pk}), question_data())
    assert response.status_code == 302
    added = section.questions.get(text_en="Is this a new question?")
    assert added.options == [
        {"value": "yes", "ja": "はい", "en": "Yes", "points": 1.0},
        {"value": "no", "ja": "いいえ", "en": "No", "points": 0.0},
    ]
    assert list(section.questions.order_by("position", "id"))[-1] == added

    assert client.post(reverse("vendors:question-move-up", kwargs={"pk": second.pk})).status_code == 302
    order = list(section.questions.order_by("position", "id"))
    assert order[:2] == [second, first]

    assert client.post(reverse("vendors:question-delete", kwargs={"pk": added.pk})).status_code == 302
    assert section.questions.count() == count

    response = client.post(
        reverse("vendors:template-add-section", kwargs={"pk": draft.pk}), {"title_ja": "追加の章", "title_en": "Extra"}
    )
    assert response.status_code == 302
    assert list(draft.sections.order_by("position", "id"))[-1].title_en == "Extra"


def test_an_invalid_question_is_not_saved_and_the_errors_are_shown(client, draft, reviewer):
    section, _first, _second = first_questions(draft)
    client.force_login(reviewer)
    count = section.questions.count()
    response = client.post(
        reverse("vendors:question-create", kwargs={"section": section.pk}),
        question_data(options="yes | はい | Yes", knockout_values="maybe"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"options"}
    assert section.questions.count() == count


# --- Answers stay with the version they answered -----------------------------------------------------------


def test_an_assessment_keeps_its_version_after_a_new_one_is_published(client, genai, v1, reviewer, media_root):
    assessment, token = send_assessment(reviewer)
    assert client.post(vendor_url(token), post_data(assessment, files=False)).status_code == 302
    v1_questions = questions_of_version(v1)
    before = snapshot(v1)

    # Version 2: reword the first question, drop the second, add one; publish.
    draft = questionnaires.start_new_version(genai, reviewer)
    section, first, second = first_questions(draft)
    questionnaires.save_question(section, reviewer, {"text_en": "Reworded in v2", "text_ja": "第2版の文言"}, first)
    questionnaires.delete_question(second, reviewer)
    questionnaires.save_question(
        section,
        reviewer,
        {"text_ja": "第2版の新問", "text_en": "New in v2", "answer_type": "text", "options": [], "knockout_values": []},
    )
    questionnaires.publish_version(draft, reviewer)

    assessment.refresh_from_db()
    assert assessment.template_version_id == v1.pk
    assert snapshot(v1)["questions"] == before["questions"]
    assert [q.pk for q in assessments.questions_of(assessment)] == [q.pk for q in v1_questions]
    assert set(assessment.answers.values_list("question__section__version", flat=True)) == {v1.pk}

    # The vendor still sees (and submits) the questions of version 1.
    page = client.get(vendor_url(token))
    assert page.status_code == 200
    html = page.content.decode()
    with translation.override(assessment.contact.language):
        assert contains(page, v1_questions[0].localized_text)
    assert "第2版の文言" not in html and "Reworded in v2" not in html
    assert "第2版の新問" not in html and "New in v2" not in html
    response = client.post(vendor_url(token), post_data(assessment, button="submit"))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.answers.count() == len(v1_questions)

    # The reviewer sees the answers beside the version 1 questions.
    client.force_login(reviewer)
    review = client.get(assessment.get_absolute_url())
    assert [row["question"].pk for row in review.context["rows"]] == [q.pk for q in v1_questions]

    # A new assessment gets version 2.
    later, _token = send_assessment(reviewer)
    assert later.template_version_id == draft.pk
    texts = [q.text_en for q in assessments.questions_of(later)]
    assert "Reworded in v2" in texts and "New in v2" in texts and second.text_en not in texts


def test_a_draft_cannot_be_sent(genai, v1, reviewer):
    from tests.factories import VendorContactFactory

    draft = questionnaires.start_new_version(genai, reviewer)
    contact = VendorContactFactory()
    with pytest.raises(ValidationError):
        assessments.send_assessment(contact.vendor, contact, draft, reviewer)


# --- QuestionForm validation -------------------------------------------------------------------------------

INVALID_QUESTIONS = [
    # (label, changes, field with the error)
    ("option line with three parts", {"options": "yes | はい | Yes"}, "options"),
    ("option line with five parts", {"options": "yes | はい | Yes | 1 | extra"}, "options"),
    ("option without value", {"options": " | はい | Yes | 1"}, "options"),
    ("points not a number", {"options": "yes | はい | Yes | high"}, "options"),
    ("points above 1", {"options": "yes | はい | Yes | 1.5"}, "options"),
    ("points below 0", {"options": "yes | はい | Yes | -0.1"}, "options"),
    ("points NaN", {"options": "yes | はい | Yes | nan"}, "options"),
    ("duplicate option values", {"options": "yes | はい | Yes | 1\nyes | いいえ | No | 0"}, "options"),
    ("single choice without options", {"options": ""}, "options"),
    ("multiple choice without options", {"answer_type": "multiple", "options": ""}, "options"),
    ("yes/no without options", {"answer_type": "yes_no", "options": "  \n"}, "options"),
    ("knockout not among the options", {"knockout_values": "maybe"}, "knockout_values"),
    ("one of two knockouts unknown", {"knockout_values": "no, perhaps"}, "knockout_values"),
    (
        "knockout on a text question",
        {"answer_type": "text", "options": "", "knockout_values": "bad"},
        "knockout_values",
    ),
    ("weight above 5", {"weight": "6"}, "weight"),
    ("weight below 0", {"weight": "-1"}, "weight"),
    ("unknown answer type", {"answer_type": "video"}, "answer_type"),
    ("no Japanese text", {"text_ja": ""}, "text_ja"),
]


@pytest.mark.parametrize(
    "changes, field", [row[1:] for row in INVALID_QUESTIONS], ids=[row[0] for row in INVALID_QUESTIONS]
)
def test_question_form_refuses(changes, field):
    form = QuestionForm(data=question_data(**changes))
    assert not form.is_valid()
    assert field in form.errors


VALID_QUESTIONS = [
    # (label, changes, expected options, expected knockout values)
    (
        "options trimmed, blank lines skipped",
        {"options": "\n  yes|はい|Yes|1  \n\n no | いいえ | No | 0.25 \n"},
        [
            {"value": "yes", "ja": "はい", "en": "Yes", "points": 1.0},
            {"value": "no", "ja": "いいえ", "en": "No", "points": 0.25},
        ],
        [],
    ),
    ("knockout among the options", {"knockout_values": "no"}, None, ["no"]),
    ("knockout on an empty answer", {"knockout_values": "no, (empty)"}, None, ["no", ""]),
    ("text question, empty knockout", {"answer_type": "text", "options": "", "knockout_values": "(empty)"}, [], [""]),
    ("number question, no options", {"answer_type": "number", "options": ""}, [], []),
]


@pytest.mark.parametrize(
    "changes, options, knockouts", [row[1:] for row in VALID_QUESTIONS], ids=[row[0] for row in VALID_QUESTIONS]
)
def test_question_form_accepts(changes, options, knockouts):
    form = QuestionForm(data=question_data(**changes))
    assert form.is_valid(), form.errors
    if options is not None:
        assert form.cleaned_data["options"] == options
    assert form.cleaned_data["knockout_values"] == knockouts


def test_every_seeded_question_survives_the_edit_form_unchanged(v1):
    """What the edit page pre-fills is valid and cleans back to the stored question."""
    for question in questions_of_version(v1) + questions_of_version(published_version("open-model-readiness")):
        form = QuestionForm(data=form_data_for(question))
        assert form.is_valid(), (question.pk, form.errors)
        for field in QUESTION_FIELDS:
            assert form.cleaned_data[field] == getattr(question, field), (question.pk, field)


@pytest.mark.parametrize("state", ["draft", "retired"])
def test_only_the_published_version_can_be_sent_through_the_api(genai, v1, reviewer, state):
    from tests.factories import VendorContactFactory
    from vendors.models import Assessment

    draft = questionnaires.start_new_version(genai, reviewer)
    if state == "retired":
        questionnaires.publish_version(draft, reviewer)
        target = v1
    else:
        target = draft
    contact = VendorContactFactory()
    response = api_client_for(reviewer).post(
        "/api/v1/assessments/",
        {"vendor": contact.vendor.pk, "contact": contact.pk, "template_version": target.pk},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "template_version" in response.json()
    assert not Assessment.objects.exists()
