"""End to end in a real browser: an executive opens the adoption dashboard, filters it by
department, and follows a figure to the inventory behind it.

Headless Debian Chromium through Playwright's sync API against pytest-django's
``live_server``. The executive walks the same journey twice, in two browser contexts: with
an English UI (filtering on marketing) and with a Japanese UI (filtering on sales); the UI
language follows the browser's Accept-Language. Every figure the pages should show is
computed from the database before the browser starts. Screenshots of every step go to
``test-artifacts/browser/dashboard-*.png``.
"""

import contextlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.translation import ngettext
from playwright.sync_api import expect, sync_playwright

from tests.browser import TIMEOUT_MS
from tests.browser import in_language as _in
from tests.browser import log_in_as as _login
from tests.conftest import CHROMIUM_ARGS
from tests.factories import UseCaseFactory
from usecases import services
from usecases.choices import RoadmapStep, UseCaseStatus
from usecases.models import UseCase

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHARTS = ("chart-status", "chart-step", "chart-style", "chart-departments", "chart-trend")
# What each department registers: submitted through the service, or placed as approved or
# in production (see _placed), or left as a draft. The figures differ per department.
PORTFOLIO = {
    "marketing": {"submitted": 3, "approved": 1, "in_production": 0, "draft": 1},
    "sales": {"submitted": 1, "approved": 0, "in_production": 2, "draft": 1},
}


def _submitted(owner, title):
    """A complete use case submitted through the service (stages, findings and audit are real)."""
    use_case = services.submit(UseCaseFactory(complete=True, owner=owner, title=title), owner)
    assert use_case.status == UseCaseStatus.SUBMITTED, use_case.status
    return use_case


def _placed(owner, title, status):
    """A complete use case placed directly as approved (step 2) or in production (step 5).

    The approval workflow and the roadmap's gates are walked in tests/governance/test_browser.py
    and tests/usecases/test_browser_roadmap.py; the dashboard reads only the status, the step,
    the dates and the stored cost estimates, so they are written with a queryset update (as
    tests/usecases/roadmap_helpers.py does), and no approval stage is left pending. The
    estimates (normally refreshed from the chosen models) give the spend chart bars to draw.
    """
    use_case = UseCaseFactory(complete=True, owner=owner, title=title)
    now = timezone.now()
    live = status == UseCaseStatus.IN_PRODUCTION
    UseCase.objects.filter(pk=use_case.pk).update(
        status=status,
        roadmap_step=RoadmapStep.HYBRID if live else RoadmapStep.GOVERNANCE,
        submitted_at=now,
        approved_at=now,
        went_live_at=now if live else None,
        estimated_closed_cost=Decimal("120000") if live else Decimal("45000"),
        estimated_self_hosted_cost=Decimal("80000") if live else Decimal("0"),
        cost_estimated_at=now,
    )
    return use_case


def _arrange(owners):
    for code, counts in PORTFOLIO.items():
        owner = owners[code]
        for n in range(counts["submitted"]):
            _submitted(owner, f"Dashboard test [{code}] submitted {n + 1}")
        for status in (UseCaseStatus.APPROVED, UseCaseStatus.IN_PRODUCTION):
            for n in range(counts[status]):
                _placed(owner, f"Dashboard test [{code}] {status} {n + 1}", status)
        for n in range(counts["draft"]):
            UseCaseFactory(complete=True, owner=owner, title=f"Dashboard test [{code}] draft {n + 1}")


def _count(language, counter):
    """The inventory's "N use cases" line in ``language``."""
    with translation.override(language):
        return ngettext("%(counter)s use case", "%(counter)s use cases", counter) % {"counter": counter}


def _status_rows(use_cases, language):
    """The by-status table as the page should render it: the statuses with use cases, in
    the order of the choices, with their counts."""
    rows = []
    for status in UseCaseStatus:
        count = sum(1 for _reference, row_status in use_cases if row_status == status)
        if count:
            rows.append(f"{_in(language, status.label)}\t{count}")
    return rows


