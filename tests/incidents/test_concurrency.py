"""Two incident managers triage the same incident at the same moment (PostgreSQL)."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from incidents import services
from incidents.models import Deadline, Incident
from portal.models import AuditEvent
from tests.factories import UserFactory
from tests.governance.test_concurrency import run_together, slow_down
from tests.incidents.conftest import report_incident

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_concurrent_triage_is_decided_once(postgres, requester, monkeypatch):
    group = Group.objects.get(name=settings.INCIDENT_MANAGER_GROUP)
    first, second = UserFactory(username="m1"), UserFactory(username="m2")
    for user in (first, second):
        user.groups.add(group)
    incident = report_incident(requester, sensitive_data=True)
    slow_down(monkeypatch, services, "field_changes")  # inside the locked section

    outcomes = run_together(
        lambda: services.triage(incident, first, {"severity": "high", "category": "data_leak"}),
        lambda: services.triage(incident, second, {"severity": "low", "category": "other"}),
    )
    errors = [error for _result, error in outcomes if error is not None]
    assert len(errors) == 1 and isinstance(errors[0], services.TransitionNotAllowed)
    assert AuditEvent.objects.filter(object_id=str(incident.pk), action="incident_triage").count() == 1
    winner = Incident.objects.get(pk=incident.pk)
    assert winner.state == "triaged"
    # The clocks started once, by the winner's facts.
    assert Deadline.objects.filter(incident=incident, clock="appi_preliminary").count() == 1
