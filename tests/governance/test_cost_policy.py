"""The policy checks as the cost view reads them (governance.costs, registered in
usecases.economics.POLICY_CHECKS at start-up): per option, only findings about that option."""

import dataclasses

import pytest
from django.utils import translation

from governance import checks, costs, rules
from tests.factories import AIModelFactory, UseCaseFactory, approved_vendor
from usecases import economics

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def model(name, status="approved", **vendor):
    publisher = approved_vendor(
        "restricted",
        **{"training_use": "never", "zero_retention_available": True, "processing_regions": ["JP"]} | vendor,
    )
    return AIModelFactory(name=name, status=status, openness="closed_api", publisher=publisher)


def test_the_hook_is_registered_once():
    assert list(economics.POLICY_CHECKS).count(costs.blocking_reasons) == 1


def test_each_option_is_judged_on_its_own_findings():
    use_case = UseCaseFactory(complete=True, data_classification="confidential")
    clean, blocked, trains = (
        model("Clean"),
        model("Blocked", status="blocked"),
        model("Trains", training_use="no_opt_out"),
    )
    found = costs.blocking_reasons(use_case, [(clean, "closed_api"), (blocked, "closed_api"), (trains, "closed_api")])
    assert set(found) == {(blocked.pk, "closed_api"), (trains.pk, "closed_api")}
    assert found[(blocked.pk, "closed_api")] == ["Model blocked"]
    assert "Vendor trains on customer data without opt-out" in found[(trains.pk, "closed_api")]
    assert costs.blocking_reasons(use_case, []) == {}


def test_use_case_wide_findings_do_not_mark_an_option():
    """A prohibited practice blocks the whole use case, not one model more than another."""
    use_case = UseCaseFactory(complete=True, prohibited_practice=True, risk_tier="prohibited")
    clean = model("Clean")
    context = dataclasses.replace(checks.check_context(use_case), choices=[("closed_api", clean)])
    assert [(r.rule_id, r.subject) for r in rules.evaluate(context) if r.severity == "block"] == [
        ("risk.prohibited", "")
    ]
    assert costs.blocking_reasons(use_case, [(clean, "closed_api")]) == {}
