"""A serious incident suspends its use case; a reviewer lifts it back to where it was; a fix
with a corrective action asks for the re-review."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from governance.models import Finding
from governance.services import run_checks
from incidents import services, suspension
from incidents.models import Suspension
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.incidents.conftest import report_incident, triage_incident
from usecases import services as usecase_services
from usecases.choices import UseCaseStatus
from usecases.management.commands.lifecycle import rows as lifecycle_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def serious(requester, manager, live_use_case):
    return triage_incident(report_incident(requester, use_case=live_use_case, personal_data=True), manager)


def test_the_rows_are_in_the_use_case_lifecycle_table():
    table = usecase_services.TRANSITIONS
    for state in ("approved", "piloting", "in_production"):
        assert table[(state, "suspend")] == ("suspended", suspension.SUSPENDER)
        assert table[("suspended", f"resume_{state}")] == (state, suspension.lifter_key(state))
    printed = [row for row in lifecycle_rows() if row[0] == str(UseCaseStatus.SUSPENDED.label)]
    assert len(printed) == 3


@pytest.mark.parametrize("state", ["approved", "piloting", "in_production"])
def test_suspend_and_lift_keep_the_step_and_findings(state, serious, manager, reviewer, live_use_case):
    live_use_case.__class__.objects.filter(pk=live_use_case.pk).update(status=state)
    run_checks(live_use_case)
    findings_before = list(Finding.objects.filter(use_case=live_use_case).values_list("pk", "rule_id", "severity"))
    step = live_use_case.roadmap_step

    suspended = suspension.suspend_use_case(serious, manager, comment="customer data leaked")
    assert (suspended.status, suspended.roadmap_step) == ("suspended", step)
    assert Suspension.objects.get(use_case=live_use_case, lifted_at__isnull=True).previous_status == state
    # Only the lifting action back to the state it had is offered, and only to reviewers.
    assert usecase_services.allowed_actions(suspended, reviewer) == [f"resume_{state}"]
    assert usecase_services.allowed_actions(suspended, serious.reporter) == []

    lifted = suspension.lift_suspension(suspended, reviewer, comment="fixed")
    assert (lifted.status, lifted.roadmap_step) == (state, step)
    assert findings_before
    assert list(Finding.objects.filter(use_case=live_use_case).values_list("pk", "rule_id", "severity")) == (
        findings_before
    )
    row = Suspension.objects.get(use_case=live_use_case)
    assert (row.lifted_by, row.lifted_at is not None) == (reviewer, True)
    actions = list(
        AuditEvent.objects.filter(object_id=str(live_use_case.pk), content_type__model="usecase").values_list(
            "action", flat=True
        )
    )
    assert actions[:2] == [f"resume_{state}", "suspend"]


def test_who_may_suspend_and_lift(serious, requester, reviewer, manager):
    with pytest.raises(PermissionDenied):
        suspension.suspend_use_case(serious, reviewer)
    suspended = suspension.suspend_use_case(serious, manager)
    with pytest.raises(PermissionDenied):
        suspension.lift_suspension(suspended, requester)
    with pytest.raises(services.Conflict):
        suspension.suspend_use_case(serious, manager)  # already suspended: not a live state


def test_a_minor_incident_does_not_suspend(requester, manager, live_use_case):
    minor = triage_incident(report_incident(requester, use_case=live_use_case), manager, severity="low")
    with pytest.raises(services.Conflict):
        suspension.suspend_use_case(minor, manager)
    live_use_case.refresh_from_db()
    assert live_use_case.status == "piloting"


def test_suspended_is_visible_in_list_api_and_dashboard(client, serious, manager, requester, executive, live_use_case):
    suspension.suspend_use_case(serious, manager)
    body = api_client_for(requester).get(f"/api/v1/use-cases/{live_use_case.reference}/").json()
    assert body["status"] == "suspended"
    client.force_login(requester)
    page = client.get("/usecases/?status=suspended").content.decode()
    assert live_use_case.reference in page
    detail = client.get(live_use_case.get_absolute_url()).content.decode()
    assert 'id="suspension"' in detail
    summary = api_client_for(executive).get("/api/v1/adoption/summary/").json()
    counts = {row["key"]: row["count"] for row in summary["by_status"]}
    assert counts["suspended"] == 1


def test_resolving_with_a_corrective_action_asks_for_a_re_review(serious, manager, live_use_case):
    services.add_action(serious, manager, "corrective", "Filter e-mail addresses from answers", manager)
    services.contain(serious, manager)
    services.complete_action(serious.actions.get(), manager)
    services.resolve(serious, manager, resolution="Filter added")
    live_use_case.refresh_from_db()
    assert live_use_case.next_review_on == timezone.localdate()
    assert AuditEvent.objects.filter(object_id=str(live_use_case.pk), action="incident_rereview").exists()


def test_resolving_without_a_corrective_action_leaves_the_review_date(serious, manager, live_use_case):
    services.contain(serious, manager)
    services.resolve(serious, manager)
    live_use_case.refresh_from_db()
    assert live_use_case.next_review_on is None
