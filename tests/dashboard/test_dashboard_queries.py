"""The dashboard page shows every adoption figure at once: it costs no more queries than
reading the adoption endpoints one by one (the same session, the same filters), and its
count does not grow with the number of use cases."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.dashboard.test_adoption import ENDPOINTS, at, benefit, days, kpi, stage, use_case, vendor
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

STATUSES = ("in_production", "piloting", "approved", "retired", "rejected", "in_review", "draft")


@pytest.fixture(autouse=True)
def this_month(monkeypatch):
    monkeypatch.setattr("usecases.returns.this_month", lambda: datetime.date(2025, 7, 1))


def add_use_cases(n, recorder, start=0, first_department=None):
    """``n`` more use cases of every state, in two departments, with what each figure reads:
    approval stages, KPIs with measurements, benefits, vendors."""
    departments = [DepartmentFactory(), DepartmentFactory()]
    if first_department is not None:
        departments[0] = first_department
    owners = [UserFactory(department=department, role="requester") for department in departments]
    for i in range(start, start + n):
        status = STATUSES[i % len(STATUSES)]
        live = status in ("in_production", "piloting", "approved", "retired")
        case = use_case(
            owners[i % 2], at(2025, 1 + i % 6, 1 + i % 28), category=("creative", "content_seo")[i % 2],
            intended_style="closed_api", status=status, submitted_at=None if status == "draft" else at(2025, 1, 2),
            approved_at=at(2025, 2, 1) if live else None, other_monthly_cost=Decimal(i),
            went_live_at=at(2025, 3, 1) if status == "in_production" else None,
        )  # fmt: skip
        stage(
            case,
            ("it-review", "legal-review")[i % 2],
            started=timezone.now() - datetime.timedelta(days=i),
            due=days(3 - i),
        )
        kpi(case, "increase", Decimal(i), (1, str(i)), (2, str(i + 1)))
        benefit(case, 1 + i % 6, recorder, hours=i, saved=1)
        vendor(f"Vendor {i}", ("approved", "under_assessment")[i % 2], "internal", days(i * 10 - 20))


def queries(client, path, query=""):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def page_and_endpoints(client, query=""):
    page = queries(client, reverse("dashboard"), query)
    endpoints = {name: queries(client, f"/api/v1/adoption/{name}/", query) for name in ENDPOINTS}
    return page, endpoints


def test_the_page_costs_at_most_the_endpoints_queries_and_does_not_grow_with_rows(client, executive, admin_user):
    client.force_login(executive)
    filtered = DepartmentFactory()
    add_use_cases(3, admin_user, first_department=filtered)
    filters = f"department={filtered.pk}&category=creative&since=2025-01-01"
    client.get(reverse("dashboard"))  # the first read creates the cost settings row
    few = page_and_endpoints(client), page_and_endpoints(client, filters)
    add_use_cases(12, admin_user, start=3, first_department=filtered)
    many = page_and_endpoints(client), page_and_endpoints(client, filters)
    assert many == few  # 3 and 15 use cases: the same queries, page and endpoints alike
    for page, endpoints in many:
        assert page <= sum(endpoints.values())
    assert client.get(reverse("dashboard"), {"department": filtered.pk}).context["summary"]["total"] == 8
