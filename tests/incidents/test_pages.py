"""The journey through the pages: report, triage, act, meet a deadline, suspend, resolve, lift."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from incidents.models import Incident
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


def test_journey_through_the_pages(client, requester, manager, assignee, reviewer, live_use_case):
    client.force_login(requester)
    response = client.post(
        "/incidents/report/",
        {
            "title": "チャットボットが他の顧客のメールアドレスを回答",
            "description": "問い合わせへの回答に別の顧客のメールアドレスが含まれていた",
            "noticed_at": "2026-04-01T10:00",
            "channel": "chatbot",
            "use_case": live_use_case.pk,
            "personal_data": "on",
            "affected_people": "1",
            "evidence": SimpleUploadedFile("answer.txt", "回答の写し".encode(), content_type="text/plain"),
        },
    )
    incident = Incident.objects.get()
    assert response["Location"] == incident.get_absolute_url()
    assert incident.evidence.count() == 1
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="triage-form"' not in page  # the reporter does not triage

    client.force_login(manager)
    assert 'id="triage-form"' in client.get(incident.get_absolute_url()).content.decode()
    client.post(
        f"/incidents/{incident.reference}/triage/",
        {
            "triage-severity": "high",
            "triage-category": "data_leak",
            "triage-assignee": assignee.pk,
            "triage-use_case": live_use_case.pk,
            "triage-personal_data": "on",
            "triage-affected_people": "1",
            "triage-unauthorised_access": "on",
        },
    )
    incident.refresh_from_db()
    assert (incident.state, incident.assignee) == ("triaged", assignee)
    assert set(incident.deadlines.values_list("clock", flat=True)) == {
        "appi_preliminary",
        "appi_final",
        "inform_provider",
    }
    client.post(f"/incidents/{incident.reference}/suspend/")
    live_use_case.refresh_from_db()
    assert live_use_case.status == "suspended"

    client.force_login(assignee)
    client.post(
        f"/incidents/{incident.reference}/actions/",
        {
            "action-kind": "corrective",
            "action-description": "回答からメールアドレスを除くフィルタ",
            "action-owner": assignee.pk,
        },
    )
    deadline = incident.deadlines.get(clock="appi_preliminary")
    client.post(f"/incidents/{incident.reference}/deadlines/{deadline.pk}/done/", {"note": "速報提出 受付番号 123"})
    deadline.refresh_from_db()
    assert (deadline.done_by, deadline.note) == (assignee, "速報提出 受付番号 123")
    client.post(f"/incidents/{incident.reference}/act/contain/", {"comment": "ボットを停止"})
    action = incident.actions.get()
    client.post(f"/incidents/{incident.reference}/actions/{action.pk}/done/")
    client.post(f"/incidents/{incident.reference}/act/resolve/", {"resolution": "フィルタを追加"})
    incident.refresh_from_db()
    assert (incident.state, incident.resolution) == ("resolved", "フィルタを追加")
    live_use_case.refresh_from_db()
    assert live_use_case.next_review_on is not None  # back to review

    client.force_login(reviewer)
    page = client.get(live_use_case.get_absolute_url()).content.decode()
    assert 'id="lift-suspension"' in page
    client.post(f"/incidents/usecases/{live_use_case.reference}/lift/")
    live_use_case.refresh_from_db()
    assert (live_use_case.status, live_use_case.roadmap_step) == ("piloting", 4)
    actions = set(AuditEvent.objects.filter(object_id=str(incident.pk)).values_list("action", flat=True))
    assert {"incident_report", "incident_triage", "incident_contain", "incident_resolve"} <= actions


def test_a_refused_file_is_shown_on_the_form(client, requester):
    client.force_login(requester)
    response = client.post(
        "/incidents/report/",
        {
            "title": "x",
            "description": "y",
            "noticed_at": "2026-04-01T10:00",
            "evidence": SimpleUploadedFile("x.pdf", b"MZ\x90binary", content_type="application/pdf"),
        },
    )
    assert response.status_code == 200 and not Incident.objects.exists()
    assert response.context["form"].errors["evidence"]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_pages_in_both_languages(client, requester, language):
    client.cookies["django_language"] = language
    client.force_login(requester)
    for url in ("/incidents/", "/incidents/report/"):
        response = client.get(url)
        assert response.status_code == 200
        assert f'lang="{language}"' in response.content.decode()
