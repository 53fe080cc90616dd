"""Incident events go through the one notification outbox (not the capture of conftest): the
right people, in-app and e-mail, once per occurrence, with states as labels in their language."""

import pytest
from django.db import transaction
from django.utils import translation

from governance.models import Reminder
from incidents import services
from incidents.choices import IncidentState
from portal import events
from tests.incidents.conftest import report_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def published():
    """The real sink: this module replaces conftest's capturing sink."""
    return None


def test_a_report_reaches_the_incident_managers_in_app_and_by_mail_once(requester, manager):
    incident = report_incident(requester)
    rows = Reminder.objects.filter(event="incident.reported")
    assert sorted((row.recipient_id, row.channel) for row in rows) == [(manager.pk, "email"), (manager.pk, "in_app")]
    assert not rows.filter(recipient=requester).exists()  # the reporter is not told of their own report
    # The same occurrence published again (a retried request) adds nothing.
    with transaction.atomic():
        events.publish(
            "incident.reported",
            incident,
            key=f"incident.reported:{incident.pk}",
            recipients=[manager.pk],
            actor=requester,
            reference=incident.reference,
            title=incident.title,
        )
    assert Reminder.objects.filter(event="incident.reported").count() == 2
    row = rows.get(channel="in_app")
    assert incident.reference in row.title and row.url == incident.get_absolute_url()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_state_change_notice_names_the_states_in_the_readers_language(language, requester, manager, assignee):
    requester.language = language
    requester.save(update_fields=["language"])
    incident = report_incident(requester)
    services.triage(incident, manager, {"severity": "high", "category": "data_leak", "assignee": assignee})
    services.contain(incident, manager)
    row = Reminder.objects.get(event="incident.state_changed", recipient=requester, channel="in_app")
    with translation.override(language):
        message = row.message
        assert str(IncidentState.TRIAGED.label) in message and str(IncidentState.CONTAINED.label) in message
    assert "contained" not in message and "triaged" not in message  # labels, never the state codes
