"""The executive dashboard (/dashboard/): who may open it, its figures against
``dashboard.adoption``, the filters, the links from every figure to the inventory behind
it, the chart data, the language and the number of queries."""

import datetime
import json
import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dashboard import adoption
from tests.factories import DepartmentFactory, UseCaseFactory, UserFactory
from usecases.choices import STYLE_FAMILY, RoadmapStep, UseCaseStatus
from usecases.models import UseCase

TOKYO = ZoneInfo("Asia/Tokyo")
LIVE = {"approved", "piloting", "in_production"}
# What a roadmap step counts: a use case suspended after an incident keeps its step.
IN_PROGRESS = {"draft", "submitted", "in_review", "changes_requested", *LIVE, "suspended"}
THIS_MONTH = datetime.date(2025, 7, 1)


@pytest.fixture(autouse=True)
def this_month(monkeypatch):
    """The trend and the ROI period run to the current month: July 2025 here, so the 2025
    fixture's figures do not depend on the day the tests run."""
    monkeypatch.setattr("usecases.returns.this_month", lambda: THIS_MONTH)
    return THIS_MONTH


@dataclass
class Case:
    """What the fixture made, to compute the expected figures without ``dashboard.adoption``."""

    reference: str
    department: int
    category: str
    style: str  # the family: closed, open, hybrid or ""
    status: str
    step: int
    tier: str  # the effective tier
    created: datetime.date


def make_use_case(owner, created, *, status="draft", step=1, category="", style="", tier="", override="", **fields):
    """A use case in any state, registered on ``created`` (noon in Tokyo), with the dates the trend reads."""
    use_case = UseCaseFactory(owner=owner, category=category, intended_style=style, **fields)
    when = datetime.datetime.combine(created, datetime.time(12), tzinfo=TOKYO)
    updates = {"status": status, "roadmap_step": step, "risk_tier": tier, "created_at": when}
    if override:
        updates.update(risk_tier_override=override, risk_tier_justification="審査で変更")
    if status not in ("draft", "withdrawn"):
        updates["submitted_at"] = when
    if status in LIVE | {"retired"}:
        updates["approved_at"] = when + datetime.timedelta(days=1)
    if status == "in_production":
        updates["went_live_at"] = when + datetime.timedelta(days=2)
    if status == "retired":
        updates["retired_at"] = when + datetime.timedelta(days=3)
    UseCase.objects.filter(pk=use_case.pk).update(**updates)
    use_case.refresh_from_db()
    return use_case


# owner, registered on, status, roadmap step, category, intended style, risk tier, reviewer's override
INVENTORY = """
requester        2025-01-10 approved      3 creative      closed_api       high       -
requester        2025-02-15 draft         1 analytics     open_self_hosted -          -
requester        2025-03-20 in_production 5 creative      hybrid           minimal    limited
other_requester  2025-03-25 submitted     1 creative      closed_saas      limited    -
other_requester  2025-04-05 piloting      4 sales_support open_cloud       minimal    -
other_requester  2025-05-05 draft         1 -             -                -          -
reviewer         2025-06-01 retired       6 other         closed_api       high       -
reviewer         2025-06-10 rejected      2 analytics     open_self_hosted prohibited -
"""


def build_inventory(requester, other_requester, reviewer):
    """The eight use cases of INVENTORY in three departments; returns their Case records."""
    owners = {"requester": requester, "other_requester": other_requester, "reviewer": reviewer}
    cases = []
    for line in INVENTORY.strip().splitlines():
        owner, created, status, step, *rest = line.split()
        category, style, tier, override = ("" if value == "-" else value for value in rest)
        created = datetime.date.fromisoformat(created)
        extra = {"title": "営業の下書き"} if owner == "other_requester" and status == "draft" else {}
        spec = {"status": status, "step": int(step), "category": category, "style": style, "tier": tier}
        use_case = make_use_case(owners[owner], created, override=override, **spec, **extra)
        family = STYLE_FAMILY.get(style, "")
        effective = override or tier
        row = (use_case.reference, use_case.department_id, category, family, status, int(step), effective, created)
        cases.append(Case(*row))
    return cases


@pytest.fixture
def cases(requester, other_requester, reviewer):
    return build_inventory(requester, other_requester, reviewer)


