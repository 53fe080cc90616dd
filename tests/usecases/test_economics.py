"""Cost and return arithmetic (usecases.economics, usecases.returns) against figures computed by hand.

Prices are published list prices (GPT-4o USD 2.50 in / 10.00 out per million tokens, DeepSeek R1
0.55 / 2.19, ...); the defaults are the seeded cost settings (GPU setup JPY 550,000 a month,
an engineer JPY 900,000, 0.25 FTE of operations, an hour saved worth JPY 5,000) and rates
(USD 150, EUR 160). The reference volume is 1,000,000 requests a month of 1,000 input and
500 output tokens: on GPT-4o USD 0.0075 a request, USD 7,500 or JPY 1,125,000 a month,
against self-hosting at 550,000 + 0.25 x 900,000 = JPY 775,000.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from portal.models import AuditEvent
from tests.factories import AIModelFactory, KpiFactory, UseCaseFactory, VendorFactory, approved_vendor, choose_model
from usecases import economics, roadmap_services
from usecases.models import BenefitRecord, CostSettings, ExchangeRate, KpiMeasurement, UseCase
from usecases.returns import estimate_return, kpi_progress, organisation_totals

pytestmark = pytest.mark.django_db

SELF = "Self-hosted open model"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def fresh(obj):
    """As the pages load it: decimals read back from the database, not the factory's strings."""
    return type(obj).objects.get(pk=obj.pk)


def priced(name, price_in, price_out, currency="USD", status="approved", openness="closed_api"):
    model = AIModelFactory(
        name=name,
        price_input_per_million=price_in,
        price_output_per_million=price_out,
        currency=currency,
        status=status,
        openness=openness,
        publisher=approved_vendor("internal"),
    )
    return fresh(model)


def gpt4o():
    return priced("GPT-4o", "2.50", "10.00")


def llama(**fields):
    return AIModelFactory(
        name="Llama 3 70B",
        openness="open_weights",
        publisher=VendorFactory(kind="open_weights"),
        price_input_per_million=None,
        price_output_per_million=None,
        **fields,
    )


def volume_case(requests=1_000_000, tokens_in=1000, tokens_out=500, **fields):
    return UseCaseFactory(
        complete=True, monthly_requests=requests, avg_input_tokens=tokens_in, avg_output_tokens=tokens_out, **fields
    )


def estimate(use_case, catalogue=()):
    use_case = UseCase.objects.get(pk=use_case.pk)
    choices = list(use_case.model_choices.select_related("ai_model"))
    return economics.estimate_cost(use_case, choices, economics.Assumptions.load(use_case), catalogue)


def running(use_case):
    return estimate(use_case).running


def capacity(requests):
    CostSettings.objects.filter(pk=1).update(gpu_capacity_requests=requests)


def approved(owner, **fields):
    """A live use case (written directly: benefits are recorded from approval on; approval is
    tested in tests/governance/test_workflow.py)."""
    use_case = volume_case(owner=owner, **fields)
    now = timezone.now()
    UseCase.objects.filter(pk=use_case.pk).update(status="approved", roadmap_step=2, submitted_at=now, approved_at=now)
    return UseCase.objects.get(pk=use_case.pk)


def this_month():
    return timezone.localdate().replace(day=1)


def month_before(month):
    return (month - datetime.timedelta(days=1)).replace(day=1)


# --- Inputs --------------------------------------------------------------------------------------------


def test_the_seeded_defaults_are_domain_figures():
    settings = CostSettings.load()
    assert (settings.currency, settings.gpu_monthly_cost, settings.gpu_capacity_requests) == ("JPY", 550_000, None)
    assert (settings.engineer_monthly_cost, settings.operations_fte, settings.hourly_rate) == (900_000, D("0.25"), 5000)
    assert dict(ExchangeRate.objects.values_list("currency", "rate")) == {"EUR": 160, "USD": 150}
    assumptions = economics.Assumptions.load()
    assert assumptions.rates == {"EUR": 160, "USD": 150, "JPY": 1}
    assert economics.self_hosting_cost(assumptions, 1_000_000) == 775_000


