"""Admins edit deadline rules and move deadlines in the admin; both are audited."""

import datetime

import pytest
from django.utils import timezone

from incidents.models import DeadlineRule
from portal.models import AuditEvent
from tests.incidents.conftest import report_incident, triage_incident

pytestmark = pytest.mark.django_db


def _form(rule, **changes):
    data = {
        "name": rule.name,
        "clock": rule.clock,
        "is_active": "on" if rule.is_active else "",
        "min_affected_people": rule.min_affected_people or "",
        "requires_personal_data": {None: "unknown", True: "true", False: "false"}[rule.requires_personal_data],
        "requires_sensitive_data": {None: "unknown", True: "true", False: "false"}[rule.requires_sensitive_data],
        "requires_unauthorised_access": {None: "unknown", True: "true", False: "false"}[
            rule.requires_unauthorised_access
        ],
        "requires_serious": {None: "unknown", True: "true", False: "false"}[rule.requires_serious],
        "requires_high_risk_use_case": {None: "unknown", True: "true", False: "false"}[
            rule.requires_high_risk_use_case
        ],
        "requires_vendor": {None: "unknown", True: "true", False: "false"}[rule.requires_vendor],
        "due_hours": rule.due_hours,
        "starts_from": rule.starts_from,
        "position": rule.position,
    }
    data.update(changes)
    return data


def test_a_rule_edited_in_the_admin_is_audited(client, admin_user):
    rule = DeadlineRule.objects.get(clock="vendor_report")
    client.force_login(admin_user)
    response = client.post(f"/admin/incidents/deadlinerule/{rule.pk}/change/", _form(rule, due_hours=48))
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.due_hours == 48
    event = AuditEvent.objects.get(action="incident_change_rule", object_id=str(rule.pk))
    assert (event.actor, event.changes) == (admin_user, {"due_hours": [168, 48]})
    assert client.post(f"/admin/incidents/deadlinerule/{rule.pk}/delete/").status_code == 403


def test_a_deadline_moved_in_the_admin_is_audited(client, admin_user, requester, manager):
    incident = triage_incident(report_incident(requester, sensitive_data=True), manager)
    deadline = incident.deadlines.get(clock="appi_preliminary")
    new_due = timezone.localtime(deadline.due_at + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    client.force_login(admin_user)
    response = client.post(
        f"/admin/incidents/deadline/{deadline.pk}/change/",
        {"due_at_0": new_due.strftime("%Y-%m-%d"), "due_at_1": new_due.strftime("%H:%M:%S")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deadline.refresh_from_db()
    assert deadline.due_at == new_due
    assert AuditEvent.objects.filter(action="incident_change_deadline", object_id=str(incident.pk)).exists()
