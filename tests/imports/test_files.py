"""What is refused before any row is read: too large, zip bombs, files that are not spreadsheets."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from imports import reader, services
from imports.models import ImportJob
from tests.imports.helpers import USE_CASE_HEADER, as_file, csv_bytes, upload, use_case_row, xlsx_bytes
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


class Unreadable(io.BytesIO):
    """A 50 MB upload whose content must never be read."""

    size = FIFTY_MB
    name = "huge.csv"

    def read(self, *args):
        raise AssertionError("the file was read")


def test_a_50_mb_file_is_refused_before_it_is_read(requester):
    with pytest.raises(reader.FileRefused) as refused:
        services.upload(requester, "use_cases", Unreadable())
    assert str(refused.value) == (
        "The file is 50.0\xa0MB; files up to 10.0\xa0MB are accepted. Split it and import the parts."
    )
    assert not ImportJob.objects.exists()


def test_the_page_refuses_a_50_mb_upload_from_its_length(client, requester):
    """Refused by the request size guard (413) before Django reads the body."""
    client.force_login(requester)
    response = client.post(
        reverse("imports:index"),
        {"kind": "use_cases", "file": SimpleUploadedFile("huge.csv", b"x" * FIFTY_MB)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert "The request is too large" in response.content.decode()
    assert not ImportJob.objects.exists() and not UseCase.objects.exists()


def test_the_page_refuses_a_file_over_the_import_limit_before_reading_it(client, requester, monkeypatch):
    """Over IMPORT_MAX_BYTES (10 MB) but under the request limit: the import page's own answer,
    given before the CSRF check or anything else parses the body."""
    client.force_login(requester)
    monkeypatch.setattr("django.http.request.HttpRequest._load_post_and_files", _never_called)
    response = client.post(
        reverse("imports:index"),
        {"kind": "use_cases", "file": SimpleUploadedFile("big.csv", b"x" * (20 * 1024 * 1024))},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "files up to 10.0\xa0MB are accepted" in response.content.decode()
    assert not ImportJob.objects.exists()


def _never_called(self):
    raise AssertionError("the body was parsed")


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_like_workbook_is_refused_before_openpyxl_opens_it(requester, monkeypatch):
    opened = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *args, **kwargs: opened.append(args))
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"0" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(reader.FileRefused) as refused:
        upload(requester, "use_cases", bomb, "bomb.xlsx")
    assert str(refused.value).startswith(
        "The workbook is packed suspiciously tightly (it would unpack to 20.0\xa0MB) "
        "and is refused as a possible zip bomb"
    )
    assert opened == [] and not ImportJob.objects.exists()


@override_settings(IMPORT_MAX_UNPACKED_BYTES=1024 * 1024)
def test_a_workbook_unpacking_beyond_the_limit_is_refused(requester):
    content = xlsx_bytes([USE_CASE_HEADER, *[use_case_row(f"U-{n}", title="x" * 150) for n in range(2000)]])
    with pytest.raises(reader.FileRefused):
        upload(requester, "use_cases", content, "big.xlsx")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is not a spreadsheet the portal can read"),
        (b"%PDF-1.4\n\x00\x01binary", "This file is not a spreadsheet the portal can read"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "This is an old Excel (.xls) file"),
        (_zip({"word/document.xml": b"<w/>"}), "This file is not a spreadsheet the portal can read"),
        (b"PK\x03\x04 broken zip", "This file is not a spreadsheet the portal can read"),
        (b"\xff\xfe\xfd\x80\x81", "The CSV file is neither UTF-8 nor Shift_JIS"),
    ],
    ids=["png", "pdf", "xls", "docx-like-zip", "broken-zip", "undecodable"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_clear_message(requester, content, message):
    with pytest.raises(reader.FileRefused) as refused:
        upload(requester, "use_cases", content, "file.bin")
    assert str(refused.value).startswith(message)
    assert not ImportJob.objects.exists()


@override_settings(IMPORT_MAX_ROWS=5)
def test_row_cap(requester):
    content = csv_bytes([USE_CASE_HEADER, *[use_case_row(f"R-{n}") for n in range(10)]])
    with pytest.raises(reader.FileRefused) as refused:
        upload(requester, "use_cases", content)
    assert str(refused.value) == "The file has more than 5 rows; split it and import the parts."


@override_settings(IMPORT_MAX_COLUMNS=10)
def test_column_cap(requester):
    with pytest.raises(reader.FileRefused):
        upload(requester, "use_cases", xlsx_bytes([["x"] * 11]), "wide.xlsx")


def test_formula_cells_of_a_workbook_are_refused(requester):
    content = xlsx_bytes([USE_CASE_HEADER, use_case_row("F-1", Summary="=1+1")])
    job = upload(requester, "use_cases", content, "formula.xlsx")
    assert job.preview[0]["errors"][0]["column"] == "summary"
    assert "looks like a spreadsheet formula" in job.preview[0]["errors"][0]["message"]


def test_an_empty_file_and_a_header_only_file(requester):
    with pytest.raises(services.Invalid):
        upload(requester, "use_cases", b"")
    with pytest.raises(services.Invalid) as refused:
        upload(requester, "use_cases", csv_bytes([USE_CASE_HEADER]))
    assert str(refused.value) == "The file has no rows under its header."


def test_decode_tries_utf8_then_cp932():
    assert reader.decode("外部ID".encode("cp932")) == "外部ID"
    assert reader.decode(b"\xef\xbb\xbf" + "外部ID".encode()) == "外部ID"
    assert as_file(b"x").size == 1
