"""The adoption API (/api/v1/adoption/*): every figure against a hand computation, with and
without filters; who may read it (session or personal token); a fixed number of queries
whatever the number of rows; stored cost estimates kept in step with prices, rates and defaults.

The use cases of ``world`` get their states, steps and dates by queryset updates (the workflow
is covered in tests/usecases and tests/governance; here only the figures matter).
"""

import datetime
import hashlib
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.education import services as education
from governance.models import ApprovalStage, PolicyDocument, StageDefinition
from portal.models import ApiToken, AuditEvent
from portal.roles import Role
from portal.services import create_api_token
from tests.conftest import api_client_for
from tests.factories import AIModelFactory, DepartmentFactory, UseCaseFactory, UserFactory, VendorFactory
from tests.governance.education_helpers import completed, course, policy, publish
from usecases import roadmap_services
from usecases.economics import refresh_cost_estimates
from usecases.models import BenefitRecord, CostSettings, ExchangeRate, Kpi, KpiMeasurement, UseCase, UseCaseModel
from vendors.models import Licence, Vendor

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
ENDPOINTS = ("summary", "approvals", "vendors", "cost-value", "education", "trend")


@pytest.fixture(autouse=True)
def this_month(monkeypatch):
    """July 2025 is the current month here: the ROI period is August 2024 to July 2025 and the trend
    runs to July 2025, whatever day the tests run."""
    monkeypatch.setattr("usecases.returns.this_month", lambda: datetime.date(2025, 7, 1))


