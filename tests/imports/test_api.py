"""The import API: upload -> preview JSON, confirm, status; roles and refusals."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob
from tests.conftest import api_client_for
from tests.imports.helpers import USE_CASE_HEADER, csv_bytes, use_case_row
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"


def _post(client, kind, content, name="inventory.csv"):
    return client.post(
        URL, {"kind": kind, "file": SimpleUploadedFile(name, content)}, format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )


def test_upload_preview_confirm_status(requester):
    client = api_client_for(requester)
    content = csv_bytes([USE_CASE_HEADER, use_case_row("API-1"), use_case_row("API-2", Category="Astrology")])
    response = _post(client, "use_cases", content)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "invalid" and body["counts"] == {
        "create": 1,
        "update": 0,
        "unchanged": 0,
        "skip": 0,
        "error": 1,
    }
    assert body["rows"][1]["errors"][0]["column"] == "category"
    assert body["rows"][1]["errors"][0]["header"] == "Category"
    confirm = client.post(f"{URL}{body['id']}/confirm/", {}, format="json")
    assert confirm.status_code == 409
    assert not UseCase.objects.exists()

    body = _post(client, "use_cases", csv_bytes([USE_CASE_HEADER, use_case_row("API-1")])).json()
    assert body["status"] == "ready"
    confirm = client.post(f"{URL}{body['id']}/confirm/", {}, format="json")
    assert confirm.status_code == 200 and confirm.json()["status"] == "done"
    assert UseCase.objects.count() == 1
    status = client.get(f"{URL}{body['id']}/").json()
    assert status["counts"]["create"] == 1 and status["percent"] == 100
    listed = client.get(URL).json()
    assert [item["id"] for item in listed["results"]] == [body["id"], body["id"] - 1]
    assert "rows" not in listed["results"][0]


def test_refusals(requester, other_requester, reviewer, executive):
    content = csv_bytes([USE_CASE_HEADER, use_case_row("R-1")])
    assert _post(api_client_for(executive), "use_cases", content).status_code == 403
    assert _post(api_client_for(reviewer), "use_cases", content).status_code == 403
    assert _post(api_client_for(None), "use_cases", content).status_code == 401
    bad_kind = _post(api_client_for(requester), "planets", content)
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()
    not_sheet = _post(api_client_for(requester), "use_cases", b"\x89PNG\r\n\x1a\n\x00\x00", "x.png")
    assert not_sheet.status_code == 400
    assert not_sheet.json()["file"][0].startswith("This file is not a spreadsheet")
    header = _post(api_client_for(requester), "use_cases", csv_bytes([["Title"], ["x"]]))
    assert header.status_code == 400 and "The required column “External ID” is missing." in header.json()["file"]
    job_id = _post(api_client_for(requester), "use_cases", content).json()["id"]
    assert api_client_for(other_requester).get(f"{URL}{job_id}/").status_code == 404
    assert api_client_for(other_requester).post(f"{URL}{job_id}/confirm/", {}, format="json").status_code == 404
    unknown = api_client_for(requester).post(f"{URL}{job_id}/confirm/", {"force": True}, format="json")
    assert unknown.status_code == 400
    json_upload = api_client_for(requester).post(URL, {"kind": "use_cases"}, format="json")
    assert json_upload.status_code == 400 and set(json_upload.json()) == {"file_name", "content"}
    bad_base64 = api_client_for(requester).post(
        URL, {"kind": "use_cases", "file_name": "x.csv", "content": "not base64!"}, format="json"
    )
    assert bad_base64.status_code == 400 and "content" in bad_base64.json()
    assert ImportJob.objects.count() == 1 and not UseCase.objects.exists()


def test_json_upload_with_base64_content(requester):
    import base64

    content = base64.b64encode(csv_bytes([USE_CASE_HEADER, use_case_row("J-1")])).decode()
    response = api_client_for(requester).post(
        URL, {"kind": "use_cases", "file_name": "inventory.csv", "content": content}, format="json"
    )
    assert response.status_code == 201 and response.json()["status"] == "ready"
    assert response.json()["file_name"] == "inventory.csv"


def test_a_file_over_the_limit_is_refused_before_reading(requester):
    response = _post(api_client_for(requester), "use_cases", b"x" * (20 * 1024 * 1024), "big.csv")
    assert response.status_code == 413
    assert response.json()["file"][0].startswith("The file is 20.0")
    assert not ImportJob.objects.exists()
