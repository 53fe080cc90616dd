"""Re-checks that overlap (two recheck_use_cases tasks, or a task and an edit) store one
consistent set of findings and never fail on the findings' unique key."""

import pytest

from governance import checks, rules
from governance.models import Finding
from tests.governance.test_concurrency import run_together, slow_down
from tests.governance.test_rules import bad_vendor, good_vendor, stored, use_case_with


def _results(use_case):
    return {(r.rule_id, r.subject, r.severity) for r in rules.evaluate(checks.check_context(use_case))}


@pytest.mark.django_db
def test_a_run_that_finds_the_others_rows_already_written_does_not_fail(monkeypatch):
    """Simulated race (any database): between computing its results and writing them, run A
    sees run B write the same findings, as a concurrent task would."""
    use_case = use_case_with(bad_vendor(), style="closed_api", level="confidential")
    expected = _results(use_case)
    assert expected, "the bad vendor raises findings"
    original = Finding.objects.bulk_create
    racing = []

    def bulk_create_after_the_other_run(objs, *args, **kwargs):
        if not racing:
            racing.append(True)
            checks.run_checks(use_case)  # run B completes in between
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Finding.objects, "bulk_create", bulk_create_after_the_other_run)
    checks.run_checks(use_case)
    assert racing and stored(use_case) == expected


@pytest.mark.django_db
def test_a_recheck_keeps_unchanged_findings_and_drops_those_no_longer_raised():
    vendor = bad_vendor()
    use_case = use_case_with(vendor, style="closed_api", level="confidential")
    checks.run_checks(use_case)
    before = dict(Finding.objects.filter(use_case=use_case).values_list("rule_id", "id"))
    # The vendor mends its ways: the findings about it go, the others stay (same rows).
    approved = good_vendor("confidential")
    model = use_case.model_choices.get().ai_model
    model.publisher = approved
    model.save()
    checks.run_checks(use_case)
    assert stored(use_case) == _results(use_case)
    after = dict(Finding.objects.filter(use_case=use_case).values_list("rule_id", "id"))
    assert set(after) != set(before)
    assert all(after[rule_id] == before[rule_id] for rule_id in set(after) & set(before))


@pytest.mark.django_db
def test_a_use_case_closed_meanwhile_is_not_rechecked():
    from usecases.choices import UseCaseStatus
    from usecases.models import UseCase

    use_case = use_case_with(bad_vendor(), style="closed_api", level="confidential")
    UseCase.objects.filter(pk=use_case.pk).update(status=UseCaseStatus.WITHDRAWN)
    assert checks.recheck([use_case.pk]) == 0
    assert not Finding.objects.filter(use_case=use_case).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_rechecks_at_once_both_succeed_with_one_set_of_findings(postgres, monkeypatch):
    use_case = use_case_with(bad_vendor(), style="closed_api", level="confidential")
    # Checked once already: tier stored (so no UPDATE of the use case makes the runs take
    # turns by accident) and findings to replace.
    checks.refresh_risk_tier(use_case)
    checks.run_checks(use_case)
    expected = _results(use_case)
    # Hold each run inside its transaction, just before it writes the findings, so the two
    # overlap there unless something makes them take turns.
    slow_down(monkeypatch, Finding.objects, "bulk_create")
    outcomes = run_together(lambda: checks.recheck([use_case.pk]), lambda: checks.recheck([use_case.pk]))
    assert [error for _result, error in outcomes] == [None, None]
    assert [result for result, _error in outcomes] == [1, 1]
    assert stored(use_case) == expected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_overlapping_first_checks_do_not_collide_on_the_unique_key(postgres, monkeypatch):
    """Without the use-case lock (run_checks alone, as a hook may call it), the upsert still
    lets two first runs insert the same findings."""
    use_case = use_case_with(bad_vendor(), style="closed_api", level="confidential")
    Finding.objects.filter(use_case=use_case).delete()
    slow_down(monkeypatch, Finding.objects, "bulk_create")
    outcomes = run_together(lambda: checks.run_checks(use_case), lambda: checks.run_checks(use_case))
    assert [error for _result, error in outcomes] == [None, None]
    assert stored(use_case) == _results(use_case)