def matches(case, params):
    """The dashboard's filters (and the inventory's own ones the links add), in plain Python."""
    checks = {
        "department": lambda values: str(case.department) in values,
        "category": lambda values: case.category in values,
        "since": lambda values: case.created >= datetime.date.fromisoformat(values[0]),
        "until": lambda values: case.created <= datetime.date.fromisoformat(values[0]),
        "status": lambda values: case.status in values,
        "roadmap_step": lambda values: str(case.step) in values,
        "style": lambda values: case.style in values,
        "risk_tier": lambda values: case.tier in values,
    }
    return all(checks[name](values) for name, values in params.items())


class PageParser(HTMLParser):
    """Links with the id of their table (or their own id), and the JSON of a script by id."""

    def __init__(self):
        super().__init__()
        self.tables, self.links, self.scripts = [], [], {}
        self._link = None
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append(attrs.get("id"))
        elif tag == "a":
            self._link = [self.tables[-1] if self.tables else attrs.get("id"), attrs.get("href"), ""]
        elif tag == "script" and attrs.get("id"):
            self._script = attrs["id"]
            self.scripts[self._script] = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.tables.pop()
        elif tag == "a" and self._link:
            self.links.append((self._link[0], self._link[1], self._link[2].strip()))
            self._link = None
        elif tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._link:
            self._link[2] += data
        if self._script:
            self.scripts[self._script] += data


def parse(response):
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


# The dashboard's figure tables and the inventory filter each of their links adds.
FIGURE_TABLES = dict(
    (("by-status", "status"), ("by-step", "roadmap_step"), ("by-style", "style")),
    **{"by-department": "department", "by-category": "category", "by-risk-tier": "risk_tier"},
)


def dashboard(client, query=""):
    return client.get(reverse("dashboard") + (f"?{query}" if query else ""))


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("executive", 200), ("reviewer", 200), ("admin", 200), ("requester", 403), ("outsider", 403), ("anonymous", 302)],
)
def test_who_may_open_the_dashboard(client, personas, persona, expected):
    if personas[persona]:
        client.force_login(personas[persona])
    response = dashboard(client)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("login"))


def test_the_menu_offers_the_dashboard_only_to_those_who_may_open_it(client, executive, requester):
    client.force_login(executive)
    assert f'href="{reverse("dashboard")}"' in client.get(reverse("home")).content.decode()
    client.force_login(requester)
    assert f'href="{reverse("dashboard")}"' not in client.get(reverse("home")).content.decode()


# --- Figures -------------------------------------------------------------------------------------


def test_figures_match_portal_adoption_and_the_fixture(client, executive, cases, marketing, sales, it_department):
    client.force_login(executive)
    response = dashboard(client)
    assert response.status_code == 200
    everything = UseCase.objects.all()
    assert response.context["summary"] == adoption.summary(everything)
    assert response.context["approvals"] == adoption.approvals(everything)
    assert response.context["costs"] == adoption.cost_value(everything)
    summary = response.context["summary"]
    counted = {key: {row["key"]: row["count"] for row in summary[key]} for key in summary if key != "total"}
    assert summary["total"] == 8
    statuses = dict(draft=2, submitted=1, approved=1, piloting=1, in_production=1, retired=1, rejected=1)
    assert {key: count for key, count in counted["by_status"].items() if count} == statuses
    # In progress only, as on the roadmap page: the rejected (step 2) and retired (step 6) ones are not counted.
    assert counted["by_roadmap_step"] == {"1": 3, "2": 0, "3": 1, "4": 1, "5": 1, "6": 0}
    assert counted["by_style"] == {"closed": 3, "open": 3, "hybrid": 1, "": 1}
    assert counted["by_risk_tier"] == {"prohibited": 1, "high": 2, "limited": 2, "minimal": 1, "": 2}
    categories = {"creative": 3, "content_seo": 0, "sales_support": 1, "analytics": 2, "other": 1, "": 1}
    assert counted["by_category"] == categories
    assert counted["by_department"] == {str(marketing.pk): 3, str(sales.pk): 3, str(it_department.pk): 2}
    content = response.content.decode()
    assert re.search(r'id="figure-total"[^>]*>8</a>', content)
    status_links = [(href, text) for table, href, text in parse(response).links if table == "by-status"]
    assert sorted(int(text) for _href, text in status_links) == [1, 1, 1, 1, 1, 1, 2]


