"""Two people editing the same vendor at the same moment, on PostgreSQL.

The service re-reads the row under a lock before diffing and saving it whole: the second
editor waits, sees the first one's change, and keeps it, instead of writing back the values
it read before (a lost update of, say, the training use the policy checks read)."""

import pytest

from portal.models import AuditEvent
from tests.factories import VendorFactory
from tests.governance.test_concurrency import run_together, slow_down
from vendors import services
from vendors.models import Vendor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_editors_at_once_keep_both_changes(postgres, monkeypatch, reviewer, admin_user):
    vendor = VendorFactory(training_use="unknown", processing_regions=["JP"])
    slow_down(monkeypatch, services, "field_changes")  # called while the row lock is held
    outcomes = run_together(
        lambda: services.update_vendor(vendor, reviewer, {"training_use": "never"}),
        lambda: services.update_vendor(vendor, admin_user, {"processing_regions": ["US"]}),
    )
    assert all(error is None for _result, error in outcomes), outcomes
    fresh = Vendor.objects.get(pk=vendor.pk)
    assert fresh.training_use == "never"
    assert [str(country) for country in fresh.processing_regions] == ["US"]
    changes = sorted(list(event.changes) for event in AuditEvent.objects.for_object(vendor))
    assert changes == [["processing_regions"], ["training_use"]]
