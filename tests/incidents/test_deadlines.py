"""Deadline rules as data: facts -> clocks and due dates; marking done; reminders once, escalated."""

import datetime

import pytest
from django.utils import timezone

from governance.choices import ReminderStep
from governance.models import Reminder
from governance.reminders.scan import scan
from incidents import deadlines, services
from incidents.models import DeadlineRule
from portal.models import AuditEvent
from tests.factories import VendorFactory
from tests.incidents.conftest import report_incident, triage_incident

pytestmark = pytest.mark.django_db

NOTICED = datetime.datetime(2026, 4, 1, 9, 0, tzinfo=datetime.UTC)
TRIAGED = datetime.datetime(2026, 4, 2, 9, 0, tzinfo=datetime.UTC)
STARTS = {"noticed_at": NOTICED, "reported_at": NOTICED, "triaged_at": TRIAGED}


def days(count, start=NOTICED):
    return start + datetime.timedelta(days=count)


# (facts, {clock: due}) with the seeded rules.
TABLE = [
    (deadlines.Facts(), {}),
    (deadlines.Facts(personal_data=True, affected_people=1000), {}),  # "more than" 1,000
    (
        deadlines.Facts(personal_data=True, affected_people=1001),
        {"appi_preliminary": days(5), "appi_final": days(30)},
    ),
    (
        deadlines.Facts(personal_data=True, sensitive_data=True, affected_people=3),
        {"appi_preliminary": days(5), "appi_final": days(30)},
    ),
    (
        deadlines.Facts(personal_data=True, affected_people=5000, unauthorised_access=True),
        {"appi_preliminary": days(5), "appi_final": days(60)},
    ),
    (
        deadlines.Facts(personal_data=True, affected_people=2, unauthorised_access=True),
        {"appi_preliminary": days(5), "appi_final": days(60)},
    ),
    (deadlines.Facts(serious=True, high_risk_use_case=True), {"inform_provider": days(1, TRIAGED)}),
    (deadlines.Facts(serious=True, high_risk_use_case=False), {}),
    (deadlines.Facts(serious=False, high_risk_use_case=True), {}),
    (deadlines.Facts(vendor=True), {"vendor_report": days(7, TRIAGED)}),
    (
        deadlines.Facts(personal_data=True, affected_people=20000, serious=True, high_risk_use_case=True, vendor=True),
        {
            "appi_preliminary": days(5),
            "appi_final": days(30),
            "inform_provider": days(1, TRIAGED),
            "vendor_report": days(7, TRIAGED),
        },
    ),
]


@pytest.mark.parametrize(("facts", "expected"), TABLE)
def test_rules_table(facts, expected):
    matched = deadlines.matching_clocks(facts, DeadlineRule.objects.all(), STARTS)
    assert {clock: due for clock, (_rule, due) in matched.items()} == expected


def test_a_rule_switched_off_or_edited_by_an_admin_changes_the_clocks(admin_user):
    rule = DeadlineRule.objects.get(clock="vendor_report")
    services.save_rule(admin_user, {"due_hours": 72}, rule=rule)
    facts = deadlines.Facts(vendor=True)
    matched = deadlines.matching_clocks(facts, DeadlineRule.objects.all(), STARTS)
    assert matched["vendor_report"][1] == days(3, TRIAGED)
    event = AuditEvent.objects.get(action="incident_change_rule", object_id=str(rule.pk))
    assert event.changes == {"due_hours": [168, 72]}
    services.save_rule(admin_user, {"is_active": False}, rule=rule)
    assert "vendor_report" not in deadlines.matching_clocks(facts, DeadlineRule.objects.all(), STARTS)


def test_rules_are_edited_by_admins_only(requester):
    with pytest.raises(services.PermissionDenied):
        services.save_rule(requester, {"due_hours": 1}, rule=DeadlineRule.objects.first())


def test_triage_starts_the_clocks_from_the_facts(requester, manager, live_use_case, published):
    vendor = VendorFactory()
    noticed = timezone.now() - datetime.timedelta(hours=5)
    incident = report_incident(
        requester, use_case=live_use_case, vendor=vendor, personal_data=True, affected_people=1500, noticed_at=noticed
    )
    assert not incident.deadlines.exists()  # clocks start at triage
    incident = triage_incident(incident, manager, severity="critical", unauthorised_access=True)
    due = {d.clock: d.due_at for d in incident.deadlines.all()}
    assert due == {
        "appi_preliminary": noticed + datetime.timedelta(days=5),
        "appi_final": noticed + datetime.timedelta(days=60),
        "inform_provider": incident.triaged_at + datetime.timedelta(hours=24),
        "vendor_report": incident.triaged_at + datetime.timedelta(days=7),
    }
    assert len([e for e in published if e.name == "incident.deadline_due"]) == 4


def test_a_deadline_is_marked_done_once_with_who_and_when(requester, manager, other_requester):
    incident = triage_incident(report_incident(requester, sensitive_data=True), manager)
    deadline = incident.deadlines.get(clock="appi_preliminary")
    with pytest.raises(services.PermissionDenied):
        services.mark_deadline_done(deadline, requester)  # the reporter does not handle it
    done = services.mark_deadline_done(deadline, manager, "PPC receipt 123")
    assert (done.done_by, done.note) == (manager, "PPC receipt 123")
    assert done.done_at is not None
    with pytest.raises(services.Conflict):
        services.mark_deadline_done(deadline, manager)
    assert AuditEvent.objects.filter(action="incident_meet_deadline").count() == 1


def test_reminders_once_then_overdue_then_escalation(requester, manager, assignee, admin_user):
    incident = triage_incident(report_incident(requester, sensitive_data=True), manager, assignee=assignee)
    deadline = incident.deadlines.get(clock="appi_preliminary")
    due_day = timezone.localdate(deadline.due_at)

    def rows():
        return Reminder.objects.filter(kind="incident_deadline", object_id=deadline.pk)

    scan(today=due_day - datetime.timedelta(days=1))
    scan(today=due_day - datetime.timedelta(days=1))  # a second scan adds nothing
    before = rows().filter(step=ReminderStep.BEFORE)
    assert list(before.values_list("recipient_id", flat=True)) == [assignee.pk]
    assert "%(" not in before.get().title

    scan(today=due_day + datetime.timedelta(days=1))
    scan(today=due_day + datetime.timedelta(days=1))
    assert list(rows().filter(step=ReminderStep.OVERDUE).values_list("recipient_id", flat=True)) == [assignee.pk]
    assert not rows().filter(step=ReminderStep.ESCALATION).exists()

    scan(today=due_day + datetime.timedelta(days=2))
    scan(today=due_day + datetime.timedelta(days=3))
    escalated = set(rows().filter(step=ReminderStep.ESCALATION).values_list("recipient_id", flat=True))
    assert escalated == {manager.pk, admin_user.pk}
    assert rows().count() == 4  # one before, one overdue, two escalations: each once


def test_a_deadline_done_is_no_longer_chased(requester, manager):
    incident = triage_incident(report_incident(requester, sensitive_data=True), manager)
    deadline = incident.deadlines.get(clock="appi_preliminary")
    services.mark_deadline_done(deadline, manager)
    scan(today=timezone.localdate(deadline.due_at) + datetime.timedelta(days=5))
    assert not Reminder.objects.filter(kind="incident_deadline", object_id=deadline.pk).exists()
