"""Exports for API clients: every export a page offers is also an API operation
that takes a personal token, with the page's filters and scope, in the requester's language.

Regression: ``/usecases/export.csv`` answered a token with a 302 to the login page; exported
department names stayed Japanese on English requests while the adoption summary said
"Marketing"; the inventory export had no risk-tier column.
"""

import csv
import io

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from portal.exports import XLSX_TYPE
from portal.services import create_api_token
from tests.dashboard.test_dashboard import build_inventory
from tests.factories import UseCaseFactory, approved_vendor
from tests.portal.test_exports import read
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "xlsx"]
# The page's export -> the API operation that serves the same file.
INVENTORY = {
    "csv": ("usecases:export", "/api/v1/use-cases/export.csv"),
    "xlsx": ("usecases:export-xlsx", "/api/v1/use-cases/export.xlsx"),
}
VENDORS = {
    "csv": ("vendors:export", "/api/v1/vendors/export.csv"),
    "xlsx": ("vendors:export-xlsx", "/api/v1/vendors/export.xlsx"),
}


@pytest.fixture
def cases(requester, other_requester, reviewer):
    return build_inventory(requester, other_requester, reviewer)


def token_for(user):
    return create_api_token(user, "BI")[1]


def api_get(client, url, user=None, *, token=None, **headers):
    """GET with ``Authorization: Token <key>`` (a fresh token of ``user``), no session."""
    key = token or (token_for(user) if user else None)
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client.get(url, **headers)


def column(rows, name):
    index = rows[0].index(name)
    return {row[0]: row[index] for row in rows[1:]}


# --- The token is accepted; the page still wants a session -----------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_gets_the_inventory_export_the_page_refuses_it(client, executive, cases, fmt):
    page, api = INVENTORY[fmt]
    key = token_for(executive)
    refused = client.get(reverse(page), HTTP_AUTHORIZATION=f"Token {key}")
    assert refused.status_code == 302 and "/accounts/login/" in refused["Location"]  # pages are for sessions
    response = api_get(client, api, token=key, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    rows = read(response, fmt)
    assert len(rows) == 1 + len(cases)
    assert response["Content-Disposition"].startswith('attachment; filename="use-cases-')


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("persona", ["requester", "other_requester", "executive"])
@pytest.mark.parametrize(
    "query",
    ["", "category=creative", "status=submitted&status=draft", "risk_tier=limited", "style=open", "ordering=title"],
)
def test_the_api_export_is_the_pages_export(client, personas, cases, fmt, persona, query):
    """Same rows (visible_to, filters, order) and the same cells as the page, for the same person."""
    user = personas[persona]
    page, api = INVENTORY[fmt]
    client.force_login(user)
    expected = read(client.get(reverse(page) + f"?{query}", HTTP_ACCEPT_LANGUAGE="en"), fmt)
    client.logout()
    actual = read(api_get(client, f"{api}?{query}", user, HTTP_ACCEPT_LANGUAGE="en"), fmt)
    assert actual == expected


def test_a_requester_does_not_get_another_departments_drafts_through_the_api(client, requester, cases):
    sales_draft = UseCase.objects.get(title="営業の下書き")
    rows = read(api_get(client, INVENTORY["csv"][1], requester), "csv")
    references = {row[0] for row in rows[1:]}
    assert sales_draft.reference not in references and len(references) == 7


# --- Risk tier and language -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_inventory_export_has_the_effective_risk_tier_in_the_readers_language(client, executive, cases, fmt):
    rows = read(api_get(client, INVENTORY[fmt][1], executive, HTTP_ACCEPT_LANGUAGE="en"), fmt)
    tiers = column(rows, "Risk tier")
    by_reference = {case.reference: case for case in cases}
    with translation.override("en"):
        from usecases.choices import RiskTier

        labels = {value: str(label) for value, label in RiskTier.choices}
    assert tiers == {ref: labels.get(case.tier, "") for ref, case in by_reference.items()}
    overridden = next(case for case in cases if case.status == "in_production")  # minimal, raised to limited
    assert tiers[overridden.reference] == "Limited risk (transparency)" == labels["limited"]
    japanese = read(api_get(client, INVENTORY[fmt][1], executive, HTTP_ACCEPT_LANGUAGE="ja"), fmt)
    assert "リスク区分" in japanese[0]
    assert column(japanese, "リスク区分")[overridden.reference] == "限定リスク（透明性義務）"


@pytest.mark.parametrize("fmt", FORMATS)
def test_department_names_follow_the_language_like_the_summary(client, executive, cases, marketing, fmt):
    key = token_for(executive)
    summary = api_get(client, "/api/v1/adoption/summary/", token=key, HTTP_ACCEPT_LANGUAGE="en").json()
    assert "Marketing" in {row["label"] for row in summary["by_department"]}
    english = read(api_get(client, INVENTORY[fmt][1], token=key, HTTP_ACCEPT_LANGUAGE="en"), fmt)
    assert english[0][:4] == ["Reference", "Title", "Status", "Department"]
    assert set(column(english, "Department").values()) == {"Marketing", "Sales", "IT"}
    japanese = read(api_get(client, INVENTORY[fmt][1], token=key, HTTP_ACCEPT_LANGUAGE="ja"), fmt)
    assert set(column(japanese, "部署").values()) == {"マーケティング部", "営業部", "情報システム部"}


def test_the_page_export_names_departments_in_the_readers_language_too(client, executive, cases):
    client.force_login(executive)
    rows = read(client.get(reverse("usecases:export"), HTTP_ACCEPT_LANGUAGE="en"), "csv")
    assert set(column(rows, "Department").values()) == {"Marketing", "Sales", "IT"}


@pytest.mark.parametrize(
    ("headers", "user_language", "query", "expected"),
    [
        ({}, "en", "", "en"),  # a token client stating no language: the user's preference
        ({}, "ja", "", "ja"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "ja", "", "en"),  # what the request states, as on every API answer
        ({"HTTP_ACCEPT_LANGUAGE": "ja"}, "en", "", "ja"),
        ({"HTTP_ACCEPT_LANGUAGE": "ja"}, "ja", "lang=en", "en"),  # ?lang= above all
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "en", "lang=ja", "ja"),
    ],
)
def test_the_language_of_an_api_export(client, executive, cases, headers, user_language, query, expected):
    executive.language = user_language
    executive.save(update_fields=["language"])
    rows = read(api_get(client, f"{INVENTORY['csv'][1]}?{query}", executive, **headers), "csv")
    assert rows[0][0] == {"en": "Reference", "ja": "管理番号"}[expected]
    statuses = set(column(rows, rows[0][2]).values())
    assert ("Draft" in statuses) == (expected == "en") and ("下書き" in statuses) == (expected == "ja")