@pytest.mark.parametrize(
    "query",
    [
        "department={marketing}",
        "department={sales}&department={it}",
        "category=creative",
        "category=creative&category=analytics",
        "since=2025-03-01",
        "until=2025-03-20",
        "since=2025-03-01&until=2025-04-30",
        "department={sales}&category=creative&since=2025-03-25&until=2025-03-25",
    ],
)
def test_filters_narrow_the_figures(client, executive, cases, marketing, sales, it_department, query):
    query = query.format(marketing=marketing.pk, sales=sales.pk, it=it_department.pk)
    params = parse_qs(query)
    expected = [case for case in cases if matches(case, params)]
    client.force_login(executive)
    response = dashboard(client, query)
    assert response.status_code == 200
    summary = response.context["summary"]
    assert 0 < summary["total"] == len(expected) < len(cases)
    for status, _label in UseCaseStatus.choices:
        row = next(row for row in summary["by_status"] if row["key"] == status)
        assert row["count"] == sum(case.status == status for case in expected), status
    assert {row["key"]: row["count"] for row in summary["by_department"]} == {
        str(department): sum(case.department == department for case in expected)
        for department in {case.department for case in expected}
    }
    created = {row["month"].strftime("%Y-%m"): row["created"] for row in response.context["trend"]}
    assert sum(created.values()) == len(expected)
    assert {month for month, count in created.items() if count} == {case.created.strftime("%Y-%m") for case in expected}
    months = [row["month"] for row in response.context["trend"]]
    assert (
        months == sorted(set(months))
        and all(  # a calendar: no month skipped
            (later.year - earlier.year) * 12 + later.month - earlier.month == 1
            for earlier, later in zip(months, months[1:], strict=False)
        )
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("since=not-a-date", "since"), ("until=2025-13-40", "until"), ("category=nonsense", "category")]
    + [("department=abc", "department"), ("department=987654", "department")]
    + [("department=99999999999999999999", "department")],
)
def test_invalid_filters_show_form_errors_and_no_figures(client, executive, cases, query, field):
    client.force_login(executive)
    response = dashboard(client, query)
    assert response.status_code == 200
    errors = response.context["filterset"].errors
    assert list(errors) == [field]
    assert escape(str(errors[field][0])) in response.content.decode()
    summary = response.context["summary"]
    assert summary["total"] == 0
    assert all(row["count"] == 0 for key in summary if key != "total" for row in summary[key])
    assert response.context["trend"] == []
    assert response.context["costs"]["by_department"] == []
    charts = json.loads(parse(response).scripts["dashboard-data"])
    assert charts["status"] == charts["departments"] == charts["trend"] == []


# --- Links to the inventory ----------------------------------------------------------------------


def follow(client, href):
    response = client.get(href)
    assert response.status_code == 200, href
    assert not response.context["filter"].errors, (href, response.context["filter"].errors)
    assert response.context["paginator"].count <= 25, "keep the fixture on one page"
    return {use_case.reference for use_case in response.context["object_list"]}


def check_links(client, cases, query):
    """Every figure link of the dashboard at ``query``: the inventory with the dashboard's filters
    and the figure's own, listing exactly the use cases the figure counts."""
    base = parse_qs(query)
    response = dashboard(client, query)
    assert response.status_code == 200
    inventory = reverse("usecases:list")
    seen = set()
    for table, href, text in parse(response).links:
        if table not in FIGURE_TABLES and table not in ("figure-total", "spend"):
            continue
        url = urlsplit(href)
        assert url.path == inventory, href
        params = parse_qs(url.query, keep_blank_values=True)  # an empty filter would show up as ""
        # The figure's own dimension replaces the dashboard's filter on it; the others are kept.
        replaced = "department" if table == "spend" else FIGURE_TABLES.get(table)
        own = {name: values for name, values in params.items() if name not in base or name == replaced}
        for name, values in base.items():
            if name != replaced:
                assert params[name] == values, href
        if table == "figure-total":
            assert own == {}
        elif table == "spend":  # the department's live use cases
            assert sorted(params["status"]) == sorted(LIVE), href
            assert len(params["department"]) == 1, href
            assert set(params) == {*base, "department", "status"}, href
        elif table == "by-step":  # the step's use cases in progress, as the figure counts them
            assert sorted(params["status"]) == sorted(IN_PROGRESS), href
            assert sorted(own) == ["roadmap_step", "status"] and len(own["roadmap_step"]) == 1, href
        else:
            assert list(own) == [replaced] and len(own[replaced]) == 1, href
        expected = {case.reference for case in cases if matches(case, base) and matches(case, own)}
        listed = follow(client, href)
        assert listed == expected, (table, href)
        if table != "spend":
            assert int(text) == len(listed), (table, href)
        seen.add(table)
    assert seen >= {*FIGURE_TABLES, "figure-total"}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "department={sales}",
        "since=2025-02-01&until=2025-06-05",
        "department={marketing}&since=2025-01-01&until=2025-03-31",
        "since=&until=2025-04-30",  # the form sends the empty date field
    ],
)
def test_every_figure_links_to_exactly_the_use_cases_it_counts(client, reviewer, cases, marketing, sales, query):
    client.force_login(reviewer)
    check_links(client, cases, query.format(marketing=marketing.pk, sales=sales.pk))