def at(year, month, day, hour=12, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def url(endpoint):
    return f"/api/v1/adoption/{endpoint}/"


def fetch(client, endpoint, status=200, language="ja", **params):
    """GET an endpoint; list values become repeated parameters (``?category=a&category=b``)."""
    response = client.get(url(endpoint), params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == status, response.content
    return response.json()


def counts(rows):
    return {row["key"]: row["count"] for row in rows}


# --- The hand-computed organisation ------------------------------------------------------------


def vendor(name, status, level="", reassess=None):
    made = VendorFactory(name=name)
    Vendor.objects.filter(pk=made.pk).update(status=status, approved_level=level, next_reassessment_on=reassess)
    return made


def model(name, publisher, currency, price_in, price_out):
    return AIModelFactory(
        name=name, publisher=publisher, currency=currency, price_input_per_million=price_in,
        price_output_per_million=price_out,
    )  # fmt: skip


def use_case(owner, created, **fields):
    made = UseCaseFactory(owner=owner, department=owner.department)
    UseCase.objects.filter(pk=made.pk).update(created_at=created, **fields)  # states written directly
    return UseCase.objects.get(pk=made.pk)


def stage(case, code, *, started=None, due=None, status="pending", decided=None, by=None):
    definition = StageDefinition.objects.get(code=code)
    decision = {"approved": "approve", "rejected": "reject"}.get(status, "") if decided else ""
    ApprovalStage.objects.create(
        use_case=case, definition=definition, group=definition.group, status=status, started_at=started,
        due_on=due, decision=decision, decided_at=decided, decided_by=by if decided else None,
    )  # fmt: skip


def kpi(case, direction, target, *measurements):
    made = Kpi.objects.create(use_case=case, name=f"KPI {direction}", direction=direction, target=target)
    for month, value in measurements:
        KpiMeasurement.objects.create(kpi=made, measured_on=datetime.date(2025, month, 1), value=Decimal(value))


def benefit(case, month, recorder, hours=0, saved=0, revenue=0):
    BenefitRecord.objects.create(
        use_case=case, month=datetime.date(2025, month, 1), hours_saved=Decimal(hours), cost_saved=Decimal(saved),
        revenue_gained=Decimal(revenue), recorded_by=recorder,
    )  # fmt: skip


@pytest.fixture
def world(admin_user):
    """Three departments, eight use cases, five pending stages, ten vendors, priced models,
    benefits, KPIs, a policy in force and a course. The figures are worked out in the tests."""
    alpha, bravo, charlie = (
        DepartmentFactory(code=name.lower(), name=name, name_en=f"{name} (en)")
        for name in ("Alpha", "Bravo", "Charlie")
    )
    a1, a2 = (UserFactory(username=f"alpha{n}", department=alpha, role=Role.REQUESTER) for n in (1, 2))
    UserFactory(username="alpha-left", department=alpha, role=Role.REQUESTER, is_active=False)
    b1 = UserFactory(username="bravo1", department=bravo, role=Role.REQUESTER)
    c1 = UserFactory(username="charlie1", department=charlie, role=Role.REQUESTER)

    # Vendors: status, approved level, next reassessment.
    v10 = vendor("V10", "approved", "confidential", days(10))
    v45 = vendor("V45", "approved_with_conditions", "internal", days(45))
    vendor("V80", "approved", "internal", days(80))
    vendor("Vlate", "approved", "public", days(-5))
    vendor("Vnodate", "approved")
    vfar = vendor("Vfar", "approved", "restricted", days(200))
    vendor("Vassess", "under_assessment", "", days(10))
    vendor("Vprospect", "prospective")
    vendor("Vrejected", "rejected")
    vendor("Voff", "offboarded", "", days(-20))

    m_usd = model("USD model", v10, "USD", "2.00", "8.00")
    m_eur = model("EUR model", v45, "EUR", "3.00", "12.00")
    m_old = model("Old model", v10, "USD", "2.50", "10.00")
    m_open = AIModelFactory(
        name="Open model", publisher=vfar, openness="open_weights", price_input_per_million=None,
        price_output_per_million=None, licence=Licence.objects.get(identifier="Apache-2.0"),
    )  # fmt: skip

    volume = {"monthly_requests": 10_000, "avg_input_tokens": 1000, "avg_output_tokens": 500}
    uc1 = use_case(
        a1, at(2025, 1, 10), category="creative", intended_style="closed_api", risk_tier="minimal",
        status="in_production", roadmap_step=6, submitted_at=at(2025, 1, 12), approved_at=at(2025, 1, 22),
        went_live_at=at(2025, 3, 5), other_monthly_cost=Decimal(20_000), **volume,
    )  # fmt: skip
    uc2 = use_case(
        a2, at(2025, 2, 3), category="content_seo", intended_style="hybrid", risk_tier="limited",
        status="piloting", roadmap_step=5, submitted_at=at(2025, 2, 5), approved_at=at(2025, 2, 25),
        monthly_requests=20_000, avg_input_tokens=1500, avg_output_tokens=500,
        operations_fte=Decimal("0.1"), hourly_rate=Decimal(4000),
    )  # fmt: skip
    uc3 = use_case(
        b1, at(2025, 2, 14), category="sales_support", intended_style="open_self_hosted", risk_tier="high",
        status="approved", roadmap_step=2, submitted_at=at(2025, 2, 15, 12), approved_at=at(2025, 2, 19, 0),
        other_monthly_cost=Decimal(5000), hourly_rate=Decimal(3000),
    )  # fmt: skip
    uc4 = use_case(
        b1, at(2025, 1, 20), category="analytics", intended_style="closed_saas", risk_tier="minimal",
        status="retired", roadmap_step=6, submitted_at=at(2025, 1, 21), approved_at=at(2025, 2, 20),
        went_live_at=at(2025, 3, 10), retired_at=at(2025, 5, 15), other_monthly_cost=Decimal(1000),
        monthly_requests=1000, avg_input_tokens=1000, avg_output_tokens=500,
    )  # fmt: skip
    uc5 = use_case(
        a1, at(2025, 3, 1), category="creative", intended_style="open_cloud", risk_tier="high",
        risk_tier_override="limited", risk_tier_justification="社内利用のみ", status="rejected",
        roadmap_step=2, submitted_at=at(2025, 3, 2),
    )  # fmt: skip
    uc6 = use_case(
        c1, at(2025, 3, 15), category="other", intended_style="closed_api", risk_tier="high",
        status="in_review", roadmap_step=2, submitted_at=at(2025, 3, 16),
    )  # fmt: skip
    uc7 = use_case(
        a2, at(2025, 4, 2), category="analytics", status="submitted", roadmap_step=2, submitted_at=at(2025, 4, 3)
    )
    # 00:30 in Tokyo on 1 June is still 31 May in UTC: months and dates are local.
    uc8 = use_case(b1, at(2025, 6, 1, 0, 30), intended_style="closed_api")

    # Stages: decided ones (the rejection dates UC5's decision), then the pending queue.
    now = timezone.now()
    stage(uc1, "it-review", started=at(2025, 1, 12), status="approved", decided=at(2025, 1, 22), by=admin_user)
    stage(uc5, "it-review", started=at(2025, 3, 2), status="approved", decided=at(2025, 3, 5), by=admin_user)
    stage(uc5, "legal-review", started=at(2025, 3, 5), status="rejected", decided=at(2025, 3, 9), by=admin_user)
    stage(uc5, "data-security-review", started=now - datetime.timedelta(days=50), status="cancelled")
    stage(uc6, "it-review", started=now - datetime.timedelta(days=2), due=days(3))
    stage(uc6, "legal-review", started=now - datetime.timedelta(days=10), due=days(-5))
    stage(uc6, "data-security-review", started=now - datetime.timedelta(days=35), due=days(-30))
    stage(uc7, "it-review", started=now - datetime.timedelta(days=20), due=days(-15))
    stage(uc7, "legal-review", started=now - datetime.timedelta(days=40), due=days(0))
    stage(uc7, "privacy-review")  # planned, not started: not in the queue

    # Models: UC1 one closed model; UC2 the hybrid decision (60 % closed, 40 % self-hosted).
    choose = UseCaseModel.objects.create
    choose(use_case=uc1, ai_model=m_usd, deployment="closed_api")
    choose(use_case=uc2, ai_model=m_eur, deployment="closed_api", role="operations", request_share=60)
    choose(use_case=uc2, ai_model=m_open, deployment="open_self_hosted", role="core", request_share=40)
    choose(use_case=uc2, ai_model=m_old, deployment="closed_api", role="retired")
    choose(use_case=uc4, ai_model=m_usd, deployment="closed_api")
    # UC3 is left unestimated (as an imported use case is until the nightly refresh).
    refresh_cost_estimates([uc1.pk, uc2.pk, uc4.pk, uc5.pk, uc6.pk, uc7.pk, uc8.pk])

    benefit(uc1, 4, admin_user, hours="10", saved=1000)
    benefit(uc1, 5, admin_user, hours="4.5", revenue=2500)
    benefit(uc2, 5, admin_user, hours=100, saved=50_000, revenue=30_000)
    benefit(uc3, 6, admin_user, hours=2, saved=4000)
    benefit(uc4, 4, admin_user, hours=50)

    kpi(uc1, "increase", Decimal(2), (4, "1.9"), (5, "2.1"))  # reached
    kpi(uc1, "decrease", Decimal(30), (4, "25"), (5, "31"))  # the latest misses
    kpi(uc2, "decrease", Decimal(10), (5, "12"), (6, "10"))  # reached (equal)
    kpi(uc2, "increase", Decimal(100), (6, "99.5"))  # missed
    kpi(uc2, "increase", None, (6, "1"))  # no target: not counted
    kpi(uc2, "increase", Decimal(5))  # not measured: not counted
    kpi(uc4, "increase", Decimal(1), (4, "2"))  # retired: not counted

    rules = policy(admin_user, "usage-rules", departments=[alpha, bravo])
    first = publish(rules, admin_user)
    for person in (a1, a2):
        education.acknowledge(first, person)
    education.acknowledge(publish(rules, admin_user, body="# v2"), a1)  # v2 in force: a1 only
    publish(policy(admin_user, "faq", requires_acknowledgement=False), admin_user)
    basics = course(admin_user, "genai-basics", departments=[alpha, bravo, charlie])
    completed(basics, a1, admin_user, days(-30))
    completed(basics, a2, admin_user, days(-800))  # expired
    completed(basics, b1, admin_user, days(-10))
    course(admin_user, "legacy", departments=[alpha], is_active=False)

    return SimpleNamespace(
        alpha=alpha, bravo=bravo, charlie=charlie, users=(a1, a2, b1, c1), models=(m_usd, m_eur, m_old, m_open),
        ucs=(uc1, uc2, uc3, uc4, uc5, uc6, uc7, uc8),
    )  # fmt: skip


@pytest.fixture
def reader(world, executive):
    return api_client_for(executive)


# --- Summary ----------------------------------------------------------------------------------


def test_summary_counts_every_use_case(reader, world):
    data = fetch(reader, "summary")
    assert data["total"] == 8
    assert counts(data["by_status"]) == {
        "draft": 1, "submitted": 1, "in_review": 1, "changes_requested": 0, "approved": 1,
        "rejected": 1, "piloting": 1, "in_production": 1, "retired": 1, "withdrawn": 0, "suspended": 0,
    }  # fmt: skip
    # In progress only (the roadmap's count): rejected UC5 (step 2) and retired UC4 (step 6) are left out.
    assert counts(data["by_roadmap_step"]) == {"1": 1, "2": 3, "3": 0, "4": 0, "5": 1, "6": 1}
    assert counts(data["by_category"]) == {
        "creative": 2, "content_seo": 1, "sales_support": 1, "analytics": 2, "other": 1, "": 1,
    }  # fmt: skip
    assert data["by_department"] == [
        {"key": str(department.pk), "label": department.name, "count": n}
        for department, n in ((world.alpha, 4), (world.bravo, 3), (world.charlie, 1))
    ]
    assert list(counts(data["by_style"]).items()) == [("closed", 4), ("open", 2), ("hybrid", 1), ("", 1)]
    # UC5's reviewer override (limited) counts, not its computed tier (high).
    tiers = [("prohibited", 0), ("high", 2), ("limited", 2), ("minimal", 2), ("", 2)]
    assert list(counts(data["by_risk_tier"]).items()) == tiers
    assert all(row["label"] for row in data["by_status"] + data["by_risk_tier"])


@pytest.mark.parametrize(
    ("params", "total", "by_category"),
    [
        ({"department": ["alpha"]}, 4, {"creative": 2, "content_seo": 1, "analytics": 1}),
        ({"department": ["alpha", "charlie"]}, 5, {"creative": 2, "content_seo": 1, "analytics": 1, "other": 1}),
        ({"category": ["creative", "analytics"]}, 4, {"creative": 2, "analytics": 2}),
        ({"since": "2025-02-01", "until": "2025-03-31"}, 4,
         {"creative": 1, "content_seo": 1, "sales_support": 1, "other": 1}),
        ({"until": "2025-05-31"}, 7, {"creative": 2, "content_seo": 1, "sales_support": 1, "analytics": 2, "other": 1}),
        ({"since": "2025-06-01"}, 1, {"": 1}),  # UC8, registered at 00:30 on 1 June (Tokyo)
        ({"department": ["bravo"], "category": "analytics", "since": "2025-01-20", "until": "2025-01-20"}, 1,
         {"analytics": 1}),
    ],
)  # fmt: skip
def test_summary_filters(reader, world, params, total, by_category):
    params = {**params, "department": [getattr(world, code).pk for code in params.get("department", [])]}
    data = fetch(reader, "summary", **params)
    assert data["total"] == total
    assert {key: n for key, n in counts(data["by_category"]).items() if n} == by_category
    assert sum(row["count"] for row in data["by_department"]) == total


# --- Approvals --------------------------------------------------------------------------------


def stage_name(code, language="ja"):
    return getattr(StageDefinition.objects.get(code=code), f"name_{language}")


def test_approvals_queue_ageing_and_median(reader, world):
    assert fetch(reader, "approvals") == {
        "pending": 5,
        "overdue": 3,
        "ageing": [{"bucket": bucket, "count": n} for bucket, n in (("0-7", 1), ("8-14", 1), ("15-30", 1), ("31+", 2))],
        "by_group": [
            {"group": group, "stage": stage_name(group), "pending": pending, "overdue": overdue}
            for group, pending, overdue in (("data-security-review", 1, 1), ("it-review", 2, 1), ("legal-review", 2, 1))
        ],
        # Decided: UC3 3.5, UC5 7 (rejected), UC1 10, UC2 20, UC4 30 days: the middle one.
        "median_days_to_decision": "10.0",
    }


def groups(data):
    return [(row["group"], row["pending"], row["overdue"]) for row in data["by_group"]]


def test_approvals_filtered(reader, world):
    charlie = fetch(reader, "approvals", department=world.charlie.pk)
    assert (charlie["pending"], charlie["overdue"], charlie["median_days_to_decision"]) == (3, 2, None)
    assert [row["count"] for row in charlie["ageing"]] == [1, 1, 0, 1]
    assert groups(charlie) == [("data-security-review", 1, 1), ("it-review", 1, 0), ("legal-review", 1, 1)]
    alpha = fetch(reader, "approvals", department=world.alpha.pk)
    assert (alpha["pending"], alpha["overdue"], alpha["median_days_to_decision"]) == (2, 1, "10.0")
    assert [row["count"] for row in alpha["ageing"]] == [0, 0, 1, 1]
    assert groups(alpha) == [("it-review", 1, 1), ("legal-review", 1, 0)]
    # An even count: the mean of the middle two, (3.5 + 30) / 2 = 16.75, rounded half up.
    assert fetch(reader, "approvals", department=world.bravo.pk)["median_days_to_decision"] == "16.8"
    # UC1 10, UC5 7, UC3 3.5 -> 7.
    creative = fetch(reader, "approvals", category=["creative", "sales_support"])
    assert (creative["pending"], creative["median_days_to_decision"]) == (0, "7.0")
    # Registered Feb-Mar: UC2 20, UC3 3.5, UC5 7 decided; UC6's three stages pending.
    window = fetch(reader, "approvals", since="2025-02-01", until="2025-03-31")
    assert (window["pending"], window["overdue"], window["median_days_to_decision"]) == (3, 2, "7.0")


def test_names_follow_the_readers_language(reader, world):
    english = fetch(reader, "approvals", language="en")["by_group"]
    assert [row["stage"] for row in english] == [
        stage_name(code, "en") for code in ("data-security-review", "it-review", "legal-review")
    ]
    summary = fetch(reader, "summary", language="en")["by_department"]
    assert [row["label"] for row in summary] == ["Alpha (en)", "Bravo (en)", "Charlie (en)"]
    cost = fetch(reader, "cost-value", language="en")["by_department"]
    assert [row["department_name"] for row in cost] == ["Alpha (en)", "Bravo (en)"]


# --- Vendors ----------------------------------------------------------------------------------


VENDOR_FIGURES = {
    "by_status": {
        "prospective": 1, "under_assessment": 1, "approved": 5, "approved_with_conditions": 1,
        "rejected": 1, "offboarded": 1,
    },
    "by_approved_level": {"public": 1, "internal": 2, "confidential": 1, "restricted": 1, "": 1},
    # Approved vendors only: V10 in 10 days, V45 in 45, V80 in 80, Vlate 5 days ago.
    "reassessment_due": {"overdue": 1, "within_30_days": 1, "within_60_days": 2, "within_90_days": 3},
}  # fmt: skip


def test_vendors_are_organisation_wide(reader, world):
    for params in ({}, {"department": world.charlie.pk, "category": "other", "since": "2025-06-01"}):
        data = fetch(reader, "vendors", **params)
        assert {key: counts(data[key]) for key in ("by_status", "by_approved_level")} == {
            key: VENDOR_FIGURES[key] for key in ("by_status", "by_approved_level")
        }
        assert data["reassessment_due"] == VENDOR_FIGURES["reassessment_due"]


# --- Cost and value ---------------------------------------------------------------------------

# The ROI period is August 2024 to July 2025; a use case's running cost counts from its month of approval.
# UC1 (Alpha): 10,000 x (1000 x 2 + 500 x 8) / 1M = 60 USD x 150 = 9,000 closed; other 20,000;
#   approved in January: 7 months (January to July);
#   benefits 10 h x 5,000 + 1,000 = 51,000 and 4.5 h x 5,000 + 2,500 = 25,000.
# UC2 (Alpha): 20,000 x 60 % x (1500 x 3 + 500 x 12) / 1M = 126 EUR x 160 = 20,160 closed;
#   self-hosted 550,000 + 0.1 x 900,000 = 640,000; approved in February: 6 months;
#   benefit 100 h x 4,000 + 50,000 + 30,000 = 480,000.
# UC3 (Bravo): not estimated, other 5,000; approved in February: 6 months; benefit 2 h x 3,000 + 4,000 = 10,000.
# UC4 is retired: its cost and benefits do not count.
NO_REASON = {"roi_reason": None, "roi_reason_text": ""}
ALPHA = {
    "department_name": "Alpha", "use_cases": 2, "not_estimated": 0, "without_benefit": 0, "closed": "29160.00",
    "self_hosted": "640000.00", "other": "20000.00", "monthly_total": "689160.00", "benefit": "556000.00",
    "cost_over_months": "4163960.00",  # 29,000 x 7 + 660,160 x 6
    "roi_percent": "-86.6", **NO_REASON,  # (556,000 - 4,163,960) / 4,163,960
}  # fmt: skip
BRAVO = {
    "department_name": "Bravo", "use_cases": 1, "not_estimated": 1, "without_benefit": 0, "closed": "0.00",
    "self_hosted": "0.00", "other": "5000.00", "monthly_total": "5000.00", "benefit": "10000.00",
    "cost_over_months": "30000.00",  # 5,000 x 6
    "roi_percent": "-66.7", **NO_REASON,  # (10,000 - 30,000) / 30,000
}  # fmt: skip


def test_cost_value(reader, world):
    data = fetch(reader, "cost-value")
    assert data["currency"] == "JPY"
    assert data["period"] == {"first_month": "2024-08-01", "last_month": "2025-07-01", "months": 12}
    assert data["by_department"] == [{"department": world.alpha.pk, **ALPHA}, {"department": world.bravo.pk, **BRAVO}]
    assert data["total"] == {
        "closed": "29160.00", "self_hosted": "640000.00", "other": "25000.00", "monthly_total": "694160.00",
        "use_cases": 3, "without_benefit": 0, "benefit": "566000.00", "cost_over_months": "4193960.00",
        "roi_percent": "-86.5", **NO_REASON,  # (566,000 - 4,193,960) / 4,193,960
    }  # fmt: skip
    assert data["kpis"] == {"measured": 4, "attained": 2, "attainment_percent": "50.0"}


def test_cost_value_filtered(reader, world):
    bravo = fetch(reader, "cost-value", department=world.bravo.pk)
    assert bravo["by_department"] == [{"department": world.bravo.pk, **BRAVO}]
    assert bravo["total"]["roi_percent"] == "-66.7"
    assert bravo["kpis"] == {"measured": 0, "attained": 0, "attainment_percent": None}
    creative = fetch(reader, "cost-value", category=["creative"])  # UC1 only (UC5 was rejected)
    assert creative["total"] == {
        "closed": "9000.00", "self_hosted": "0.00", "other": "20000.00", "monthly_total": "29000.00",
        "use_cases": 1, "without_benefit": 0, "benefit": "76000.00", "cost_over_months": "203000.00",
        "roi_percent": "-62.6", **NO_REASON,  # (76,000 - 203,000) / 203,000
    }  # fmt: skip
    assert creative["kpis"] == {"measured": 2, "attained": 1, "attainment_percent": "50.0"}
    window = fetch(reader, "cost-value", since="2025-02-01", until="2025-03-31")  # UC2 and UC3
    assert [row["monthly_total"] for row in window["by_department"]] == ["660160.00", "5000.00"]
    assert window["by_department"][0]["roi_percent"] == "-87.9"  # (480,000 - 660,160 x 6) / (660,160 x 6)
    assert window["kpis"] == {"measured": 2, "attained": 1, "attainment_percent": "50.0"}
    nothing = fetch(reader, "cost-value", department=world.charlie.pk)
    assert nothing["by_department"] == [] and nothing["total"]["roi_percent"] is None
    assert nothing["total"]["roi_reason"] == "no_benefit" and nothing["total"]["roi_reason_text"]
    assert nothing["total"]["monthly_total"] == "0.00"


# --- Education --------------------------------------------------------------------------------


def rates(world, *rows):
    return [
        {
            "department_id": getattr(world, code).pk,
            "department": code.title(),
            "total": total,
            "done": done,
            "rate": rate,
        }
        for code, total, done, rate in rows
    ]


def test_education_rates_by_department(reader, world):
    # usage-rules v2 (v1 superseded; "faq" needs no acknowledgement): alpha1 acknowledged, alpha2
    # only v1; the inactive alpha-left does not count. genai-basics: alpha2's completion expired.
    expected = {
        "policies": [
            {
                "key": "usage-rules",
                "version": 2,
                "by_department": rates(world, ("alpha", 2, 1, 50.0), ("bravo", 1, 0, 0.0)),
            }
        ],
        "courses": [
            {
                "key": "genai-basics",
                "by_department": rates(world, ("alpha", 2, 1, 50.0), ("bravo", 1, 1, 100.0), ("charlie", 1, 0, 0.0)),
            }
        ],
    }
    # The department filter keeps that department's rows; category and dates do not apply to people.
    only_charlie = {
        "policies": [{"key": "usage-rules", "version": 2, "by_department": []}],
        "courses": [{"key": "genai-basics", "by_department": rates(world, ("charlie", 1, 0, 0.0))}],
    }
    for params, wanted in (
        ({}, expected),
        ({"category": "other", "since": "2000-01-01"}, expected),
        ({"department": world.charlie.pk, "category": "other"}, only_charlie),
    ):
        data = fetch(reader, "education", **params)
        for kind in ("policies", "courses"):
            assert all(item.pop("title") for item in data[kind])
        assert data == wanted


# --- Trend ------------------------------------------------------------------------------------


def months(*rows):
    """Trend rows of 2025 from (month, created, approved, gone live, retired)."""
    keys = ("created", "approved", "in_production", "retired")
    return [{"month": f"2025-{row[0]:02}-01", **dict(zip(keys, row[1:], strict=True))} for row in rows]


def test_trend_by_month(reader, world):
    # UC8 was registered at 00:30 on 1 June in Tokyo (31 May in UTC): a June row.
    expected = months(
        (1, 2, 1, 0, 0), (2, 2, 3, 0, 0), (3, 2, 0, 2, 0), (4, 1, 0, 0, 0), (5, 0, 0, 0, 1), (6, 1, 0, 0, 0),
        (7, 0, 0, 0, 0),  # to the current month
    )  # fmt: skip
    assert fetch(reader, "trend") == expected


def test_trend_filtered(reader, world):
    # since/until bound each event's own date: UC1 went live and UC4 was approved in the window
    # although both were registered in January.
    assert fetch(reader, "trend", since="2025-02-01", until="2025-03-31") == months((2, 2, 3, 0, 0), (3, 2, 0, 2, 0))
    # Every month, April (nothing happened) and July (the current month) as zeros.
    assert fetch(reader, "trend", department=world.bravo.pk) == months(
        (1, 1, 0, 0, 0), (2, 1, 2, 0, 0), (3, 0, 0, 1, 0), (4, 0, 0, 0, 0), (5, 0, 0, 0, 1), (6, 1, 0, 0, 0),
        (7, 0, 0, 0, 0),
    )  # fmt: skip
    assert fetch(reader, "trend", category=["analytics", "other"], until="2025-05-31") == months(
        (1, 1, 0, 0, 0), (2, 0, 1, 0, 0), (3, 1, 0, 1, 0), (4, 1, 0, 0, 0), (5, 0, 0, 0, 1)
    )
    assert fetch(reader, "trend", since="2025-07-01") == []


# --- Invalid filters --------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_invalid_filters_are_400_with_field_messages(reader, world, endpoint):
    for params, field in (
        ({"department": "abc"}, "department"),
        ({"department": 999_999}, "department"),
        ({"category": ["creative", "gardening"]}, "category"),
        ({"since": "2025-02-30"}, "since"),
        ({"until": "yesterday"}, "until"),
    ):
        body = fetch(reader, endpoint, status=400, **params)
        assert list(body) == [field], body
        assert body[field] and all(isinstance(message, str) and message for message in body[field])


# --- Who may read -----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_permissions_per_persona(personas, endpoint):
    expected = {
        "anonymous": 401, "requester": 403, "other_requester": 403, "outsider": 403,
        "reviewer": 200, "executive": 200, "admin": 200,
    }  # fmt: skip
    answers = {name: api_client_for(user).get(url(endpoint)).status_code for name, user in personas.items()}
    assert answers == expected
    anonymous = api_client_for(None).get(url(endpoint))
    assert anonymous["WWW-Authenticate"] == "Token"


def test_token_authentication(api_client, executive, requester):
    token, key = create_api_token(executive, "BI dashboard")
    assert token.last_used_at is None
    response = api_client.get(url("summary"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response.json()["total"] == 0
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert api_client.get(url("trend"), HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    # Stored hashed: only the SHA-256 of the key, its first 8 characters as a label.
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and token.prefix == key[:8]
    stored = [str(value) for value in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.fields])]
    stored += [str(row) for row in AuditEvent.objects.values_list("data", "changes")]
    assert not any(key in text for text in stored)
    # A requester's token authenticates, but requesters may not read the figures.
    _other, requester_key = create_api_token(requester, "mine")
    assert api_client.get(url("summary"), HTTP_AUTHORIZATION=f"Token {requester_key}").status_code == 403
    for header in (f"Token {key[:-1]}", f"Token {key} extra", "Token"):
        assert api_client.get(url("summary"), HTTP_AUTHORIZATION=header).status_code == 401, header
    # last_used_at is written at most once a minute (a read is not turned into a write each time).
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    api_client.get(url("vendors"), HTTP_AUTHORIZATION=f"Token {key}")
    recorded = ApiToken.objects.get(pk=token.pk).last_used_at
    with CaptureQueriesContext(connection) as queries:
        api_client.get(url("vendors"), HTTP_AUTHORIZATION=f"Token {key}")
    assert recorded > earlier and not any(query["sql"].startswith("UPDATE") for query in queries.captured_queries)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == recorded


def test_session_authentication(client, executive, requester):
    client.force_login(requester)
    assert client.get(url("summary")).status_code == 403
    client.force_login(executive)
    assert client.get(url("summary")).status_code == 200


def test_revoked_token_and_inactive_user_are_refused(api_client, executive):
    token, key = create_api_token(executive, "BI dashboard")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    response = api_client.get(url("summary"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    _token, other = create_api_token(executive, "second")
    type(executive).objects.filter(pk=executive.pk).update(is_active=False)
    assert api_client.get(url("summary"), HTTP_AUTHORIZATION=f"Token {other}").status_code == 401


# --- Queries ----------------------------------------------------------------------------------

# 10 queries, + the SAVEPOINT and RELEASE of the atomic request inside the test's transaction.
QUERY_BOUND = 12


def more_rows(world, admin_user, n=55):
    """Many more rows of every kind the figures read (policies and courses stay one each: their
    figures take a query per policy and per course, by design)."""
    owners = [UserFactory(username=f"bulk{i}", department=world.ucs[i % 3].department) for i in range(6)]
    statuses = ["in_production", "piloting", "approved", "retired", "rejected", "in_review", "draft"]
    levels = ("public", "internal", "confidential", "restricted", "")
    kinds = ("approved", "approved_with_conditions", "under_assessment")
    vendors_ = [vendor(f"Bulk {i}", kinds[i % 3], levels[i % 5], days(i * 7 - 20)) for i in range(15)]
    model = AIModelFactory(name="Bulk model", publisher=vendors_[0])
    for i in range(n):
        status = statuses[i % len(statuses)]
        case = use_case(
            owners[i % 6], at(2025, 1 + i % 12, 1 + i % 28), category="creative", status=status,
            submitted_at=None if status == "draft" else at(2025, 1 + i % 12, 1 + i % 28),
            approved_at=at(2025, 12, 1) if status in ("in_production", "piloting", "approved", "retired") else None,
            went_live_at=at(2025, 12, 5) if status == "in_production" else None, monthly_requests=100 * i,
            avg_input_tokens=100, avg_output_tokens=100, other_monthly_cost=Decimal(i),
        )  # fmt: skip
        UseCaseModel.objects.create(use_case=case, ai_model=model, deployment="closed_api")
        stage(
            case,
            ("it-review", "legal-review")[i % 2],
            started=timezone.now() - datetime.timedelta(days=i),
            due=days(5 - i),
        )
        kpi(case, "increase", Decimal(i), (1, str(i)), (2, str(i * 2)))
        for m in (1, 2, 3):
            benefit(case, m, admin_user, hours=i, saved=m)
    refresh_cost_estimates()
    for person in owners:
        education.acknowledge(education.in_force(PolicyDocument.objects.get(key="usage-rules")), person)


def measure(client, endpoint, params, token, assert_max):
    """The queries of one request, including authentication in the worst case (last_used_at written).
    The summary with filters takes one more (see pending_bug_summary_stays_within_the_query_bound)."""
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)
    with assert_max(QUERY_BOUND + (endpoint == "summary" and bool(params))) as queries:
        fetch(client, endpoint, **params)
    return len(queries)


def test_query_counts_do_not_grow_with_rows(world, executive, admin_user, api_client, django_assert_max_num_queries):
    assert_max = django_assert_max_num_queries
    token, key = create_api_token(executive, "BI dashboard")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    filters = dict(department=[world.alpha.pk, world.bravo.pk], category=["creative", "analytics"], since="2025-01-01")
    cases = [(endpoint, params) for endpoint in ENDPOINTS for params in ({}, filters)]
    few = [measure(api_client, *case, token, assert_max) for case in cases]
    more_rows(world, admin_user)
    assert UseCase.objects.count() > 60
    assert [measure(api_client, *case, token, assert_max) for case in cases] == few


# --- Stored cost estimates stay in step ---------------------------------------------------------


def estimates(*cases):
    rows = UseCase.objects.filter(pk__in=[case.pk for case in cases]).order_by("pk")
    return [(str(row.estimated_closed_cost), str(row.estimated_self_hosted_cost)) for row in rows]


def test_price_change_refreshes_the_use_cases_of_that_model(world, django_capture_on_commit_callbacks):
    uc1, uc2, uc3, uc4 = world.ucs[:4]
    m_usd = world.models[0]
    stamped = UseCase.objects.get(pk=uc2.pk).cost_estimated_at
    m_usd.price_output_per_million = Decimal("18.00")
    with django_capture_on_commit_callbacks(execute=True):
        m_usd.save()
        assert estimates(uc1) == [("9000.00", "0.00")]  # after the commit, not before
    # (1000 x 2 + 500 x 18) / 1M = 0.011 USD a request x 150: UC1 x 10,000, UC4 x 1,000.
    assert estimates(uc1, uc4) == [("16500.00", "0.00"), ("1650.00", "0.00")]
    assert UseCase.objects.get(pk=uc2.pk).cost_estimated_at == stamped  # not a user of the model
    assert UseCase.objects.get(pk=uc3.pk).cost_estimated_at is None


def test_rate_and_default_changes_refresh_every_use_case(world, reader, django_capture_on_commit_callbacks):
    uc1, uc2, uc3 = world.ucs[:3]
    with django_capture_on_commit_callbacks(execute=True):
        usd = ExchangeRate.objects.get(currency="USD")
        usd.rate = Decimal(100)
        usd.save()
    assert estimates(uc1) == [("6000.00", "0.00")]  # 60 USD x 100
    assert UseCase.objects.get(pk=uc3.pk).cost_estimated_at is not None  # every use case
    with django_capture_on_commit_callbacks(execute=True):
        ExchangeRate.objects.get(currency="EUR").delete()
    assert estimates(uc2) == [("0.00", "640000.00")]  # no EUR rate: the closed part cannot be costed
    with django_capture_on_commit_callbacks(execute=True):
        settings_row = CostSettings.load()
        settings_row.gpu_monthly_cost = Decimal(600_000)
        settings_row.engineer_monthly_cost = Decimal(1_000_000)
        settings_row.save()
    assert estimates(uc2) == [("0.00", "700000.00")]  # 600,000 + 0.1 x 1,000,000
    data = fetch(reader, "cost-value")
    assert (data["total"]["closed"], data["total"]["self_hosted"]) == ("6000.00", "700000.00")
    assert [row["not_estimated"] for row in data["by_department"]] == [0, 0]


def test_roadmap_services_refresh_the_estimate(world, reviewer, reader):
    uc2 = world.ucs[1]
    decisions = zip(uc2.model_choices.order_by("pk"), ("operations", "core", "retired"), (50, 50, None), strict=True)
    rows = [{"choice": c, "role": role, "rationale": "用途に合う", "request_share": n} for c, role, n in decisions]
    roadmap_services.decide_roles(uc2, reviewer, rows)
    assert estimates(uc2) == [("16800.00", "640000.00")]  # 20,000 x 50 % x 0.0105 EUR x 160
    assumptions = {"operations_fte": Decimal("0.5"), "other_monthly_cost": Decimal(1000)}
    roadmap_services.update_cost_assumptions(uc2, reviewer, assumptions)
    assert estimates(uc2) == [("16800.00", "1000000.00")]  # 550,000 + 0.5 x 900,000
    alpha = fetch(reader, "cost-value", department=world.alpha.pk)["by_department"][0]
    assert (alpha["closed"], alpha["self_hosted"], alpha["other"]) == ("25800.00", "1000000.00", "21000.00")
    assert alpha["monthly_total"] == "1046800.00"


# --- Known bugs (not collected: rename to test_... once fixed) -----------------------------------


def test_median_keeps_equal_durations_when_filtered(world, reader):
    """A department or category filter makes the use-case queryset DISTINCT (django-filter's
    multiple-choice filters default to distinct=True), and ``approvals`` then counts and slices
    DISTINCT durations: two decisions taking the same time count once."""
    twin = use_case(
        world.users[2], at(2025, 2, 14), status="approved", roadmap_step=2,
        submitted_at=at(2025, 2, 15, 12), approved_at=at(2025, 2, 19, 0),
    )  # fmt: skip
    assert twin.department == world.bravo
    # All: 3.5, 3.5, 7, 10, 20, 30 -> (7 + 10) / 2.
    assert fetch(reader, "approvals")["median_days_to_decision"] == "8.5"
    # Bravo: 3.5, 3.5, 30 -> 3.5 (gets 16.8: the two 3.5 collapse into one).
    assert fetch(reader, "approvals", department=world.bravo.pk)["median_days_to_decision"] == "3.5"


def test_median_days_round_half_up(world, reader):
    """The median is turned into days through a float, so 1.15 days (99,360 s) becomes
    1.149999... and rounds down to 1.1; the other figures round half up in Decimal."""
    solo = DepartmentFactory(code="solo", name="Solo")
    owner = UserFactory(username="solo", department=solo)
    use_case(
        owner, at(2025, 7, 1), status="approved", submitted_at=at(2025, 7, 1, 8),
        approved_at=at(2025, 7, 2, 11, 36),
    )  # fmt: skip
    assert fetch(reader, "approvals", department=solo.pk)["median_days_to_decision"] == "1.2"


def test_summary_stays_within_the_query_bound(world, executive, api_client, django_assert_max_num_queries):
    """Token lookup, last_used_at, two permission queries and the department filter's lookup
    leave 5 for the summary's 6 GROUP BY queries: 11 with a department filter."""
    token, key = create_api_token(executive, "BI dashboard")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)
    with django_assert_max_num_queries(QUERY_BOUND):
        fetch(api_client, "summary", department=world.alpha.pk)


def test_education_orders_departments_alike_on_every_database(executive, admin_user, requester):
    """Rates are ordered by department name; people without a department (the executive) make a
    NULL row, last on PostgreSQL but first on SQLite. Fails on SQLite."""
    publish(policy(admin_user, "all-staff"), admin_user)
    rows = fetch(api_client_for(executive), "education")["policies"][0]["by_department"]
    assert [row["department_id"] for row in rows][-1] is None
