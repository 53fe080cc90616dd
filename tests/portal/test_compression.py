"""Responses are gzip-compressed for clients that accept it (Django's GZipMiddleware): the JSON
API, HTML pages and streamed CSV exports decompress to exactly the body an uncompressed request
gets. Against BREACH, every compressed body carries a random amount of padding and the CSRF
token on a page is masked anew on every request."""

import gzip
import json
import re

import pytest
from django.urls import reverse

from tests.conftest import api_client_for
from tests.factories import UseCaseFactory

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def use_cases(requester):
    return [UseCaseFactory(owner=requester, complete=True, title=f"翻訳の下書き {n}") for n in range(12)]


def test_api_json_is_gzipped_when_accepted_and_decompresses_to_the_same_body(executive, use_cases):
    client = api_client_for(executive)
    plain = client.get("/api/v1/use-cases/?page_size=50")
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    compressed = client.get("/api/v1/use-cases/?page_size=50", **GZIP)
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]  # caches keep the two apart
    assert int(compressed["Content-Length"]) == len(compressed.content) < len(plain.content) / 3
    assert gzip.decompress(compressed.content) == plain.content
    assert len(json.loads(gzip.decompress(compressed.content))["results"]) == 12


def test_gzip_length_varies_from_response_to_response(executive, use_cases):
    """Django's "Heal the Breach" padding: the same JSON compresses to different lengths, so the
    length no longer tells an attacker whether guessed text matched."""
    client = api_client_for(executive)
    lengths = {len(client.get("/api/v1/use-cases/", **GZIP).content) for _ in range(12)}
    assert len(lengths) > 1


def test_html_is_gzipped_and_its_csrf_token_changes_on_every_request(client, executive, use_cases):
    client.force_login(executive)
    plain = client.get(reverse("usecases:list"))
    first, second = (client.get(reverse("usecases:list"), **GZIP) for _ in range(2))
    assert first["Content-Encoding"] == second["Content-Encoding"] == "gzip"
    pages = [plain.content, gzip.decompress(first.content), gzip.decompress(second.content)]
    tokens = [CSRF_TOKEN.findall(page) for page in pages]
    assert all(tokens) and len({found[0] for found in tokens}) == 3  # masked anew each time
    blanked = {CSRF_TOKEN.sub(b"", page) for page in pages}
    assert len(blanked) == 1  # otherwise the same page
    assert "翻訳の下書き 11".encode() in pages[1]


def test_a_streamed_csv_export_is_gzipped_and_complete(client, executive, use_cases):
    client.force_login(executive)
    plain = client.get(reverse("usecases:export"))
    compressed = client.get(reverse("usecases:export"), **GZIP)
    assert compressed.streaming and compressed["Content-Encoding"] == "gzip"
    assert "Content-Length" not in compressed
    rows = body(plain)
    assert gzip.decompress(body(compressed)) == rows
    assert rows.count(b"\n") == 13  # the header and every use case


def test_short_and_unaccepted_responses_stay_plain(client, executive):
    assert "Content-Encoding" not in client.get("/health/", **GZIP)  # under 200 bytes: not worth it
    client.force_login(executive)
    assert "Content-Encoding" not in client.get(reverse("dashboard"))
