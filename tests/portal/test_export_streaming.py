"""Exports stream their rows: one cursor read by chunks inside a transaction of the export's own,
so PostgreSQL never gets a cursor declared ``WITH HOLD`` (which materialises the whole result
before the first row), and the number of queries does not grow with the rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal import exports
from portal.models import AuditEvent
from portal.services import create_api_token, record_event
from tests.factories import UseCaseFactory
from tests.portal.test_exports import read
from usecases.models import UseCase


@pytest.fixture
def small_chunks(monkeypatch):
    """Rows fetched two at a time and made two at a time, so a handful of rows spans many chunks."""
    monkeypatch.setattr(exports, "CHUNK", 2)
    monkeypatch.setattr(exports, "BATCH", 2)


def open_cursors():
    """(name, holdable) of the server-side cursors open on this connection (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, is_holdable FROM pg_cursors")
        return cursor.fetchall()


# Transactional: between requests the connection is in autocommit, as in production, which is
# when Django would declare a server-side cursor WITH HOLD.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_inventory_csv_streams_through_a_plain_cursor_in_a_transaction(postgres, client, executive, small_chunks):
    cases = UseCaseFactory.create_batch(7)
    client.force_login(executive)
    response = client.get(reverse("usecases:export"))
    assert not connection.in_atomic_block  # nothing is read before the stream starts
    chunks = iter(response.streaming_content)
    assert b"".join([next(chunks), next(chunks), next(chunks)]).count(b"\n") == 2  # header and first row
    cursors = open_cursors()
    assert len(cursors) == 1 and cursors[0][1] is False  # a plain cursor, not WITH HOLD
    assert connection.in_atomic_block
    rest = list(chunks)
    assert len(rest) == len(cases) - 1
    assert not connection.in_atomic_block and open_cursors() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_download_cut_short_ends_the_exports_transaction(client, executive, small_chunks):
    UseCaseFactory.create_batch(7)
    client.force_login(executive)
    response = client.get(reverse("usecases:export"))
    chunks = iter(response.streaming_content)
    for _chunk in range(4):
        next(chunks)
    assert connection.in_atomic_block
    response.close()  # what the server does when the client goes away
    assert not connection.in_atomic_block and connection.get_autocommit()


def export_queries(client, url, **headers):
    """The queries of one export, streamed to its end, and its rows."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
        body = b"".join(response.streaming_content)
    fmt = "xlsx" if url.endswith("xlsx") else "csv"
    response.streaming_content = iter([body])
    return len(captured.captured_queries), read(response, fmt)


@pytest.mark.parametrize(
    "url",
    [
        "/usecases/export.csv",
        "/usecases/export.xlsx",
        "/api/v1/use-cases/export.csv",
        "/api/v1/use-cases/export.xlsx",
        "/governance/audit/export.csv",
        "/api/v1/audit-events/export.csv",
    ],
)
def test_an_exports_queries_do_not_grow_with_its_rows(client, admin_user, requester, small_chunks, url):
    headers = {}
    if url.startswith("/api/"):
        headers["HTTP_AUTHORIZATION"] = f"Token {create_api_token(admin_user, 'BI')[1]}"
    else:
        client.force_login(admin_user)
    export_queries(client, url, **headers)  # once first: a token's first use is recorded, once
    counts = []
    for size in (3, 12):
        while UseCase.objects.count() < size:
            record_event(UseCaseFactory(owner=requester), "create", requester)
        queries, rows = export_queries(client, url, **headers)
        expected = AuditEvent.objects.count() if "audit" in url else UseCase.objects.count()
        assert len(rows) == 1 + expected and expected >= size
        counts.append(queries)
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_inventorys_times_are_the_local_times_to_the_microsecond(client, executive, fmt):
    """Times are read as UTC text from the database and written as ``localtime(value).isoformat()``."""
    with_fraction = UseCaseFactory()
    UseCase.objects.filter(pk=with_fraction.pk).update(
        submitted_at=datetime.datetime(2025, 3, 31, 16, 30, 5, 120, tzinfo=datetime.UTC),
        updated_at=datetime.datetime(2025, 12, 31, 23, 59, 59, tzinfo=datetime.UTC),
    )
    client.force_login(executive)
    rows = read(client.get(f"/usecases/export.{fmt}"), fmt)
    row = next(row for row in rows if row[0] == with_fraction.reference)
    assert row[-2:] == ["2025-04-01T01:30:05.000120+09:00", "2026-01-01T08:59:59+09:00"]
    stored = UseCase.objects.get(pk=with_fraction.pk)
    assert row[-1] == timezone.localtime(stored.updated_at).isoformat()