def test_currency_conversion_uses_the_editable_rates():
    assumptions = economics.Assumptions.load()
    assert assumptions.convert(D("7500"), "USD") == 1_125_000
    assert assumptions.convert(100, "EUR") == 16_000
    assert assumptions.convert(5, "JPY") == 5
    assert assumptions.convert(None, "USD") is None
    ExchangeRate.objects.filter(currency="USD").update(rate="155")
    ExchangeRate.objects.filter(currency="EUR").delete()
    assumptions = economics.Assumptions.load()
    assert assumptions.convert(D("7500"), "USD") == 1_162_500
    assert assumptions.convert(100, "EUR") is None


# --- Closed against self-hosted ------------------------------------------------------------------------


def test_gpt4o_at_a_million_requests_a_month():
    model = gpt4o()
    assert economics.cost_per_request(model, 1000, 500) * 1_000_000 == 7500  # USD a month
    use_case = volume_case()
    choose_model(use_case, model)
    cost = estimate(use_case)
    (candidate,) = cost.candidates
    assert (candidate.label, candidate.price_currency, candidate.rate, candidate.per_request) == (
        "GPT-4o",
        "USD",
        150,
        D("1.125"),
    )
    assert candidate.monthly == {1: D("1125000.00"), 2: D("2250000.00"), 10: D("11250000.00")}
    assert cost.self_hosting == {1: D("775000.00"), 2: D("775000.00"), 10: D("775000.00")}
    assert cost.operations_cost == D("225000.00")
    assert candidate.break_even == D("688888.89")  # 775,000 / 1.125
    assert cost.cheapest == {1: SELF, 2: SELF, 10: SELF}
    assert cost.comparisons[0] == (1, 1_000_000, {"GPT-4o": D("1125000.00"), SELF: D("775000.00")}, SELF)
    assert cost.comparisons[2][1] == 10_000_000
    assert cost.problems == []
    assert cost.curve["volumes"][1] == 1_000_000 and cost.curve["volumes"][-1] == 10_000_000
    assert cost.curve["series"][0]["values"][1] == 1_125_000.0
    assert set(cost.curve["series"][1]["values"]) == {775_000.0}


def test_at_a_small_volume_the_closed_model_is_cheapest():
    use_case = volume_case(requests=1000)
    choose_model(use_case, gpt4o())
    cost = estimate(use_case)
    assert cost.candidates[0].monthly == {1: D("1125.00"), 2: D("2250.00"), 10: D("11250.00")}
    assert cost.cheapest == {1: "GPT-4o", 2: "GPT-4o", 10: "GPT-4o"}
    assert cost.candidates[0].break_even == D("688888.89")  # the break-even does not depend on the volume


@pytest.mark.parametrize(
    "name, prices, currency, monthly, break_even, cheapest",
    [
        ("GPT-4o", ("2.50", "10.00"), "USD", "1125000.00", "688888.89", (SELF, SELF, SELF)),
        ("DeepSeek R1", ("0.55", "2.19"), "USD", "246750.00", "3140830.80", ("DeepSeek R1", "DeepSeek R1", SELF)),
        (
            "Llama 3 70B API",
            ("0.50", "0.75"),
            "USD",
            "131250.00",
            "5904761.90",
            ("Llama 3 70B API", "Llama 3 70B API", SELF),
        ),
        # o1-style: USD 60 per million output tokens (15 in assumed).
        ("o1", ("15.00", "60.00"), "USD", "6750000.00", "114814.81", (SELF, SELF, SELF)),
        ("GPT-5.2 Pro", ("21.00", "168.00"), "USD", "15750000.00", "49206.35", (SELF, SELF, SELF)),
        # Priced in yen: rate 1 whatever the table holds.
        ("国産LLM", ("300", "1200"), "JPY", "900000.00", "861111.11", (SELF, SELF, SELF)),
        ("Mistral Large", ("2.00", "6.00"), "EUR", "800000.00", "968750.00", (SELF, SELF, SELF)),
    ],
)
def test_prices_of_the_articles(name, prices, currency, monthly, break_even, cheapest):
    use_case = volume_case()
    choose_model(use_case, priced(name, *prices, currency=currency))
    cost = estimate(use_case)
    (candidate,) = cost.candidates
    assert candidate.monthly[1] == D(monthly)
    assert candidate.monthly[10] == D(monthly) * 10
    assert candidate.break_even == D(break_even)
    assert (cost.cheapest[1], cost.cheapest[2], cost.cheapest[10]) == cheapest


