"""The stored cost estimates' refresh writes only the rows whose estimate changed, in a number of
queries that grows with the chunks, not with the rows."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AIModelFactory, UseCaseFactory, approved_vendor, choose_model
from usecases import economics
from usecases.models import ExchangeRate, UseCase, UseCaseModel

pytestmark = pytest.mark.django_db


def priced(name):
    return AIModelFactory(
        name=name,
        price_input_per_million="2.50",
        price_output_per_million="10.00",
        currency="USD",
        status="approved",
        openness="closed_api",
        publisher=approved_vendor("internal"),
    )


@pytest.fixture
def models():
    """Two closed models at GPT-4o's prices (USD 0.0075 a request of 1,000 in and 500 out
    tokens, JPY 1.125 at the seeded rate) and an open one."""
    return priced("GPT-4o"), priced("GPT-4o (EU)"), AIModelFactory(name="Llama 3 70B", openness="open_weights")


def use_cases(n, models):
    """``n`` use cases of 1,000 x (i + 1) requests a month: closed ones, then one with two closed
    models and no shares (not estimated: its stored figures stay None), then a self-hosted one."""
    closed, other, open_model = models
    cases = []
    for i in range(n):
        case = UseCaseFactory(
            complete=True, monthly_requests=1000 * (i + 1), avg_input_tokens=1000, avg_output_tokens=500
        )
        if i == n - 1:
            choose_model(case, open_model, deployment="open_self_hosted")
        else:
            choose_model(case, closed)
        if i == n - 2:
            choose_model(case, other)
        cases.append(case)
    return cases


def refresh(ids=None):
    """(rows changed, UPDATE statements, all queries) of one refresh."""
    with CaptureQueriesContext(connection) as captured:
        changed = economics.refresh_cost_estimates(ids)
    sql = [query["sql"] for query in captured.captured_queries]
    return changed, [s for s in sql if s.lstrip().upper().startswith("UPDATE")], sql


def stored():
    return {
        row.pk: (row.estimated_closed_cost, row.estimated_self_hosted_cost, row.cost_estimated_at)
        for row in UseCase.objects.all()
    }


def test_a_second_refresh_with_nothing_changed_writes_nothing(models):
    cases = use_cases(6, models)
    changed, updates, _sql = refresh()
    assert changed == 5 and len(updates) == 1  # the unsplit one stays not estimated: nothing to write
    before = stored()
    assert before[cases[0].pk][:2] == (D("1125.00"), D("0.00"))  # 1,000 x JPY 1.125
    assert before[cases[-2].pk] == (None, None, None)
    assert before[cases[-1].pk][:2] == (D("0.00"), D("775000.00"))  # 550,000 + 0.25 x 900,000
    assert refresh()[:2] == (0, [])
    assert refresh([case.pk for case in cases[:3]])[:2] == (0, [])
    assert stored() == before


def test_a_change_to_one_use_case_updates_exactly_that_row(models):
    cases = use_cases(6, models)
    refresh()
    before = stored()
    UseCase.objects.filter(pk=cases[2].pk).update(monthly_requests=2000)
    changed, updates, _sql = refresh()
    assert changed == 1 and len(updates) == 1 and updates[0].replace('"', "").endswith(f"IN ({cases[2].pk})")
    after = stored()
    assert after[cases[2].pk][:2] == (D("2250.00"), D("0.00"))
    assert after[cases[2].pk][2] > before[cases[2].pk][2]
    del after[cases[2].pk], before[cases[2].pk]
    assert after == before


def test_shares_set_later_become_an_estimate_and_removed_ones_clear_it(models):
    unsplit = use_cases(4, models)[-2]
    refresh()
    UseCaseModel.objects.filter(use_case=unsplit).update(request_share=50)
    assert refresh()[0] == 1
    closed, hosted, at = stored()[unsplit.pk]
    assert (closed, hosted, at is not None) == (D("3375.00"), D("0.00"), True)  # 3,000 x JPY 1.125
    UseCaseModel.objects.filter(use_case=unsplit).update(request_share=None)
    assert refresh()[0] == 1
    assert stored()[unsplit.pk] == (None, None, None)


def test_a_stored_figure_without_its_date_is_written_again(models):
    case = use_cases(3, models)[0]
    refresh()
    UseCase.objects.filter(pk=case.pk).update(cost_estimated_at=None)
    assert refresh()[0] == 1
    assert stored()[case.pk][2] is not None


@pytest.mark.parametrize("again", [False, True], ids=["everything-changes", "nothing-changes"])
def test_queries_do_not_grow_with_the_rows_of_a_chunk(models, again):
    counts = []
    for n in (3, 12):
        UseCase.objects.all().delete()
        use_cases(n, models)
        if again:
            refresh()
        counts.append(len(refresh()[2]))
    assert counts[0] == counts[1]


def test_queries_grow_with_the_chunks_alone(models, monkeypatch):
    use_cases(8, models)
    refresh()
    counts = {}
    for chunk in (8, 4, 2):  # 1, 2 and 4 chunks, nothing to write
        monkeypatch.setattr(economics, "REFRESH_CHUNK", chunk)
        counts[chunk] = len(refresh()[2])
    assert counts[2] - counts[4] == 2 * (counts[4] - counts[8]) > 0


def test_the_totals_alone_are_the_totals_of_the_full_running_cost(models):
    cases = use_cases(5, models)
    euro = AIModelFactory(name="Mistral", price_input_per_million="2", price_output_per_million="6", currency="EUR")
    choose_model(cases[1], euro)  # priced in EUR, then without an EUR rate: not counted
    UseCaseModel.objects.filter(use_case=cases[1]).update(request_share=50)
    UseCase.objects.filter(pk=cases[0].pk).update(other_monthly_cost=D("1000"))
    keys = ("closed", "self_hosted", "other", "total", "shares_set")
    for drop_euro in (False, True):
        if drop_euro:
            ExchangeRate.objects.filter(currency="EUR").delete()
        for case in UseCase.objects.all():
            choices = list(case.model_choices.select_related("ai_model"))
            assumptions = economics.Assumptions.load(case)
            full = economics.running_cost(case, choices, assumptions)
            alone = economics.running_cost(case, choices, assumptions, totals_only=True)
            assert {key: alone[key] for key in keys} == {key: full[key] for key in keys}
            assert (alone["lines"], alone["problems"]) == ([], [])
    unpriced = economics.running_cost(
        cases[1], list(cases[1].model_choices.all()), economics.Assumptions.load(cases[1])
    )
    assert unpriced["problems"]  # the full picture says why the EUR model is not counted