def test_streamed_rows_keep_the_requested_language_after_the_view_returned(client, executive, cases):
    """A CSV is written while the server streams it, after the view's language override ended."""
    response = api_get(client, f"{INVENTORY['csv'][1]}?lang=en", executive, HTTP_ACCEPT_LANGUAGE="ja")
    with translation.override("ja"):
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Reference", "Title", "Status", "Department"]
    assert {row[3] for row in rows[1:]} == {"Marketing", "Sales", "IT"}
    assert "Draft" in {row[2] for row in rows[1:]}


# --- Errors are JSON, naming the field --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("query", "field"),
    [("since=not-a-date", "since"), ("department=abc", "department"), ("status=nope", "status"), ("lang=fr", "lang")],
)
def test_an_invalid_filter_is_a_400_naming_the_field(client, executive, fmt, query, field):
    response = api_get(client, f"{INVENTORY[fmt][1]}?{query}", executive, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


@pytest.mark.parametrize(
    ("url", "persona", "expected"),
    [
        (INVENTORY["csv"][1], "outsider", 403),
        (INVENTORY["csv"][1], "anonymous", 401),
        ("/api/v1/audit-events/export.csv", "requester", 403),
        ("/api/v1/audit-events/export.csv", "reviewer", 200),
        ("/api/v1/adoption/export/status.csv", "requester", 403),
        ("/api/v1/adoption/export/status.xlsx", "executive", 200),
        ("/api/v1/adoption/export/nonsense.csv", "executive", 404),
        ("/api/v1/vendors/export.xlsx", "requester", 200),
        ("/api/v1/vendors/export.csv", "outsider", 403),
    ],
)
def test_api_exports_check_the_role(client, personas, url, persona, expected):
    response = api_get(client, url, personas[persona])
    assert response.status_code == expected
    if expected != 200:
        assert response["Content-Type"] == "application/json" and "detail" in response.json()
    else:
        b"".join(response.streaming_content)


# --- The other exports: vendors, audit trail, dashboard tables -------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", ["", "status=approved", "q=条件", "ordering=-name"])
def test_the_vendor_export_through_the_api_is_the_pages(client, requester, fmt, query):
    approved_vendor(name="承認済みベンダー")
    approved_vendor(name="条件付きベンダー", level="internal")
    page, api = VENDORS[fmt]
    client.force_login(requester)
    expected = read(client.get(reverse(page) + f"?{query}", HTTP_ACCEPT_LANGUAGE="en"), fmt)
    client.logout()
    assert read(api_get(client, f"{api}?{query}", requester, HTTP_ACCEPT_LANGUAGE="en"), fmt) == expected
    assert expected[0][:3] == ["Name", "Kind", "Status"]


def test_the_audit_export_through_the_api_is_the_pages(client, reviewer, cases):
    client.force_login(reviewer)
    query = "object_type=usecases.usecase"
    expected = read(client.get(reverse("governance:audit-export") + f"?{query}", HTTP_ACCEPT_LANGUAGE="en"), "csv")
    client.logout()
    response = api_get(client, f"/api/v1/audit-events/export.csv?{query}&lang=en", reviewer)
    assert read(response, "csv") == expected and expected[0][0] == "When"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    with pytest.raises(Resolver404):  # the page offers CSV only
        resolve("/api/v1/audit-events/export.xlsx")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", ["status", "department", "risk-tier", "trend", "cost-value"])
def test_the_dashboard_tables_through_the_api_are_the_pages(client, executive, cases, sales, fmt, table):
    query = f"department={sales.pk}&since=2025-01-01"
    client.force_login(executive)
    expected = read(
        client.get(reverse("dashboard-export", args=[table, fmt]) + f"?{query}", HTTP_ACCEPT_LANGUAGE="en"), fmt
    )
    client.logout()
    response = api_get(client, f"/api/v1/adoption/export/{table}.{fmt}?{query}", executive, HTTP_ACCEPT_LANGUAGE="en")
    assert read(response, fmt) == expected
    assert api_get(client, f"/api/v1/adoption/export/{table}.{fmt}?since=yesterday", executive).json().keys() == {
        "since"
    }


# --- The schema documents each export with its media type -------------------------------------------


def test_every_page_export_is_an_api_operation_with_its_media_type(client):
    schema = client.get("/api/schema/?format=json&lang=en").json()
    expected = {
        "/api/v1/use-cases/export.csv": "text/csv",
        "/api/v1/use-cases/export.xlsx": XLSX_TYPE,
        "/api/v1/vendors/export.csv": "text/csv",
        "/api/v1/vendors/export.xlsx": XLSX_TYPE,
        "/api/v1/audit-events/export.csv": "text/csv",
        "/api/v1/adoption/export/{table}.csv": "text/csv",
        "/api/v1/adoption/export/{table}.xlsx": XLSX_TYPE,
    }
    for path, media_type in expected.items():
        operation = schema["paths"][path]["get"]
        # Excel is also offered as plain bytes, second, for generators that know no Excel type.
        offered = [media_type] if media_type == "text/csv" else [media_type, "application/octet-stream"]
        assert list(operation["responses"]["200"]["content"]) == offered, path
        # CSV is text (a generated client returns a str), Excel binary (a file).
        body = operation["responses"]["200"]["content"][media_type]["schema"]
        assert body == ({"type": "string"} if media_type == "text/csv" else {"type": "string", "format": "binary"})
        assert {"tokenAuth": []} in operation["security"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert "lang" in names
    inventory = {p["name"] for p in schema["paths"]["/api/v1/use-cases/export.csv"]["get"]["parameters"]}
    listing = {p["name"] for p in schema["paths"]["/api/v1/use-cases/"]["get"]["parameters"]}
    assert inventory == (listing - {"page", "page_size"}) | {"lang"}  # the list's filters, no paging
    tables = schema["paths"]["/api/v1/adoption/export/{table}.csv"]["get"]["parameters"]
    from dashboard.views import EXPORT_TABLES

    assert next(p for p in tables if p["name"] == "table")["schema"]["enum"] == sorted(EXPORT_TABLES)


def test_a_client_asking_for_bytes_gets_the_workbook_as_octet_stream(client, executive):
    UseCaseFactory(complete=True)
    plain = api_get(client, "/api/v1/use-cases/export.xlsx", executive)
    as_bytes = api_get(client, "/api/v1/use-cases/export.xlsx", executive, HTTP_ACCEPT="application/octet-stream")
    assert plain["Content-Type"] == XLSX_TYPE
    assert as_bytes["Content-Type"] == "application/octet-stream"
    assert b"".join(as_bytes.streaming_content if as_bytes.streaming else [as_bytes.content])[:2] == b"PK"
