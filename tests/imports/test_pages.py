"""The import pages: templates (round trip), upload, preview, confirm, background progress, all or nothing."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from imports.choices import ImportStatus, RowOutcome
from imports.models import ImportJob
from portal.models import AuditEvent
from tests.factories import AIModelFactory, UseCaseFactory, VendorFactory
from tests.imports.helpers import USE_CASE_HEADER, csv_bytes, use_case_row
from usecases.models import Kpi, UseCase, UseCaseTask
from vendors.models import AIModel, Vendor

pytestmark = pytest.mark.django_db


def _client(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def _download(client, kind, fmt, filled=True):
    response = client.get(
        reverse("imports:template", kwargs={"kind": kind, "fmt": fmt}) + ("?filled=1" if filled else "")
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def _upload(client, kind, content, name):
    return client.post(reverse("imports:index"), {"kind": kind, "file": SimpleUploadedFile(name, content)})


def _snapshot():
    return (
        list(UseCase.objects.order_by("pk").values()),
        list(UseCaseTask.objects.order_by("pk").values()),
        list(Kpi.objects.order_by("pk").values()),
        list(Vendor.objects.order_by("pk").values()),
        list(AIModel.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action="import").count(),
    )


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_round_trip_changes_nothing(client, admin_user, marketing, fmt, language):
    """Export the templates filled from existing records, import them: every row unchanged."""
    model = AIModelFactory(name="=tricky", hosting_options=["vendor_cloud", "self_hosted"])
    VendorFactory(name="-minus vendor", processing_regions=["JP", "US"], training_use="opt_out")
    draft = UseCaseFactory(complete=True, owner=admin_user, summary="@mention and =formula text")
    draft.model_choices.create(ai_model=model, deployment="closed_api", request_share=100)
    client = _client(client, admin_user, language)
    before = _snapshot()
    for kind in ("vendors", "ai_models", "use_cases"):
        content = _download(client, kind, fmt)
        response = _upload(client, kind, content, f"{kind}.{fmt}")
        assert response.status_code == 302, response.content.decode()[:2000]
        job = ImportJob.objects.latest("pk")
        assert job.status == ImportStatus.READY, [row["errors"] for row in job.preview]
        assert job.rows_total >= 1
        assert {row["outcome"] for row in job.preview} == {RowOutcome.UNCHANGED}, job.preview
        assert client.post(reverse("imports:confirm", kwargs={"pk": job.pk})).status_code == 302
    assert _snapshot() == before


def test_empty_templates_have_the_headers_in_the_readers_language(client, requester):
    workbook = load_workbook(io.BytesIO(_download(_client(client, requester, "ja"), "use_cases", "xlsx", False)))
    header = [cell.value for cell in next(workbook.active.iter_rows())]
    assert header[:3] == ["外部ID", "タイトル", "概要"]
    csv_text = _download(_client(client, requester, "en"), "use_cases", "csv", False).decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("External ID,Title,Summary")


def test_upload_preview_confirm_on_the_pages(client, requester):
    client = _client(client, requester)
    content = csv_bytes([USE_CASE_HEADER, use_case_row("P-1"), use_case_row("P-2", Category="Astrology")])
    response = _upload(client, "use_cases", content, "inventory.csv")
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Errors to correct" in page
    assert "<strong>Category</strong>: “Astrology” is not one of the allowed values" in page
    assert 'id="confirm-import"' not in page
    assert client.post(reverse("imports:confirm", kwargs={"pk": job.pk})).status_code == 302
    assert not UseCase.objects.exists()

    _upload(client, "use_cases", csv_bytes([USE_CASE_HEADER, use_case_row("P-1")]), "fixed.csv")
    job = ImportJob.objects.latest("pk")
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'id="confirm-import"' in page
    response = client.post(reverse("imports:confirm", kwargs={"pk": job.pk}), follow=True)
    assert "Imported: every row was written." in response.content.decode()
    assert UseCase.objects.count() == 1


def test_a_header_problem_is_shown_on_the_upload_page(client, requester):
    response = _upload(_client(client, requester), "use_cases", csv_bytes([["Title"], ["x"]]), "bad.csv")
    assert response.status_code == 400
    assert "The required column “External ID” is missing." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_someone_elses_import_is_hidden(client, requester, other_requester):
    _upload(_client(client, requester), "use_cases", csv_bytes([USE_CASE_HEADER, use_case_row("H-1")]), "a.csv")
    job = ImportJob.objects.get()
    client = _client(client, other_requester)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.post(reverse("imports:confirm", kwargs={"pk": job.pk})).status_code == 404
    assert not UseCase.objects.exists()


def test_a_failure_in_the_middle_of_confirm_writes_nothing(client, requester, monkeypatch):
    from usecases import services as usecase_services

    real = usecase_services.create_draft
    calls = []

    def failing(user, fields, **kwargs):
        calls.append(fields["title"])
        if len(calls) == 3:
            raise ValidationError({"title": ["A rule refused it."]})
        return real(user, fields, **kwargs)

    monkeypatch.setattr(usecase_services, "create_draft", failing)
    client = _client(client, requester)
    rows = [use_case_row(f"M-{n}", title=f"案 {n}") for n in range(5)]
    _upload(client, "use_cases", csv_bytes([USE_CASE_HEADER, *rows]), "five.csv")
    job = ImportJob.objects.get()
    events = AuditEvent.objects.count()
    client.post(reverse("imports:confirm", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert len(calls) == 3
    assert job.status == ImportStatus.FAILED
    assert job.error == "Row 4: A rule refused it. Nothing was imported."
    assert UseCase.objects.count() == 0 and UseCaseTask.objects.count() == 0
    assert AuditEvent.objects.count() == events
    assert "Row 4: A rule refused it. Nothing was imported." in client.get(job.get_absolute_url()).content.decode()


@override_settings(IMPORT_BACKGROUND_ROWS=3)
def test_large_files_run_in_the_background_with_progress(client, requester, django_capture_on_commit_callbacks):
    client = _client(client, requester)
    rows = [use_case_row(f"B-{n}") for n in range(5)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _upload(client, "use_cases", csv_bytes([USE_CASE_HEADER, *rows]), "big.csv")
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CHECKING
    response = client.get(job.get_absolute_url())
    assert response["Refresh"] == "2"
    assert "0 of 5 rows (0%)" in response.content.decode()
    for callback in callbacks:
        callback()  # the worker (tasks run eagerly in tests)
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and job.rows_done == 5
    assert "Refresh" not in client.get(job.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("imports:confirm", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING and not UseCase.objects.exists()
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and UseCase.objects.count() == 5


def test_who_reaches_the_pages(client, requester, reviewer, executive):
    assert _client(client, executive).get(reverse("imports:index")).status_code == 403
    page = _client(client, reviewer).get(reverse("imports:index")).content.decode()
    assert "Vendors" in page and 'value="use_cases"' not in page
    assert (
        _client(client, reviewer)
        .get(reverse("imports:template", kwargs={"kind": "use_cases", "fmt": "csv"}))
        .status_code
        == 403
    )
    assert (
        _client(client, requester)
        .get(reverse("imports:template", kwargs={"kind": "nonsense", "fmt": "csv"}))
        .status_code
        == 404
    )


def test_errors_name_the_column_in_the_readers_language(client, requester):
    client = _client(client, requester, "ja")
    header = ["外部ID", "タイトル", "カテゴリ"]
    _upload(client, "use_cases", csv_bytes([header, ["JA-1", "要約", "占い"]], encoding="cp932"), "ja.csv")
    page = client.get(ImportJob.objects.get().get_absolute_url()).content.decode()
    assert "<strong>カテゴリ</strong>: " in page and "占い" in page