def test_a_missing_exchange_rate_is_a_problem_not_a_cost():
    ExchangeRate.objects.filter(currency="EUR").delete()
    use_case = volume_case()
    choose_model(use_case, priced("Mistral Large", "2.00", "6.00", currency="EUR"))
    cost = estimate(use_case)
    (candidate,) = cost.candidates
    assert (candidate.rate, candidate.per_request, candidate.monthly, candidate.break_even) == (None, None, {}, None)
    assert [str(problem) for problem in cost.problems] == [
        "No exchange rate from EUR is set; Mistral Large cannot be costed."
    ]
    assert cost.cheapest == {1: SELF, 2: SELF, 10: SELF}
    assert [str(problem) for problem in cost.running["problems"]] == [
        "Mistral Large has no token prices or exchange rate; its cost is not counted."
    ]
    assert (cost.running["closed"], cost.running["total"]) == (D("0.00"), D("0.00"))


def test_an_unknown_volume_is_a_problem():
    use_case = volume_case(requests=None)
    choose_model(use_case, gpt4o())
    cost = estimate(use_case)
    assert [str(p) for p in cost.problems] == [
        "Estimate the requests a month and the tokens per request to compare costs."
    ]
    assert (cost.candidates[0].monthly, cost.self_hosting, cost.cheapest) == ({}, {}, {})


def test_without_own_priced_models_the_approved_closed_catalogue_is_compared():
    use_case = volume_case()
    choose_model(use_case, llama(), "open_self_hosted")  # self-hosted: no token price to compare
    catalogue = [
        gpt4o(),
        priced("審査中モデル", "1.00", "1.00", status="under_review"),
        priced("価格未設定", None, None),
        priced("Mixtral API", "0.10", "0.10", openness="open_weights"),
    ]
    assert [c.label for c in estimate(use_case, catalogue).candidates] == ["GPT-4o"]
    own = priced("DeepSeek R1", "0.55", "2.19")
    choose_model(use_case, own)
    assert [c.label for c in estimate(use_case, catalogue).candidates] == ["DeepSeek R1"]


def test_gpu_capacity_adds_setups_as_volume_grows():
    capacity(500_000)
    assumptions = economics.Assumptions.load()
    assert economics.self_hosting_cost(assumptions, 0) == 775_000
    assert economics.self_hosting_cost(assumptions, 500_000) == 775_000
    assert economics.self_hosting_cost(assumptions, 500_001) == 2 * 550_000 + 225_000
    use_case = volume_case()
    choose_model(use_case, gpt4o())
    cost = estimate(use_case)
    # 1M: 2 setups; 2M: 4; 10M: 20 (each plus the 225,000 of operations).
    assert cost.self_hosting == {1: D("1325000.00"), 2: D("2425000.00"), 10: D("11225000.00")}
    assert cost.cheapest == {1: "GPT-4o", 2: "GPT-4o", 10: SELF}
    # Step n holds (n x 550,000 + 225,000) / 1.125 requests from n = 18: 18 setups at 9,000,000.
    assert cost.candidates[0].break_even == D("9000000.00")
    assert economics.self_hosting_cost(assumptions, 9_000_000) == D("1.125") * 9_000_000


@pytest.mark.parametrize(
    "setup_capacity, break_even",
    [
        (None, D("688888.89")),
        (1_000_000, D("688888.89")),  # within the first setup
        (500_000, D("9000000.00")),
        (400_000, None),  # a setup costs more than the 450,000 its requests cost on GPT-4o: never
    ],
)
def test_break_even_with_and_without_capacity(setup_capacity, break_even):
    capacity(setup_capacity)
    assumptions = economics.Assumptions.load()
    found = economics.break_even_requests(D("1.125"), assumptions)
    assert (None if found is None else economics.money(found)) == break_even
    assert economics.break_even_requests(D(0), assumptions) is None  # a free model never breaks even


