import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents import services
from portal.roles import Role
from tests.events import capture_events
from tests.factories import UseCaseFactory, UserFactory


@pytest.fixture(autouse=True)
def published(monkeypatch):
    """The events the incident services publish (the real outbox: test_notices_outbox.py)."""
    return capture_events(monkeypatch)


@pytest.fixture
def manager(it_department):
    user = UserFactory(username="incident-manager", department=it_department, role=Role.REVIEWER)
    user.groups.add(Group.objects.get(name=settings.INCIDENT_MANAGER_GROUP))
    return user


@pytest.fixture
def assignee(it_department):
    return UserFactory(username="handler", department=it_department, role=Role.REQUESTER)


@pytest.fixture
def live_use_case(requester):
    """A chatbot use case of marketing, piloting at step 4, high risk."""
    return UseCaseFactory(
        owner=requester,
        complete=True,
        status="piloting",
        roadmap_step=4,
        submitted_at=timezone.now() - datetime.timedelta(days=60),
        approved_at=timezone.now() - datetime.timedelta(days=30),
        risk_tier="high",
    )


def report_incident(user, **fields):
    values = {
        "title": "チャットボットが顧客のメールアドレスを回答した",
        "description": "Another customer's e-mail address appeared in an answer.",
        "noticed_at": timezone.now() - datetime.timedelta(hours=2),
        **fields,
    }
    return services.report(user, values)


def triage_incident(incident, manager, **fields):
    values = {"severity": "high", "category": "data_leak", **fields}
    return services.triage(incident, manager, values)
