"""What the API refuses, and how: unknown and read-only fields,
choices, deeply nested and oversized JSON, paths with a line break, empty ``page`` and
``ordering``. Every refusal is a JSON answer naming what was wrong, never a 500 or an
HTML page."""

import json

import pytest
from django.test import Client

from portal.services import create_api_token
from tests.conftest import api_client_for
from tests.usecases.test_api import COMPLETE
from usecases.models import UseCase

pytestmark = pytest.mark.django_db
BASE = "/api/v1/use-cases/"


def test_an_unknown_field_is_refused_naming_it_and_nothing_is_saved(requester):
    payload = {**COMPLETE, "style": "closed_api"}
    del payload["intended_style"]
    response = api_client_for(requester).post(BASE, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"style"}
    assert "Unknown field" in response.json()["style"][0] or "不明な項目" in response.json()["style"][0]
    assert not UseCase.objects.exists()


def test_unknown_fields_of_nested_objects_and_read_only_fields_are_refused_with_the_others(requester):
    payload = {
        **COMPLETE,
        "reference": "UC-9999",
        "tasks": [{"description": "構成案を作る", "performer": "ai", "who": "ai"}],
        "monthly_requests": "many",
    }
    response = api_client_for(requester).post(BASE, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["reference"] == ["Read-only field: it cannot be set here."]
    assert body["tasks"] == {"0": {"who": ["Unknown field: this operation does not take it."]}}
    # The other problems of the same request are reported at once.
    assert "monthly_requests" in body


def test_an_unknown_field_is_refused_on_a_partial_update_and_an_action(requester, reviewer):
    client = api_client_for(requester)
    reference = client.post(BASE, COMPLETE, format="json").json()["reference"]
    response = client.patch(f"{BASE}{reference}/", {"titel": "typo"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"titel"}
    assert UseCase.objects.get(reference=reference).title == COMPLETE["title"]
    withdraw = client.post(f"{BASE}{reference}/withdraw/", {"reason": "x", "comment": "y"}, format="json")
    assert withdraw.status_code == 400
    assert set(withdraw.json()) == {"reason"}


def test_a_choice_refused_lists_the_values_allowed(requester):
    response = api_client_for(requester).post(
        BASE, {**COMPLETE, "intended_style": "foo"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    message = response.json()["intended_style"][0]
    assert message.startswith('"foo" is not a valid choice. Allowed: ')
    assert "closed_api" in message and "closed_saas" in message
    # Declared choice fields too (not only those built from a model), in Japanese as well.
    japanese = api_client_for(requester).post(
        "/api/v1/recommendations/", {"category": "nope"}, format="json", HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert japanese.status_code == 400
    assert "content_seo" in japanese.json()["category"][0]
    assert "Allowed" not in japanese.json()["category"][0]


@pytest.fixture
def token_client(requester):
    _token, key = create_api_token(requester, "input limits")
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"title": ' + '{"a": ' * 600 + "1" + "}" * 601])
def test_deeply_nested_json_is_a_json_400_not_a_server_error(token_client, body):
    for url in (BASE, "/api/v1/recommendations/", "/api/v1/prompt-templates/"):
        response = token_client.post(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content[:200])
        assert response["Content-Type"] == "application/json"
        assert "nested" in response.json()["detail"]
    assert not UseCase.objects.exists()


def test_json_nested_as_deep_as_real_bodies_is_still_read(token_client):
    response = token_client.post(BASE, json.dumps(COMPLETE), content_type="application/json")
    assert response.status_code == 201


def test_a_json_body_above_the_memory_limit_is_a_json_413(token_client, settings):
    body = json.dumps({"title": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    assert len(body) < settings.MAX_REQUEST_BYTES
    response = token_client.post(BASE, body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/use-cases/a%0Ab/", "/api/v1/use-%0Acases/", "/api/v1/%0A/", "/api/v1/use-cases/%0A", "/api/%0A/"],
)
def test_an_api_path_with_a_line_break_is_a_json_404(token_client, path):
    response = token_client.get(path, follow=True)
    assert response.status_code == 404, path
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "url",
    [f"{BASE}?page=", f"{BASE}?page=abc", f"{BASE}?page=0", "/api/v1/departments/?page="],
)
def test_a_page_that_is_not_a_positive_number_is_a_400_naming_page(token_client, url):
    response = token_client.get(url)
    assert response.status_code == 400, url
    assert list(response.json()) == ["page"]


def test_a_page_beyond_the_last_is_still_a_404(token_client):
    assert token_client.get(f"{BASE}?page=3").status_code == 404
    assert token_client.get(f"{BASE}?page=1").status_code == 200
    assert token_client.get(f"{BASE}?page=last").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}?ordering=",
        "/api/v1/departments/?ordering=",
        "/api/v1/departments/?ordering=%20",
        "/api/v1/departments/?ordering=name,",
        "/api/v1/departments/?ordering=password",
        "/api/v1/licences/?ordering=",
    ],
)
def test_an_empty_or_unknown_ordering_is_a_400_naming_it(token_client, url):
    response = token_client.get(url)
    assert response.status_code == 400, url
    assert list(response.json()) == ["ordering"]


def test_an_unknown_ordering_lists_the_fields_allowed(token_client):
    message = token_client.get("/api/v1/departments/?ordering=password").json()["ordering"][0]
    assert "name" in message and "code" in message


def test_a_valid_ordering_still_orders(token_client, marketing, sales):
    names = [row["code"] for row in token_client.get("/api/v1/departments/?ordering=-code,name").json()["results"]]
    assert names == sorted(names, reverse=True)
    assert token_client.get(f"{BASE}?ordering=-created_at").status_code == 200


def test_an_unknown_field_of_a_multipart_upload_is_refused_naming_it(requester):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from governance.models import TrainingCourse

    TrainingCourse.objects.create(key="genai-basics", title_ja="生成AI基礎")
    evidence = SimpleUploadedFile("cert.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = api_client_for(requester).post(
        "/api/v1/training-completions/",
        {"course": "genai-basics", "completed_on": "2026-11-02", "evidence": evidence, "grade": "A"},
        format="multipart",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"grade"}


@pytest.mark.parametrize(
    "path, query, field",
    [
        ("/api/v1/use-cases/", "category=horoscopes", "category"),
        ("/api/v1/use-cases/", "status=draft&status=lost", "status"),
        ("/api/v1/adoption/summary/", "category=horoscopes", "category"),
    ],
)
def test_a_query_choice_refused_lists_the_values_allowed(executive, path, query, field):
    response = api_client_for(executive).get(f"{path}?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    [message] = response.json()[field]
    assert "Allowed:" in message and "is not a valid choice" in message
    allowed = message.split("Allowed:", 1)[1]
    assert ("draft" in allowed) if field == "status" else ("content_seo" in allowed)