def test_the_use_case_own_figures_override_the_defaults(requester, other_requester):
    use_case = volume_case(owner=requester)
    choose_model(use_case, gpt4o())
    figures = {
        "gpu_monthly_cost": D("300000"),
        "operations_fte": D("0.5"),
        "other_monthly_cost": D("50000"),
        "hourly_rate": D("8000"),
    }
    with pytest.raises(PermissionDenied):
        roadmap_services.update_cost_assumptions(use_case, other_requester, figures)
    roadmap_services.update_cost_assumptions(use_case, requester, figures)
    event = AuditEvent.objects.for_object(use_case).get(action="change_costs")
    assert event.changes["gpu_monthly_cost"] == [None, "300000"]

    assumptions = economics.Assumptions.load(UseCase.objects.get(pk=use_case.pk))
    assert (assumptions.gpu_monthly_cost, assumptions.operations_fte, assumptions.hourly_rate) == (
        300_000,
        D("0.5"),
        8000,
    )
    assert (assumptions.other_monthly_cost, assumptions.engineer_monthly_cost) == (50_000, 900_000)
    cost = estimate(use_case)
    assert cost.self_hosting[1] == D("750000.00")  # 300,000 + 0.5 x 900,000
    assert cost.candidates[0].break_even == D("666666.67")
    assert cost.running["other"] == D("50000.00")
    assert cost.running["total"] == D("1175000.00")  # 1,125,000 on GPT-4o + 50,000

    CostSettings.objects.filter(pk=1).update(engineer_monthly_cost=1_000_000, gpu_monthly_cost=999_999)
    roadmap_services.update_cost_assumptions(use_case, requester, {"operations_fte": D("0")})
    assert estimate(use_case).self_hosting[1] == D("300000.00")  # 0 FTE is a value, not "use the default"


# --- The running cost of the hybrid configuration ----------------------------------------------------------


def decide(choice, role, share=None):
    """Roles written directly: decide_roles (and its checks) is tested in test_roadmap."""
    choice.role, choice.role_rationale, choice.request_share = role, "理由", share
    choice.save()


def test_running_cost_follows_roles_and_request_shares():
    use_case = volume_case()
    decide(choose_model(use_case, gpt4o()), "operations", 70)
    decide(choose_model(use_case, llama(), "open_self_hosted"), "core", 30)
    decide(choose_model(use_case, priced("DeepSeek R1", "0.55", "2.19")), "retired")
    result = running(use_case)
    assert [(line["label"], line["share"], line["cost"]) for line in result["lines"]] == [
        ("GPT-4o", D("70.00"), D("787500.00")),  # 700,000 requests x JPY 1.125
        (SELF, D("30.00"), D("775000.00")),  # one setup, whatever the share
    ]
    assert (result["closed"], result["self_hosted"], result["other"]) == (D("787500.00"), D("775000.00"), D("0.00"))
    assert (result["total"], result["problems"]) == (D("1562500.00"), [])
    capacity(200_000)  # the open model's 300,000 requests need 2 setups
    assert running(use_case)["self_hosted"] == D("1325000.00")


def lines_of(result):
    return [(line["label"], line["share"], line["cost"], line["full_volume"]) for line in result["lines"]]


def test_without_shares_several_models_are_never_split_silently():
    use_case = volume_case(other_monthly_cost=D("50000"))
    choose_model(use_case, gpt4o())
    choose_model(use_case, priced("DeepSeek R1", "0.55", "2.19"))
    result = running(use_case)  # no roles, no shares: each model shown carrying all 1,000,000 requests
    assert lines_of(result) == [
        ("GPT-4o", None, D("1125000.00"), True),
        ("DeepSeek R1", None, D("246750.00"), True),  # (1,000 x 0.55 + 500 x 2.19) / 1M x 150 x 1M
        ("Other costs", None, D("50000.00"), False),
    ]
    assert (result["shares_set"], result["closed"], result["self_hosted"], result["total"]) == (False, None, None, None)
    assert result["other"] == D("50000.00")
    assert [str(p) for p in result["problems"]] == [
        "2 models are in use but their shares of the requests are not set, so no running total is given: "
        "each line is that model taking all the requests. Set the shares on the intake form or in the hybrid decision."
    ]

    decide(use_case.model_choices.get(ai_model__name="DeepSeek R1"), "retired")
    decide(use_case.model_choices.get(ai_model__name="GPT-4o"), "operations")
    decide(choose_model(use_case, llama(), "open_self_hosted"), "core")
    result = running(use_case)  # roles without shares: still two models in use, still no split
    assert lines_of(result) == [
        ("GPT-4o", None, D("1125000.00"), True),
        (SELF, None, D("775000.00"), True),
        ("Other costs", None, D("50000.00"), False),
    ]
    assert (result["shares_set"], result["total"]) == (False, None)

    decide(use_case.model_choices.get(ai_model__name="GPT-4o"), "operations", 60)
    decide(use_case.model_choices.get(ai_model__name="Llama 3 70B"), "core", 40)
    result = running(use_case)  # the shares decided: the models split the volume as told
    assert lines_of(result) == [
        ("GPT-4o", D("60.00"), D("675000.00"), False),
        (SELF, D("40.00"), D("775000.00"), False),
        ("Other costs", None, D("50000.00"), False),
    ]
    assert (result["shares_set"], result["total"], result["problems"]) == (True, D("1500000.00"), [])