def test_spend_links_count_the_live_use_cases_of_the_department(client, executive, cases, marketing):
    client.force_login(executive)
    response = dashboard(client)
    spend = [(href, text) for table, href, text in parse(response).links if table == "spend"]
    rows = {row["department_name"]: row["use_cases"] for row in response.context["costs"]["by_department"]}
    assert {text for _href, text in spend} == set(rows)
    for href, text in spend:
        assert len(follow(client, href)) == rows[text]
    assert rows[marketing.name] == 2


def test_vendor_figures_link_to_the_vendor_registry(client, executive):
    from tests.factories import VendorFactory, approved_vendor

    approved_vendor(name="承認済みベンダーA")
    approved_vendor(name="承認済みベンダーB")
    VendorFactory(name="候補ベンダー")
    client.force_login(executive)
    links = [(href, text) for table, href, text in parse(dashboard(client)).links if table == "vendors"]
    assert sorted(text for _href, text in links) == ["1", "2"]
    for href, text in links:
        assert urlsplit(href).path == reverse("vendors:list")
        listed = client.get(href).context["paginator"].count
        assert listed == int(text)


def test_links_with_a_category_or_several_departments_count_what_they_show(client, executive, cases, marketing, sales):
    """A figure's link replaces the dashboard's own filter of the same name (appending would read as
    "creative OR analytics"), and a zero figure has no link: with ``?category=creative`` no other
    category links anywhere, and with two departments each department's link lists only its own."""
    client.force_login(executive)
    for query in ("category=creative", f"department={marketing.pk}&department={sales.pk}"):
        check_links(client, cases, query)


def test_dates_are_days_in_tokyo_for_the_figures_the_trend_and_the_inventory(client, executive, requester):
    late = make_use_case(requester, datetime.date(2025, 3, 31))
    early = make_use_case(requester, datetime.date(2025, 4, 1))
    UseCase.objects.filter(pk=late.pk).update(created_at=datetime.datetime(2025, 3, 31, 23, 30, tzinfo=TOKYO))
    UseCase.objects.filter(pk=early.pk).update(created_at=datetime.datetime(2025, 4, 1, 0, 30, tzinfo=TOKYO))
    client.force_login(executive)
    response = dashboard(client, "until=2025-03-31")
    assert response.context["summary"]["total"] == 1
    # From the first month with an event to the current one (July here), zeros included.
    assert [(row["month"].isoformat(), row["created"]) for row in dashboard(client).context["trend"]] == [
        ("2025-03-01", 1),
        ("2025-04-01", 1),
        ("2025-05-01", 0),
        ("2025-06-01", 0),
        ("2025-07-01", 0),
    ]
    total = next(href for table, href, _text in parse(response).links if table == "figure-total")
    assert follow(client, total) == {late.reference}
    assert follow(client, reverse("usecases:list") + "?since=2025-04-01") == {early.reference}


# --- Chart data ------------------------------------------------------------------------------------


def test_dashboard_data_holds_the_chart_series(client, executive, cases, marketing, sales):
    UseCase.objects.filter(department=marketing, status="approved").update(estimated_closed_cost=100)
    UseCase.objects.filter(department=marketing, status="in_production").update(estimated_self_hosted_cost=250)
    UseCase.objects.filter(department=sales, status="piloting").update(estimated_closed_cost="40.50")
    client.force_login(executive)
    with translation.override("en"):
        labels = {"status": dict(UseCaseStatus.choices), "step": dict(RoadmapStep.choices)}
    response = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    data = json.loads(parse(response).scripts["dashboard-data"])
    assert set(data) == {"status", "step", "style", "departments", "trend"}
    statuses = dict(draft=2, submitted=1, approved=1, rejected=1, piloting=1, in_production=1, retired=1)
    assert dict(data["status"]) == {str(labels["status"][key]): count for key, count in statuses.items()}
    assert data["step"] == [
        [str(labels["step"][step]), count] for step, count in zip(range(1, 7), [3, 0, 1, 1, 1, 0], strict=True)
    ]
    assert data["style"] == [["Closed AI", 3], ["Open model", 3], ["Hybrid", 1], ["Not set", 1]]
    assert {row[0]: row[1:] for row in data["departments"]} == {"Marketing": [100.0, 250.0], "Sales": [40.5, 0.0]}
    assert data["trend"] == [
        ["2025-01", 1, 1, 0, 0],
        ["2025-02", 1, 0, 0, 0],
        ["2025-03", 2, 1, 1, 0],
        ["2025-04", 1, 1, 0, 0],
        ["2025-05", 1, 0, 0, 0],
        ["2025-06", 2, 1, 0, 1],
        ["2025-07", 0, 0, 0, 0],  # the current month, nothing yet
    ]
    # The dates bound the months of the trend; the department narrows it.
    response = dashboard(client, f"since=2025-03-01&until=2025-03-31&department={marketing.pk}")
    assert json.loads(parse(response).scripts["dashboard-data"])["trend"] == [["2025-03", 1, 1, 1, 0]]
    assert 'type="application/json"' in response.content.decode()


