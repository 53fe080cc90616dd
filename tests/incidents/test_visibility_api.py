"""Who sees an incident, its evidence, and the API's answers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from incidents import services
from incidents.models import Incident
from tests.conftest import api_client_for
from tests.incidents.conftest import report_incident, triage_incident

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


@pytest.fixture(autouse=True)
def _media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


@pytest.fixture
def incident(requester, live_use_case):
    return services.report(
        requester,
        {"title": "Leak", "description": "An address in an answer.", "use_case": live_use_case},
        files=[SimpleUploadedFile("screen.png", PNG, content_type="image/png")],
    )


def test_who_sees_the_incident(incident, requester, other_requester, manager, reviewer, executive, assignee):
    def sees(user):
        return Incident.objects.visible_to(user).filter(pk=incident.pk).exists()

    assert sees(requester) and sees(manager)
    assert not any(sees(user) for user in (other_requester, reviewer, executive, assignee))
    services.assign(incident, manager, assignee)
    assert sees(assignee)


def test_the_use_case_owner_sees_it(manager, live_use_case, other_requester, requester):
    reported = report_incident(other_requester)
    assert not Incident.objects.visible_to(requester).filter(pk=reported.pk).exists()
    triage_incident(reported, manager, use_case=live_use_case)
    assert Incident.objects.visible_to(requester).filter(pk=reported.pk).exists()


def test_pages_and_evidence_only_for_those_who_may_see(client, incident, requester, other_requester, manager):
    evidence = incident.evidence.get()
    for user, status in ((requester, 200), (manager, 200), (other_requester, 404)):
        client.force_login(user)
        assert client.get(incident.get_absolute_url()).status_code == status
        response = client.get(evidence.get_absolute_url())
        assert response.status_code == status
        if status == 200:
            assert b"".join(response.streaming_content) == PNG
            assert response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    assert client.get(evidence.get_absolute_url()).status_code == 302  # to the login page


def test_a_renamed_program_is_refused_as_evidence(requester):
    with pytest.raises(services.ValidationError):
        services.report(
            requester,
            {"title": "x", "description": "y"},
            files=[SimpleUploadedFile("cert.pdf", b"MZ\x90\x00binary", content_type="application/pdf")],
        )
    assert not Incident.objects.exists()


def test_report_page_preselects_the_linked_object(client, requester, live_use_case):
    client.force_login(requester)
    page = client.get(f"/incidents/report/?use_case={live_use_case.pk}").content.decode()
    assert f'<option value="{live_use_case.pk}" selected>' in page
    response = client.post(
        "/incidents/report/",
        {
            "title": "広告に事実と異なる表現",
            "description": "生成した広告文に誤り",
            "noticed_at": "2026-04-01T10:00",
            "use_case": live_use_case.pk,
        },
    )
    created = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert created.use_case == live_use_case


def test_api_report_triage_and_lists(requester, manager, other_requester, live_use_case, published):
    client = api_client_for(requester)
    response = client.post(
        "/api/v1/incidents/",
        {
            "title": "Leak",
            "description": "Address shown",
            "use_case": live_use_case.reference,
            "personal_data": True,
            "affected_people": 1500,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    reference = response.json()["reference"]
    assert response.json()["allowed_actions"] == []
    assert (
        client.post(
            f"/api/v1/incidents/{reference}/triage/", {"severity": "high", "category": "data_leak"}, format="json"
        ).status_code
        == 403
    )
    manager_client = api_client_for(manager)
    body = manager_client.post(
        f"/api/v1/incidents/{reference}/triage/", {"severity": "high", "category": "data_leak"}, format="json"
    ).json()
    assert body["state"] == "triaged"
    assert {d["clock"] for d in body["deadlines"]} == {"appi_preliminary", "appi_final", "inform_provider"}
    deadline = body["deadlines"][0]["id"]
    done = manager_client.post(f"/api/v1/incident-deadlines/{deadline}/done/", {"note": "sent"}, format="json")
    assert done.status_code == 200 and done.json()["done_by"]["id"] == manager.pk
    again = manager_client.post(f"/api/v1/incident-deadlines/{deadline}/done/", {}, format="json")
    assert again.status_code == 409
    assert api_client_for(other_requester).get(f"/api/v1/incidents/{reference}/").status_code == 404
    assert api_client_for(other_requester).get("/api/v1/incident-deadlines/").json()["count"] == 0
    assert client.get("/api/v1/incidents/").json()["count"] == 1


def test_api_is_strict(requester):
    client = api_client_for(requester)
    response = client.post("/api/v1/incidents/", {"title": "x", "description": "y", "severity": "high"}, format="json")
    assert response.status_code == 400 and "severity" in response.json()
    response = client.post("/api/v1/incidents/", {"title": "x", "description": "y", "channel": "fax"}, format="json")
    assert response.status_code == 400 and "chatbot" in str(response.json()["channel"])


def test_api_refuses_a_use_case_the_reporter_cannot_see(other_requester, live_use_case):
    live_use_case.__class__.objects.filter(pk=live_use_case.pk).update(submitted_at=None, status="draft")
    response = api_client_for(other_requester).post(
        "/api/v1/incidents/", {"title": "x", "description": "y", "use_case": live_use_case.reference}, format="json"
    )
    assert response.status_code == 400 and "use_case" in response.json()


def test_register_export_holds_only_visible_incidents(client, incident, other_requester, manager):
    other = report_incident(other_requester, title="別部署の件")
    client.force_login(manager)
    csv = b"".join(client.get("/incidents/export.csv").streaming_content).decode("utf-8-sig")
    assert incident.reference in csv and other.reference in csv
    client.force_login(other_requester)
    csv = b"".join(client.get("/incidents/export.csv").streaming_content).decode("utf-8-sig")
    assert other.reference in csv and incident.reference not in csv
    assert client.get("/incidents/export.xlsx").status_code == 200


def test_vendor_pages_show_its_incidents_as_counts(client, requester, manager, reviewer):
    from tests.factories import VendorFactory, send_assessment

    vendor = VendorFactory()
    incident = triage_incident(
        report_incident(requester, vendor=vendor), manager, severity="critical", category="vendor"
    )
    assessment, _token = send_assessment(reviewer, vendor=vendor)
    client.force_login(reviewer)
    page = client.get(vendor.get_absolute_url())
    vendor_panel = dict(page.context["panels"])["incidents/panels/vendor.html"]
    assert (vendor_panel["total"], vendor_panel["open"], vendor_panel["incidents"]) == (1, 1, [])
    assert incident.reference not in page.content.decode()  # the reviewer may not read it
    review = client.get(f"/vendors/assessments/{assessment.reference}/")
    panel = dict(review.context["panels"])["incidents/panels/reassessment.html"]
    assert panel == {"total": 1, "recent": 1, "serious": 1, "open": 1}
    assert 'id="vendor-incidents-reassessment"' in review.content.decode()


def test_an_empty_reference_is_refused_not_read_as_none(requester):
    response = api_client_for(requester).post(
        "/api/v1/incidents/", {"title": "x", "description": "y", "use_case": ""}, format="json"
    )
    assert response.status_code == 400 and "use_case" in response.json()