def _chart(page, canvas_id):
    """What Chart.js holds and painted on one canvas."""
    page.wait_for_function(f"() => window.Chart && Chart.getChart(document.getElementById('{canvas_id}'))")
    return page.locator(f"#{canvas_id}").evaluate(
        """canvas => {
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
            return {
                type: chart.config.type,
                labels: chart.data.labels,
                data: chart.data.datasets.map(set => set.data),
                painted: painted,
                area: canvas.width * canvas.height,
                width: canvas.getBoundingClientRect().width,
            };
        }"""
    )


def _check_charts(page, expected_status):
    """Every chart is drawn, with data; the status doughnut holds exactly the expected counts."""
    charts = {canvas_id: _chart(page, canvas_id) for canvas_id in CHARTS}
    for canvas_id, chart in charts.items():
        assert chart["data"] and all(len(values) > 0 for values in chart["data"]), (canvas_id, chart["data"])
        # Axes, ticks, legend and marks: well over 1% of a transparent canvas is painted.
        assert chart["painted"] > chart["area"] // 100, (canvas_id, chart["painted"], chart["area"])
        assert chart["width"] > 150, (canvas_id, chart["width"])
    status = charts["chart-status"]
    assert status["type"] == "doughnut", status
    assert [f"{label}\t{count}" for label, count in zip(status["labels"], status["data"][0], strict=True)] == (
        expected_status
    ), status
    return charts


def _no_horizontal_overflow(page):
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the window at {page.url}"


def _rows(page, table):
    """Each row of a dashboard table as "label<TAB>figure"."""
    return [
        "\t".join(cell.strip() for cell in row)
        for row in page.locator(f"{table} tbody tr").evaluate_all(
            "rows => rows.map(row => [...row.cells].map(cell => cell.innerText))"
        )
    ]