def test_one_model_in_use_takes_all_the_requests_without_a_share():
    use_case = volume_case()
    choose_model(use_case, gpt4o())
    result = running(use_case)
    assert lines_of(result) == [("GPT-4o", D("100.00"), D("1125000.00"), False)]
    assert (result["shares_set"], result["total"]) == (True, D("1125000.00"))
    decide(choose_model(use_case, priced("DeepSeek R1", "0.55", "2.19")), "retired")
    decide(use_case.model_choices.get(ai_model__name="GPT-4o"), "operations")
    assert running(use_case)["total"] == D("1125000.00")  # the other one retired: one in use


def test_running_cost_lines_keep_the_price_currency_beside_the_reporting_one():
    use_case = volume_case()
    decide(choose_model(use_case, gpt4o()), "operations", 70)
    decide(choose_model(use_case, priced("国産LLM", "300", "1200", currency="JPY")), "operations", 30)
    result = running(use_case)
    assert [(line["cost"], line["own_cost"], line["own_currency"]) for line in result["lines"]] == [
        (D("787500.00"), D("5250.00"), "USD"),  # 700,000 x USD 0.0075 = USD 5,250 = JPY 787,500
        (D("270000.00"), D("270000.00"), "JPY"),  # 300,000 x (1,000 x 300 + 500 x 1,200) / 1M
    ]


def test_stored_estimates_of_an_unsplit_use_case_are_not_estimated_rather_than_zero():
    use_case = volume_case()
    choose_model(use_case, gpt4o())
    choose_model(use_case, priced("DeepSeek R1", "0.55", "2.19"))
    economics.refresh_cost_estimates([use_case.pk])
    row = UseCase.objects.get(pk=use_case.pk)
    assert (row.estimated_closed_cost, row.estimated_self_hosted_cost, row.cost_estimated_at) == (None, None, None)
    use_case.model_choices.filter(ai_model__name="GPT-4o").update(request_share=80)
    use_case.model_choices.filter(ai_model__name="DeepSeek R1").update(request_share=20)
    economics.refresh_cost_estimates([use_case.pk])
    row = UseCase.objects.get(pk=use_case.pk)
    # 800,000 x 1.125 + 200,000 x 0.24675
    assert (row.estimated_closed_cost, row.cost_estimated_at is not None) == (D("949350.00"), True)


def test_organisation_totals_leave_out_use_cases_without_shares(requester):
    split = approved(requester, other_monthly_cost=D("1000"))
    choose_model(split, gpt4o())
    choose_model(split, priced("DeepSeek R1", "0.55", "2.19"))
    roadmap_services.record_benefit(split, requester, this_month(), D("1000"))
    single = approved(requester)
    choose_model(single, gpt4o())
    totals = organisation_totals(UseCase.objects.all())
    assert (totals["total"]["unpriced"], totals["total"]["cost"], totals["total"]["benefit"]) == (
        1,
        D("1125000.00"),
        D(0),  # the benefit of the unpriced use case is left out with its cost
    )
    (dept,) = totals["departments"]
    assert dept["unpriced"] == 1
    by_reference = {row["use_case"].reference: row["running"]["total"] for row in totals["rows"]}
    assert by_reference == {split.reference: None, single.reference: D("1125000.00")}


# --- Policy: what may not be used is marked and never the cheapest -------------------------------------------


