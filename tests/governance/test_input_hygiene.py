"""Titles of policies, training courses and prompt templates must show something and stay on
one line (the shared portal.validators, through the model, in the API and the pages)."""

import pytest

from governance.models import PolicyDocument, PromptTemplate, TrainingCourse
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

ZERO_WIDTH = "\u200b\u200d\ufeff"
POLICIES = "/api/v1/policies/"
COURSES = "/api/v1/training-courses/"
PROMPTS = "/api/v1/prompt-templates/"


@pytest.mark.parametrize("title", [ZERO_WIDTH, "\u3000\u200b", "一行目\r\n二行目"])
def test_a_policy_title_must_be_visible_and_one_line(admin_user, title):
    response = api_client_for(admin_user).post(
        POLICIES, {"key": "rules", "title_ja": title, "kind": "other"}, format="json"
    )
    assert response.status_code == 400 and "title_ja" in response.json()
    assert not PolicyDocument.objects.exists()


def test_an_optional_english_title_may_be_empty_but_not_invisible(admin_user):
    client = api_client_for(admin_user)
    payload = {"key": "prompting", "title_ja": "プロンプト研修", "validity_months": 24, "required": False}
    refused = client.post(COURSES, {**payload, "title_en": ZERO_WIDTH}, format="json")
    assert refused.status_code == 400 and "title_en" in refused.json()
    assert client.post(COURSES, {**payload, "title_en": ""}, format="json").status_code == 201
    assert TrainingCourse.objects.get().title_en == ""


def test_a_prompt_title_must_be_visible(requester):
    payload = {"title": ZERO_WIDTH, "category": "creative", "body": "b"}
    response = api_client_for(requester).post(PROMPTS, payload, format="json")
    assert response.status_code == 400 and set(response.json()) == {"title"}
    assert not PromptTemplate.objects.exists()
