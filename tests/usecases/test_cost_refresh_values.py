"""PostgreSQL's many-row write of the cost estimates (``UPDATE ... FROM (VALUES ...)``) stores exactly
what ``bulk_update`` stores, leaves the other rows and columns alone, and takes one statement a batch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.usecases.test_cost_refresh import models, stored, use_cases  # noqa: F401 - fixture
from usecases import economics
from usecases.models import UseCase

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the VALUES write is PostgreSQL's only"),
]


def _refresh_with(monkeypatch, values_from, values_batch=2000):
    monkeypatch.setattr(economics, "VALUES_FROM", values_from)
    monkeypatch.setattr(economics, "VALUES_BATCH", values_batch)
    with CaptureQueriesContext(connection) as captured:
        changed = economics.refresh_cost_estimates()
    return changed, [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("UPDATE")]


def _clear():
    UseCase.objects.update(estimated_closed_cost=None, estimated_self_hosted_cost=None, cost_estimated_at=None)


def test_values_write_stores_what_bulk_update_stores(models, monkeypatch):  # noqa: F811
    cases = use_cases(7, models)
    untouched = {case.pk: (case.title, case.updated_at, case.version) for case in UseCase.objects.all()}

    changed, updates = _refresh_with(monkeypatch, values_from=10**9)  # bulk_update
    assert changed == 6 and "CASE" in updates[0] and "VALUES" not in updates[0]
    expected = stored()
    _clear()

    changed, updates = _refresh_with(monkeypatch, values_from=1, values_batch=4)  # VALUES, two batches
    assert changed == 6 and len(updates) == 2 and all("FROM (VALUES" in sql for sql in updates)
    after = stored()
    assert {pk: values[:2] for pk, values in after.items()} == {pk: values[:2] for pk, values in expected.items()}
    assert all((after[pk][2] is None) == (expected[pk][2] is None) for pk in expected)
    assert after[cases[-2].pk] == (None, None, None)  # not estimated: nothing written
    assert {case.pk: (case.title, case.updated_at, case.version) for case in UseCase.objects.all()} == untouched
    assert economics.refresh_cost_estimates() == 0  # what it wrote reads back as current
