"""Every dashboard and adoption figure on a small organisation worked out by hand:
the same values on the page, in the API and on the roadmap page; each figure's definition on
the page and in the schema; decision times never negative (the services refuse a decision dated
before its submission); ROI over a stated period, or "—" with a reason; trends month by month
without gaps; roadmap readiness that does not contradict the use cases already past a step; and
demo data that reads as a coherent history.

"Now" is April 2026 for the month-based figures (``usecases.returns.this_month``): the ROI
period is May 2025 to April 2026 and the trends run to April 2026.
"""

import datetime
import json
import re
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from dashboard import adoption
from dashboard.views import DEFINITION_TERMS
from governance import services as governance
from governance.models import ApprovalStage, StageDefinition
from tests.conftest import api_client_for
from tests.factories import AIModelFactory, DepartmentFactory, UseCaseFactory, UserFactory, VendorFactory
from usecases import roadmap
from usecases import services as usecase_services
from usecases.models import BenefitRecord, Kpi, KpiMeasurement, UseCase
from vendors.models import Vendor

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
THIS_MONTH = datetime.date(2026, 4, 1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def this_month(monkeypatch):
    monkeypatch.setattr("usecases.returns.this_month", lambda: THIS_MONTH)


def at(year, month, day, hour=12):
    return datetime.datetime(year, month, day, hour, tzinfo=TOKYO)


def make(owner, created, status, step, **dates_and_costs):
    made = UseCaseFactory(owner=owner, department=owner.department)
    UseCase.objects.filter(pk=made.pk).update(
        created_at=created, status=status, roadmap_step=step, cost_estimated_at=timezone.now(), **dates_and_costs
    )
    return UseCase.objects.get(pk=made.pk)


def benefit(case, month, recorder, hours=0, saved=0):
    BenefitRecord.objects.create(
        use_case=case, month=month, hours_saved=Decimal(hours), cost_saved=Decimal(saved), recorded_by=recorder
    )


def kpi(case, direction, target, *values):
    made = Kpi.objects.create(use_case=case, name=f"KPI {direction}", direction=direction, target=target)
    for day, value in enumerate(values, start=1):
        KpiMeasurement.objects.create(kpi=made, measured_on=datetime.date(2026, 3, day), value=Decimal(value))


@pytest.fixture
def org(admin_user):
    """Two departments, eight use cases, three vendors. Hourly rate: the default 5,000."""
    alpha = DepartmentFactory(code="alpha", name="アルファ部", name_en="Alpha")
    bravo = DepartmentFactory(code="bravo", name="ブラボー部", name_en="Bravo")
    a = UserFactory(username="alpha", department=alpha, role="requester")
    b = UserFactory(username="bravo", department=bravo, role="requester")
    u1 = make(
        a, at(2026, 1, 5), "in_production", 5, submitted_at=at(2026, 1, 6, 9), approved_at=at(2026, 1, 16, 9),
        went_live_at=at(2026, 3, 2), estimated_closed_cost=50_000, estimated_self_hosted_cost=0,
        other_monthly_cost=100_000,
    )  # fmt: skip
    u2 = make(
        a, at(2026, 2, 1), "piloting", 3, submitted_at=at(2026, 2, 2, 10), approved_at=at(2026, 2, 6, 10),
        estimated_closed_cost=0, estimated_self_hosted_cost=200_000,
    )  # fmt: skip
    u3 = make(
        b, at(2026, 3, 10), "approved", 2, submitted_at=at(2026, 3, 11, 0), approved_at=at(2026, 3, 31, 0),
        estimated_closed_cost=0, estimated_self_hosted_cost=0,
    )  # fmt: skip
    u4 = make(b, at(2026, 3, 1), "rejected", 2, submitted_at=at(2026, 3, 2))
    definition = StageDefinition.objects.get(code="it-review")
    ApprovalStage.objects.create(
        use_case=u4, definition=definition, group=definition.group, status="rejected", started_at=at(2026, 3, 2),
        decision="reject", decided_at=at(2026, 3, 9), decided_by=admin_user,
    )  # fmt: skip
    u5 = make(
        a, at(2025, 6, 1), "retired", 5, submitted_at=at(2025, 6, 2), approved_at=at(2025, 7, 2),
        went_live_at=at(2025, 8, 1), retired_at=at(2025, 12, 15), estimated_closed_cost=90_000,
    )  # fmt: skip
    u6 = make(a, at(2026, 4, 2), "draft", 1)
    u7 = make(b, at(2026, 3, 20), "submitted", 1, submitted_at=at(2026, 3, 21))
    ApprovalStage.objects.create(
        use_case=u7, definition=definition, group=definition.group, status="pending",
        started_at=timezone.now() - datetime.timedelta(days=3),
        due_on=timezone.localdate() + datetime.timedelta(days=5),
    )  # fmt: skip
    u8 = make(b, at(2026, 2, 15), "withdrawn", 1)

    benefit(u1, datetime.date(2025, 4, 1), admin_user, saved=999_000)  # before the period: not counted
    benefit(u1, datetime.date(2026, 3, 1), admin_user, hours=10, saved=200_000)  # 10 x 5,000 + 200,000
    benefit(u1, datetime.date(2026, 4, 1), admin_user, hours=20, saved=300_000)  # 20 x 5,000 + 300,000
    benefit(u3, datetime.date(2026, 4, 1), admin_user, hours=1)  # 1 x 5,000
    benefit(u5, datetime.date(2025, 9, 1), admin_user, saved=500_000)  # retired: not counted

    kpi(u1, "increase", Decimal(10), "8", "11")  # reached
    kpi(u2, "decrease", Decimal(5), "4", "6")  # the latest misses
    kpi(u3, "increase", Decimal(3))  # not measured: not counted
    kpi(u5, "increase", Decimal(1), "2")  # retired: not counted

    today = timezone.localdate()
    for name, status, reassess in (
        ("V-ok", "approved", today + datetime.timedelta(days=20)),
        ("V-late", "approved_with_conditions", today - datetime.timedelta(days=3)),
        ("V-new", "prospective", None),
    ):
        made = VendorFactory(name=name)
        Vendor.objects.filter(pk=made.pk).update(status=status, next_reassessment_on=reassess)
    return SimpleNamespace(alpha=alpha, bravo=bravo, ucs=(u1, u2, u3, u4, u5, u6, u7, u8))


# --- The figures, by hand --------------------------------------------------------------------------------

# Decisions: U2 4 days, U4 7 (rejected), U1 10, U3 20, U5 30 (retired, decided all the same).
MEDIAN = Decimal("10.0")
# In progress per step: step 1 U6 and U7 (U8 withdrawn), 2 U3 (U4 rejected), 3 U2, 5 U1 (U5 retired).
STEPS = [2, 1, 1, 0, 1, 0]
# Alpha: U1 150,000 a month from January (4 months) = 600,000 and U2 200,000 from February (3) = 600,000;
#   benefit 250,000 + 400,000 = 650,000 (U1's April 2025 is before the period; U2 records none).
# Bravo: U3 costs nothing: no ROI ("no_cost"), its 5,000 of benefit still counts in the total.
ALPHA_ROI = Decimal("-45.8")  # (650,000 - 1,200,000) / 1,200,000
TOTAL_ROI = Decimal("-45.4")  # (655,000 - 1,200,000) / 1,200,000
# (month, created, approved, gone live, retired), every month from June 2025 to April 2026.
TREND = [
    ("2025-06", 1, 0, 0, 0), ("2025-07", 0, 1, 0, 0), ("2025-08", 0, 0, 1, 0), ("2025-09", 0, 0, 0, 0),
    ("2025-10", 0, 0, 0, 0), ("2025-11", 0, 0, 0, 0), ("2025-12", 0, 0, 0, 1), ("2026-01", 1, 1, 0, 0),
    ("2026-02", 2, 1, 0, 0), ("2026-03", 3, 1, 1, 0), ("2026-04", 1, 0, 0, 0),
]  # fmt: skip


def test_each_figure_equals_the_hand_computation(org):
    everything = UseCase.objects.all()
    summary = adoption.summary(everything)
    assert summary["total"] == 8
    assert [row["count"] for row in summary["by_roadmap_step"]] == STEPS

    approvals = adoption.approvals(everything)
    assert approvals["median_days_to_decision"] == MEDIAN
    assert (approvals["pending"], approvals["overdue"]) == (1, 0)
    assert [row["count"] for row in approvals["ageing"]] == [1, 0, 0, 0]

    costs = adoption.cost_value(everything)
    period = costs["period"]
    assert (period.first, period.last, period.months) == (datetime.date(2025, 5, 1), THIS_MONTH, 12)
    alpha, bravo = costs["by_department"]
    assert (alpha["department"], bravo["department"]) == (org.alpha.pk, org.bravo.pk)
    assert (alpha["closed"], alpha["self_hosted"], alpha["other"], alpha["monthly_total"]) == (
        50_000, 200_000, 100_000, 350_000,
    )  # fmt: skip
    assert (alpha["benefit"], alpha["cost_over_months"], alpha["roi_percent"], alpha["roi_reason"]) == (
        650_000, 1_200_000, ALPHA_ROI, None,
    )  # fmt: skip
    assert (alpha["use_cases"], alpha["without_benefit"]) == (2, 1)
    assert (bravo["benefit"], bravo["cost_over_months"], bravo["roi_percent"], bravo["roi_reason"]) == (
        5_000, 0, None, "no_cost",
    )  # fmt: skip
    assert bravo["roi_reason_text"]
    total = costs["total"]
    assert (total["monthly_total"], total["benefit"], total["cost_over_months"]) == (350_000, 655_000, 1_200_000)
    assert (total["roi_percent"], total["roi_reason"], total["without_benefit"]) == (TOTAL_ROI, None, 1)
    # KPIs of live use cases with a target and a measurement: U1's reached, U2's missed.
    assert costs["kpis"] == {"measured": 2, "attained": 1, "attainment_percent": Decimal("50.0")}

    rows = [(r["month"].strftime("%Y-%m"), r["created"], r["approved"], r["in_production"], r["retired"]) for r in
            adoption.trend(everything)]  # fmt: skip
    assert rows == TREND

    vendors = adoption.vendors()
    assert {row["key"]: row["count"] for row in vendors["by_status"] if row["count"]} == {
        "approved": 1, "approved_with_conditions": 1, "prospective": 1,
    }  # fmt: skip
    assert vendors["reassessment_due"] == {"overdue": 1, "within_30_days": 1, "within_60_days": 1, "within_90_days": 1}


def test_the_api_gives_the_same_figures_and_says_why_an_roi_is_missing(org, executive):
    client = api_client_for(executive)
    summary = client.get("/api/v1/adoption/summary/").json()
    assert [row["count"] for row in summary["by_roadmap_step"]] == STEPS
    assert client.get("/api/v1/adoption/approvals/").json()["median_days_to_decision"] == str(MEDIAN)
    costs = client.get("/api/v1/adoption/cost-value/", **EN).json()
    assert costs["period"] == {"first_month": "2025-05-01", "last_month": "2026-04-01", "months": 12}
    assert costs["total"]["roi_percent"] == str(TOTAL_ROI)
    bravo = costs["by_department"][1]
    assert (bravo["roi_percent"], bravo["roi_reason"]) == (None, "no_cost")
    assert bravo["roi_reason_text"].startswith("The running cost over the period is zero")
    trend = client.get("/api/v1/adoption/trend/").json()
    assert [row["month"][:7] for row in trend] == [month for month, *_counts in TREND]


def test_no_benefit_recorded_means_no_roi_with_that_reason(org):
    BenefitRecord.objects.all().delete()
    costs = adoption.cost_value(UseCase.objects.all())
    assert (costs["total"]["roi_percent"], costs["total"]["roi_reason"]) == (None, "no_benefit")
    assert [row["roi_reason"] for row in costs["by_department"]] == ["no_benefit", "no_benefit"]
    assert costs["total"]["without_benefit"] == 3


def test_the_roadmap_counts_are_the_same_on_every_page_and_api(org, client, executive):
    client.force_login(executive)
    dashboard = client.get(reverse("dashboard"))
    assert [row["count"] for row in dashboard.context["summary"]["by_roadmap_step"]] == STEPS
    page = client.get(reverse("usecases:organisation-roadmap"))
    assert [step["count"] for step in page.context["steps"]] == STEPS
    api = api_client_for(executive).get("/api/v1/roadmap/").json()
    assert [step["count"] for step in api["steps"]] == STEPS
    assert list(roadmap.step_counts(UseCase.objects.all()).values()) == STEPS
    # Both pages say what is counted.
    assert "by-step-note" in dashboard.content.decode()
    with translation.override("en"):
        assert "not counted" in client.get(reverse("usecases:organisation-roadmap"), **EN).content.decode()


def test_the_page_shows_every_figure_with_its_definition_and_period(org, client, executive):
    client.force_login(executive)
    content = client.get(reverse("dashboard"), **EN).content.decode()
    assert re.search(r'id="figure-roi">-45\.4%<', content)
    assert 'id="median-days">10.0<' in content
    assert "ROI 2025-05 to 2026-04" in content
    assert "The running cost over the period is zero" in content  # Bravo's "—" says why
    definitions = content[content.index('id="definitions"') :]
    assert set(DEFINITION_TERMS) == set(adoption.DEFINITIONS)
    with translation.override("en"):
        for key, text in adoption.DEFINITIONS.items():
            assert f"<dt>{DEFINITION_TERMS[key]}</dt>" in definitions, key
            assert str(text).replace("'", "&#x27;") in definitions, key
    chart = json.loads(re.search(r'id="dashboard-data" type="application/json">(.*?)</script>', content).group(1))
    assert [row[0] for row in chart["trend"]] == [month for month, *_counts in TREND]
    japanese = client.get(reverse("dashboard")).content.decode()
    assert "これらの数値の計算方法" in japanese and "ROI 2025-05〜2026-04" in japanese


def test_the_schema_describes_each_figure_in_both_languages(client, executive):
    client.force_login(executive)
    english = client.get("/api/schema/?lang=en", HTTP_ACCEPT="application/json").json()
    japanese = client.get("/api/schema/?lang=ja", HTTP_ACCEPT="application/json").json()
    for schema, language in ((english, "en"), (japanese, "ja")):
        components = schema["components"]["schemas"]
        with translation.override(language):
            expected = str(adoption.DEFINITIONS["roi_percent"])
            assert components["CostTotal"]["properties"]["roi_percent"]["description"] == expected
            expected = str(adoption.DEFINITIONS["median_days_to_decision"])
            assert components["Approvals"]["properties"]["median_days_to_decision"]["description"] == expected
    assert "ROI" in str(japanese["components"]["schemas"]["CostTotal"]["properties"]["roi_percent"]["description"])
    assert (
        english["components"]["schemas"]["CostTotal"]["properties"]["roi_percent"]["description"]
        != (japanese["components"]["schemas"]["CostTotal"]["properties"]["roi_percent"]["description"])
    )


# --- Decision time is never negative ---------------------------------------------------------------------


def test_a_decision_row_dated_before_its_submission_is_not_counted(org):
    make(
        org.ucs[0].owner, at(2026, 2, 1), "approved", 2, submitted_at=at(2026, 2, 10), approved_at=at(2026, 2, 5)
    )  # an old import written around the services
    assert adoption.approvals(UseCase.objects.all())["median_days_to_decision"] == MEDIAN


def test_the_services_refuse_a_decision_dated_before_its_submission(requester, reviewer):
    use_case = usecase_services.submit(UseCaseFactory(complete=True, owner=requester), requester)
    stage = governance.active_stage(use_case)
    earlier = use_case.submitted_at - datetime.timedelta(hours=1)
    with pytest.raises(ValidationError) as refused:
        governance.decide_stage(stage, reviewer, "approve", decided_at=earlier)
    assert list(refused.value.message_dict) == ["decided_at"]
    assert "ユースケースの申請" in refused.value.message_dict["decided_at"][0]  # Japanese, the default
    with pytest.raises(ValidationError):
        governance.decide_stage(stage, reviewer, "approve", decided_at=timezone.now() + datetime.timedelta(hours=1))
    stage.refresh_from_db()
    assert (stage.status, stage.decided_at) == ("pending", None)
    assert UseCase.objects.get(pk=use_case.pk).approved_at is None
    # A decision recorded afterwards keeps its own date, after the submission.
    UseCase.objects.filter(pk=use_case.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=5))
    when = timezone.now() - datetime.timedelta(days=2)
    governance.decide_stage(stage, reviewer, "approve", decided_at=when)
    stage.refresh_from_db()
    assert (stage.status, stage.decided_at) == ("approved", when)
    assert UseCase.objects.get(pk=use_case.pk).approved_at == when