def test_a_blocked_model_is_marked_and_never_the_cheapest():
    use_case = volume_case(requests=1000)
    choose_model(use_case, gpt4o())
    choose_model(use_case, priced("DeepSeek R1", "0.55", "2.19", status="blocked"))
    cost = estimate(use_case)
    gpt, deepseek = cost.candidates
    assert (gpt.allowed, gpt.blocked) == (True, [])
    assert deepseek.allowed is False and "Model blocked" in deepseek.blocked
    assert deepseek.monthly[1] < gpt.monthly[1]  # the cheaper one on paper ...
    assert cost.cheapest == {1: "GPT-4o", 2: "GPT-4o", 10: "GPT-4o"}  # ... is never called cheapest
    assert [c.label for c in cost.blocked_candidates] == ["DeepSeek R1"]
    assert [series["label"] for series in cost.curve["series"]] == ["GPT-4o", "DeepSeek R1 (may not be used)", SELF]
    assert [line["blocked"] != [] for line in cost.running["lines"]] == [False, True]


def test_only_blocked_models_leave_self_hosting_the_cheapest():
    use_case = volume_case(requests=1000)  # 1,000 requests: any closed model costs far less than a GPU
    choose_model(use_case, priced("DeepSeek R1", "0.55", "2.19", status="blocked"))
    cost = estimate(use_case)
    assert cost.candidates[0].monthly[1] == D("246.75")
    assert cost.cheapest == {1: SELF, 2: SELF, 10: SELF}


@pytest.mark.parametrize("vendor_status", ["rejected", "offboarded"])
def test_a_model_of_a_refused_vendor_is_marked(vendor_status):
    use_case = volume_case(requests=1000)
    model = priced("Cheap API", "0.10", "0.10")
    type(model.publisher).objects.filter(pk=model.publisher_id).update(status=vendor_status)
    choose_model(use_case, fresh(model))
    cost = estimate(use_case)
    assert "Vendor not approved" in cost.candidates[0].blocked
    assert cost.cheapest[1] == SELF


def test_prices_in_usd_are_kept_beside_the_reporting_currency():
    use_case = volume_case()
    choose_model(use_case, gpt4o())
    (candidate,) = estimate(use_case).candidates
    assert (candidate.foreign, candidate.per_request_own, candidate.per_request) == (True, D("0.0075"), D("1.125"))
    assert candidate.monthly_own == {1: D("7500.00"), 2: D("15000.00"), 10: D("75000.00")}
    assert (candidate.price_input_converted, candidate.price_output_converted) == (D("375.00"), D("1500.00"))
    use_case = volume_case()
    choose_model(use_case, priced("国産LLM", "300", "1200", currency="JPY"))
    assert estimate(use_case).candidates[0].foreign is False


# --- Return on investment and KPI progress -------------------------------------------------------------


def test_roi_over_the_recorded_months(requester):
    use_case = approved(requester)
    month, previous = this_month(), month_before(this_month())
    roadmap_services.record_benefit(use_case, requester, previous, D("100"), D("200000"), D("300000"))
    roadmap_services.record_benefit(use_case, requester, month, D("50.5"), revenue_gained=D("100000"))
    benefits = list(use_case.benefits.all())

    # Approved this month, but a benefit recorded for last month: the cost counts from that month.
    result = estimate_return(benefits, D("600000"), D("5000"), use_case.approved_at)
    assert result.cost_months == 2 and result.roi_reason is None
    assert [(m["month"], m["hours_value"], m["benefit"]) for m in result.months] == [
        (previous, D("500000.00"), D("1000000.00")),  # 100 h x 5,000 + 200,000 + 300,000
        (month, D("252500.00"), D("352500.00")),  # 50.5 h x 5,000 + 100,000
    ]
    assert (result.total_benefit, result.total_cost, result.monthly_cost) == (
        D("1352500.00"),
        D("1200000.00"),
        D("600000.00"),
    )
    assert result.roi == D(152_500) / D(1_200_000)
    assert result.roi_percent == D("12.7")

    choose_model(use_case, gpt4o())  # as the page does: the running cost of the models in use
    cost = estimate(use_case)
    returns = estimate_return(benefits, cost.running["total"], cost.assumptions.hourly_rate, use_case.approved_at)
    assert (returns.total_cost, returns.roi_percent) == (D("2250000.00"), D("-39.9"))


