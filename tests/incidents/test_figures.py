"""Incident figures: the adoption API, the dashboard card, constant queries."""

import datetime

import pytest
from django.utils import timezone

from incidents import services
from incidents.figures import incident_figures
from incidents.models import Incident
from tests.conftest import api_client_for
from tests.incidents.conftest import report_incident, triage_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def some(requester, other_requester, manager):
    leak = triage_incident(report_incident(requester, sensitive_data=True), manager)
    leak = services.contain(leak, manager)
    Incident.objects.filter(pk=leak.pk).update(noticed_at=leak.contained_at - datetime.timedelta(hours=6))
    triage_incident(report_incident(other_requester), manager, severity="low", category="harmful_output")
    report_incident(other_requester)
    return leak


def _counts(rows):
    return {row["key"]: row["count"] for row in rows if row["count"]}


def test_figures(some, marketing, sales):
    figures = incident_figures()
    assert figures["total"] == 3
    assert _counts(figures["by_severity"]) == {"high": 1, "low": 1, "": 1}
    assert _counts(figures["by_category"]) == {"data_leak": 1, "harmful_output": 1}
    assert _counts(figures["by_state"]) == {"contained": 1, "triaged": 1, "reported": 1}
    assert {row["department"]: row["count"] for row in figures["by_department"]} == {marketing.pk: 1, sales.pk: 2}
    assert figures["contained"] == 1
    assert figures["average_hours_to_contain"] == 6.0
    assert incident_figures(departments={marketing.pk})["total"] == 1


def test_overdue_deadlines_are_counted(some):
    some.deadlines.update(due_at=timezone.now() - datetime.timedelta(hours=1))
    assert incident_figures()["overdue_deadlines"] == some.deadlines.count() > 0


def test_adoption_api(some, executive, requester, marketing):
    body = api_client_for(executive).get("/api/v1/adoption/incidents/").json()
    assert body["total"] == 3 and body["average_hours_to_contain"] == 6.0
    filtered = api_client_for(executive).get(f"/api/v1/adoption/incidents/?department={marketing.pk}").json()
    assert filtered["total"] == 1
    assert api_client_for(requester).get("/api/v1/adoption/incidents/").status_code == 403


def test_figures_take_constant_queries(some, requester, manager, django_assert_max_num_queries):
    for _ in range(5):
        triage_incident(report_incident(requester, personal_data=True, affected_people=2000), manager)
    with django_assert_max_num_queries(3):
        incident_figures()


def test_dashboard_card(client, some, executive):
    client.force_login(executive)
    page = client.get("/dashboard/").content.decode()
    assert 'id="incident-figures"' in page
    assert 'id="incidents-time-to-contain">6.0<' in page


def test_incident_list_query_count_is_constant(client, requester, manager, django_assert_max_num_queries):
    for _ in range(3):
        report_incident(requester)
    client.force_login(manager)
    with django_assert_max_num_queries(12) as first:
        client.get("/incidents/")
    for _ in range(10):
        report_incident(requester)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/incidents/")
