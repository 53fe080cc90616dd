"""The incident lifecycle table: every (state, action) pair, by role; audit and events."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from incidents import services
from incidents.choices import IncidentState, IncidentTransition
from incidents.models import Incident
from portal.models import AuditEvent
from tests.incidents.conftest import report_incident, triage_incident

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("reported", "triage"): ("triaged", {"manager"}),
    ("reported", "reject"): ("rejected", {"manager"}),
    ("triaged", "reject"): ("rejected", {"manager"}),
    ("triaged", "contain"): ("contained", {"manager", "assignee"}),
    ("contained", "resolve"): ("resolved", {"manager", "assignee"}),
    ("resolved", "close"): ("closed", {"manager"}),
}


def test_the_table_is_what_the_issue_asks():
    who = {"incident_manager": {"manager"}, "incident_handler": {"manager", "assignee"}}
    table = {
        (str(state), str(action)): (str(to), who[rule]) for (state, action), (to, rule) in services.TRANSITIONS.items()
    }
    assert table == EXPECTED


def _at(incident, state):
    """Put the incident in ``state`` (with the times that state implies)."""
    now = timezone.now()
    times = {"triaged_at": None if state in ("reported",) else now}
    Incident.objects.filter(pk=incident.pk).update(state=state, **times)
    incident.refresh_from_db()
    return incident


def _call(action, incident, user):
    if action == IncidentTransition.TRIAGE:
        return services.triage(incident, user, {"severity": "low", "category": "other"})
    if action == IncidentTransition.REJECT:
        return services.reject(incident, user, comment="A test message, not a real leak.")
    return services.transition(incident, action, user)


@pytest.mark.parametrize(("state", "action"), list(itertools.product(IncidentState.values, IncidentTransition.values)))
def test_every_pair_by_role(state, action, requester, other_requester, manager, assignee):
    people = {"manager": manager, "assignee": assignee, "reporter": requester, "other": other_requester}
    expected = EXPECTED.get((state, action))
    for role, user in people.items():
        incident = report_incident(requester)
        Incident.objects.filter(pk=incident.pk).update(assignee=assignee)
        incident = _at(incident, state)
        if expected is None:
            # Rights before state: only those who handle it learn that the state refuses.
            handles = role in ("manager", "assignee") and not (role == "assignee" and action in ("triage", "reject"))
            with pytest.raises(services.TransitionNotAllowed if handles else PermissionDenied):
                _call(action, incident, user)
            continue
        to_state, allowed = expected
        if role in allowed:
            moved = _call(action, incident, user)
            assert moved.state == to_state
            event = AuditEvent.objects.filter(object_id=str(incident.pk), to_state=to_state).get()
            assert (event.from_state, event.actor_id) == (state, user.pk)
        else:
            with pytest.raises(PermissionDenied):
                _call(action, incident, user)
            incident.refresh_from_db()
            assert incident.state == state


def test_report_is_audited_and_announced_to_managers(requester, manager, published):
    incident = report_incident(requester, personal_data=True)
    assert incident.reference.startswith("INC-")
    assert incident.department == requester.department
    event = AuditEvent.objects.get(object_id=str(incident.pk), action="incident_report")
    assert event.changes["personal_data"] == [None, True]
    assert [(e.name, e.recipients) for e in published] == [("incident.reported", (manager.pk,))]


def test_triage_records_the_diff_and_announces_assignment(requester, manager, assignee, published):
    incident = report_incident(requester)
    triage_incident(incident, manager, assignee=assignee)
    event = AuditEvent.objects.get(object_id=str(incident.pk), action="incident_triage")
    assert event.changes["severity"] == ["", "high"]
    assert event.changes["assignee"][1] == str(assignee)
    names = [e.name for e in published]
    assert names[:3] == ["incident.reported", "incident.triaged", "incident.assigned"]
    assigned = next(e for e in published if e.name == "incident.assigned")
    assert assigned.recipients == (assignee.pk,)


def test_triage_needs_severity_and_category(requester, manager):
    incident = report_incident(requester)
    with pytest.raises(Exception, match="severity"):
        services.triage(incident, manager, {"category": "other"})
    incident.refresh_from_db()
    assert incident.state == "reported"


def test_resolve_refused_while_an_action_is_open(requester, manager):
    incident = triage_incident(report_incident(requester), manager)
    services.add_action(incident, manager, "containment", "Switch the bot off", manager)
    services.contain(incident, manager)
    with pytest.raises(services.Invalid):
        services.resolve(incident, manager)
    services.complete_action(incident.actions.get(), manager)
    assert services.resolve(incident, manager, resolution="Fixed").state == "resolved"


def test_reject_needs_a_reason_and_stops_clocks(requester, manager):
    incident = triage_incident(report_incident(requester, sensitive_data=True, personal_data=True), manager)
    assert incident.deadlines.exists()
    with pytest.raises(services.ValidationError, match="comment"):
        services.reject(incident, manager, comment=" ")
    services.reject(incident, manager, comment="Test data, no real customer.")
    assert not incident.deadlines.exists()