# --- Readiness and the use cases past it --------------------------------------------------------------------


def test_unmet_readiness_names_the_use_cases_already_past_the_step(org):
    AIModelFactory(name="Near", openness="closed_api", status="approved", publisher=VendorFactory(name="Pending Inc"))
    with translation.override("en"):
        items = {item.code: item for item in roadmap.organisation_readiness()[3]}
    closed = items["org.closed_model"]
    assert closed.met is False  # no approved closed model from an approved vendor exists
    assert "Near" in closed.detail and "model Approved, vendor Prospective" in closed.detail  # what to approve
    # U2 at step 3 and U1 at step 5 are in progress past it (U5, retired, is not).
    assert "2 use cases in progress are at this step or later" in closed.detail
    assert items["org.pilot"].met is False and "2 use cases" in items["org.pilot"].detail


# --- The demo reads as a coherent history ---------------------------------------------------------------------


def test_the_demo_data_is_a_coherent_history(monkeypatch):
    monkeypatch.setattr("usecases.returns.this_month", lambda: timezone.localdate().replace(day=1))
    call_command("seed_demo", verbosity=0)
    cases = UseCase.objects.all()
    for case in cases:
        dates = [case.created_at, case.submitted_at, case.approved_at, case.went_live_at, case.retired_at]
        present = [day for day in dates if day is not None]
        assert present == sorted(present), case.reference
        assert all(day <= timezone.now() for day in present), case.reference
    for stage in ApprovalStage.objects.filter(decided_at__isnull=False).select_related("use_case"):
        assert stage.decided_at >= stage.use_case.submitted_at, stage.use_case.reference
    # Bounds an executive would believe; the seed once showed a median of -120.0 days, an ROI
    # of 10001.0 % and "KPIs on target: 0 of 9" side by side.
    approvals = adoption.approvals(cases)
    assert 0 < approvals["median_days_to_decision"] < 365
    costs = adoption.cost_value(cases)
    total = costs["total"]
    assert total["roi_reason"] is None and total["cost_over_months"] > 0 and total["benefit"] > 0
    # Some benefit is recorded (> -100 %), and no pilot portfolio returns ten times its cost.
    assert -100 < total["roi_percent"] < 1000, total
    kpis = costs["kpis"]
    assert 0 < kpis["attained"] <= kpis["measured"], kpis
    assert 0 < kpis["attainment_percent"] <= 100, kpis
    trend = adoption.trend(cases)
    assert len(trend) == len({row["month"] for row in trend}) >= 6
    # The pilots and the PoC run on models that meet the gates, so the organisation is ready for steps 3 and 4.
    readiness = roadmap.organisation_readiness()
    for step in (3, 4):
        assert all(item.met for item in readiness[step]), [(i.code, i.detail) for i in readiness[step]]
        assert not any(item.detail for item in readiness[step] if item.code == "org.closed_model")
    for case in cases.filter(status="piloting", roadmap_step=3):
        gates = roadmap.gates(case)
        assert all(item.met for item in gates[3].start), case.reference