# --- Language ---------------------------------------------------------------------------------------


def test_the_page_is_in_japanese_by_default(client, executive, cases):
    client.force_login(executive)
    content = dashboard(client).content.decode()
    assert '<html lang="ja">' in content
    with translation.override("ja"):
        japanese = [str(UseCaseStatus.APPROVED.label), str(RoadmapStep.INVENTORY.label)]
    assert japanese == ["承認済み", "1. ユースケースの棚卸し"]
    assert all(text in content for text in japanese)
    assert "ユースケース" in content and "クローズドAI" in content


@pytest.mark.parametrize("how", ["header", "cookie"])
def test_the_page_is_in_english_when_asked(client, executive, cases, how):
    client.force_login(executive)
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = dashboard(client)
    else:
        response = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert '<html lang="en">' in content
    for text in ("Adoption dashboard", "Approved", "1. Use-case inventory", "Closed AI", "Download the tables"):
        assert text in content, text
    assert "承認済み" not in content


def test_the_dashboards_own_strings_are_in_japanese(client, executive, cases):
    client.force_login(executive)
    content = dashboard(client).content.decode()
    for text in ("AI導入状況ダッシュボード", "ステータス別", "表のダウンロード", "月次推移", ">ダッシュボード<"):
        assert text in content, text
    for text in ("Adoption dashboard", "By status", "Download the tables", "Trend per month", ">Apply<", ">Dashboard<"):
        assert text not in content, text


# --- Queries -------------------------------------------------------------------------------------------

MAX_QUERIES = 29  # measured at 95b0c56: 26, and 27 with a department filter (its choices are checked);
# + the SAVEPOINT and RELEASE of the atomic request inside the test's transaction


def count_queries(client, query=""):
    with CaptureQueriesContext(connection) as queries:
        assert dashboard(client, query).status_code == 200
    return len(queries)


def test_query_count_is_bounded_and_independent_of_the_rows(
    client, executive, cases, requester, other_requester, django_assert_max_num_queries
):
    client.force_login(executive)
    dashboard(client)  # first use creates the cost settings row
    query = f"department={requester.department_id}&category=creative&since=2025-01-01"
    few = count_queries(client), count_queries(client, query)
    for number in range(40):
        owner = UserFactory(department=DepartmentFactory(), role="requester") if number % 4 == 0 else requester
        status = ["draft", "approved", "in_production", "retired", "rejected"][number % 5]
        spec = {"category": "creative", "style": "closed_api", "tier": "high", "estimated_closed_cost": 10}
        created = datetime.date(2024, 1 + number % 12, 1 + number % 28)
        make_use_case(owner, created, status=status, step=1 + number % 6, **spec)
    many = count_queries(client), count_queries(client, query)
    assert many == few
    for each in ("", query):
        with django_assert_max_num_queries(MAX_QUERIES):
            dashboard(client, each)
    assert dashboard(client).context["summary"]["total"] == 48


def test_the_export_links_keep_the_filters(client, executive, cases, sales):
    client.force_login(executive)
    query = urlencode({"department": sales.pk, "since": "2025-01-01"})
    links = [href for _table, href, _text in parse(dashboard(client, query)).links if "/dashboard/export/" in href]
    assert len(links) == 22
    for href in links:
        url = urlsplit(href)
        assert url.path.endswith((".csv", ".xlsx"))
        assert parse_qs(url.query) == {"department": [str(sales.pk)], "since": ["2025-01-01"]}