def _walk(page, base, journey, shot):
    """The executive's journey: dashboard, filter by one department, a figure, the inventory."""
    language, labels, figures = journey["language"], journey["labels"], journey["figures"]
    department = journey["department"]

    # 1. The dashboard, through the navigation: every use case, every chart drawn.
    page.click("nav a.nav-link[href='/dashboard/']")
    page.wait_for_url(f"{base}/dashboard/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(labels["title"])
    expect(page.locator("#figure-total")).to_have_text(str(figures["total"]))
    assert _rows(page, "#by-status") == figures["all_status"]
    assert _rows(page, "#by-department") == figures["all_departments"]
    _check_charts(page, figures["all_status"])
    _no_horizontal_overflow(page)
    shot("01-dashboard")

    # 2. One department chosen in the filter form and applied.
    select = page.locator("#dashboard-filters select[name=department]")
    shown = department["name_en"] if language == "en" else department["name"]  # the dashboard's language
    expect(select.locator(f"option[value='{department['pk']}']")).to_have_text(shown)
    select.select_option(department["pk"])
    shot("02-department-chosen")
    with page.expect_navigation():
        page.click("#apply-filters")
    assert re.search(rf"[?&]department={department['pk']}(&|$)", page.url), page.url
    expect(select).to_have_values([department["pk"]])
    expect(page.locator("#figure-total")).to_have_text(str(department["total"]))
    expect(page.locator("#figure-total")).to_have_attribute(
        "href", re.compile(rf"^/usecases/\?(.*&)?department={department['pk']}(&|$)")
    )
    assert _rows(page, "#by-status") == department["status"]
    assert _rows(page, "#by-department") == [f"{shown}\t{department['total']}"]
    _check_charts(page, department["status"])
    _no_horizontal_overflow(page)
    shot("03-filtered")

    # 3. The department's "submitted" figure leads to the inventory behind it.
    submitted_row = page.locator("#by-status tr").filter(
        has=page.locator("td:first-child", has_text=re.compile(rf"^{re.escape(labels['submitted'])}$"))
    )
    link = submitted_row.locator("a")
    expect(link).to_have_text(str(len(department["submitted"])))
    link.click()
    page.wait_for_url(re.compile(re.escape(f"{base}/usecases/?")))
    assert re.search(rf"[?&]department={department['pk']}(&|$)", page.url), page.url
    assert re.search(r"[?&]status=submitted(&|$)", page.url), page.url
    # The inventory's own form shows the filters it applied.
    expect(page.locator("#filters select[name=department]")).to_have_values([department["pk"]])
    expect(page.locator("#filters select[name=status]")).to_have_values(["submitted"])
    rows = page.locator("#usecase-table tbody tr")
    expect(rows).to_have_count(len(department["submitted"]))
    expect(page.locator("p.text-muted.small")).to_have_text(labels["count"])
    references = rows.locator("td:first-child").all_inner_texts()
    assert sorted(references) == department["submitted"], references
    assert set(rows.locator("td:nth-child(3)").all_inner_texts()) == {shown}  # page language
    # The badge says the state, then (for screen readers too) what it means to the reader.
    assert {text.split("\n")[0] for text in rows.locator("td:nth-child(7)").all_inner_texts()} == {labels["submitted"]}
    badges = rows.locator("td:nth-child(7) .status-badge")
    assert {badges.nth(i).get_attribute("data-state") for i in range(badges.count())} == {"submitted"}
    _no_horizontal_overflow(page)
    shot("04-inventory")


@pytest.mark.browser
# Groups, permissions, the classification matrix, the stage definitions and the cost
# settings come from data migrations; a transactional test's flush would delete them, so
# restore them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_executive_filters_the_dashboard_by_department_and_follows_a_figure_to_the_inventory(
    live_server, chromium_path, executive, requester, other_requester, marketing, sales
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("dashboard-*failure.png"):
        old.unlink()  # only this run's failure, if any
    base = live_server.url

    _arrange({"marketing": requester, "sales": other_requester})

    # The figures, computed before the browser starts (no database queries inside it).
    everything = list(UseCase.objects.order_by("reference").values_list("reference", "status", "department__code"))
    assert len(everything) == sum(sum(counts.values()) for counts in PORTFOLIO.values())
    by_department = {
        code: [(reference, status) for reference, status, department in everything if department == code]
        for code in PORTFOLIO
    }
    departments = {
        code: {"pk": str(department.pk), "name": department.name, "name_en": department.name_en or department.name}
        for code, department in (("marketing", marketing), ("sales", sales))
    }
    journeys = []
    for language, code in (("en", "marketing"), ("ja", "sales")):
        name_key = "name_en" if language == "en" else "name"
        use_cases = by_department[code]
        submitted = sorted(reference for reference, status in use_cases if status == UseCaseStatus.SUBMITTED)
        other = "sales" if code == "marketing" else "marketing"
        assert len(submitted) != sum(1 for _r, s in by_department[other] if s == UseCaseStatus.SUBMITTED)
        journeys.append(
            {
                "language": language,
                "locale": {"en": "en-US", "ja": "ja-JP"}[language],
                "department": {
                    **departments[code],
                    "total": len(use_cases),
                    "status": _status_rows(use_cases, language),
                    "submitted": submitted,
                },
                "figures": {
                    "total": len(everything),
                    "all_status": _status_rows([(reference, status) for reference, status, _d in everything], language),
                    # Ordered by the department's (Japanese) name, as the dashboard orders them; shown
                    # in the page's language.
                    "all_departments": [
                        f"{department[name_key]}\t{len(by_department[department_code])}"
                        for department_code, department in sorted(departments.items(), key=lambda d: d[1]["name"])
                    ],
                },
                "labels": {
                    "title": _in(language, "Adoption dashboard"),
                    "submitted": _in(language, UseCaseStatus.SUBMITTED.label),
                    "count": _count(language, len(submitted)),
                },
            }
        )
    assert journeys[1]["labels"]["submitted"] != "Submitted", "the Japanese catalogue does not translate 'Submitted'"
    assert journeys[0]["department"]["status"] != journeys[1]["department"]["status"]

    # No database queries inside this block: under Playwright's sync API Django's
    # context-local connection is a second one that nothing closes, and the open
    # session then blocks dropping the PostgreSQL test database.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            for journey in journeys:
                context = browser.new_context(locale=journey["locale"], viewport={"width": 1280, "height": 900})
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                prefix = f"dashboard-{journey['language']}"

                def shot(name, page=page, prefix=prefix):
                    page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}.png"), full_page=True)

                try:
                    _login(page, base, "executive")
                    _walk(page, base, journey, shot)
                except Exception:
                    with contextlib.suppress(Exception):
                        shot("failure")
                    raise
                finally:
                    context.close()
        finally:
            browser.close()