@pytest.mark.parametrize("monthly_cost", [D(0), None])
def test_roi_is_unknown_without_a_cost(requester, monthly_cost):
    use_case = approved(requester)
    roadmap_services.record_benefit(use_case, requester, this_month(), D("10"))
    result = estimate_return(list(use_case.benefits.all()), monthly_cost, D("5000"), use_case.approved_at)
    assert (result.total_benefit, result.total_cost, result.roi, result.roi_percent) == (
        D("50000.00"),
        D("0.00"),
        None,
        None,
    )
    assert result.roi_reason == "no_cost"
    nothing = estimate_return([], D("600000"), D("5000"), use_case.approved_at)
    assert (nothing.roi, nothing.roi_reason) == (None, "no_benefit")  # no month recorded yet


def measure(kpi, days_ago, value):
    KpiMeasurement.objects.create(
        kpi=kpi, measured_on=timezone.localdate() - datetime.timedelta(days=days_ago), value=value
    )


def test_kpi_progress_towards_an_increase_target():
    kpi = fresh(KpiFactory(name="クリック率", baseline="1.8", target="2.0"))
    empty = kpi_progress(kpi)
    assert (empty["latest"], empty["progress"], empty["attained"]) == (None, None, None)
    measure(kpi, 0, "1.95")
    measure(kpi, 5, "2.5")  # recorded later, but older: the latest is by date
    result = kpi_progress(kpi)
    assert [value for _day, value in result["points"]] == [D("2.5"), D("1.95")]
    assert (result["latest"], result["progress"], result["attained"]) == (D("1.95"), D("75.0"), False)
    KpiMeasurement.objects.filter(kpi=kpi, value=D("1.95")).update(value="2.1")
    result = kpi_progress(kpi)
    assert (result["progress"], result["attained"]) == (D("150.0"), True)


def test_kpi_progress_towards_a_decrease_target():
    kpi = fresh(KpiFactory(name="問い合わせ対応時間", unit="分", direction="decrease", baseline="10", target="8"))
    measure(kpi, 1, "9")
    assert (kpi_progress(kpi)["progress"], kpi_progress(kpi)["attained"]) == (D("50.0"), False)
    measure(kpi, 0, "7.5")
    assert (kpi_progress(kpi)["progress"], kpi_progress(kpi)["attained"]) == (D("125.0"), True)
    flat = fresh(KpiFactory(baseline="2.0", target="2.0"))
    measure(flat, 0, "2.0")
    assert (kpi_progress(flat)["progress"], kpi_progress(flat)["attained"]) == (None, True)


# --- Recording benefits ----------------------------------------------------------------------------------


def test_record_benefit_keeps_one_record_a_month(requester):
    use_case = approved(requester)
    later_this_month = timezone.localdate().replace(day=28)  # normalised to the 1st, never in the future
    first = roadmap_services.record_benefit(use_case, requester, later_this_month, D("12.5"), revenue_gained=D("30000"))
    assert first.month == this_month()
    second = roadmap_services.record_benefit(use_case, requester, this_month().replace(day=3), D("20"), note="修正")
    assert second.pk == first.pk
    record = BenefitRecord.objects.get(use_case=use_case)
    assert (record.hours_saved, record.revenue_gained, record.note, record.recorded_by) == (
        D("20"),
        D("0"),
        "修正",
        requester,
    )
    events = list(AuditEvent.objects.for_object(use_case).filter(action="record_benefit").order_by("pk"))
    assert [event.data for event in events] == [
        {
            "month": this_month().isoformat(),
            "hours_saved": "12.5",
            "cost_saved": "0",
            "revenue_gained": "30000",
            "replaced": False,
        },
        {
            "month": this_month().isoformat(),
            "hours_saved": "20",
            "cost_saved": "0",
            "revenue_gained": "0",
            "replaced": True,
        },
    ]


def test_record_benefit_refuses_a_future_month_and_other_people(requester, other_requester):
    use_case = approved(requester)
    next_month = (this_month() + datetime.timedelta(days=32)).replace(day=1)
    with pytest.raises(ValidationError) as caught:
        roadmap_services.record_benefit(use_case, requester, next_month, D("1"))
    assert list(caught.value.message_dict) == ["month"]
    with pytest.raises(PermissionDenied):
        roadmap_services.record_benefit(use_case, other_requester, this_month(), D("1"))
    draft = volume_case(owner=requester)
    with pytest.raises(ValidationError) as caught:
        roadmap_services.record_benefit(draft, requester, this_month(), D("1"))
    assert list(caught.value.message_dict) == ["status"]
    assert not BenefitRecord.objects.exists()
    assert not AuditEvent.objects.filter(action="record_benefit").exists()
