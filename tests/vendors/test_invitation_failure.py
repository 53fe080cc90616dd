"""A questionnaire e-mail that fails for good leaves a record reviewers see (page, API, audit
trail); a re-issued link that is delivered clears it. The e-mail goes through the notification
outbox (``vendor.invitation``): once per link, retried, its final outcome recorded here."""

import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend

from governance.models import Reminder
from governance.reminders import outbox
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import VendorFactory, send_assessment
from vendors import assessments
from vendors.choices import VendorAuditAction

pytestmark = pytest.mark.django_db


def _refuse(monkeypatch, assessment):
    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({assessment.contact.email: (550, b"no such user")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)


def test_the_invitation_is_one_outbox_row_with_the_link_encrypted(reviewer, mailoutbox):
    assessment, token = send_assessment(reviewer, vendor=VendorFactory())
    [row] = Reminder.objects.filter(event="vendor.invitation")
    assert (row.recipient_id, row.email, row.channel) == (None, assessment.contact.email, "email")
    assert token not in str(row.params) and token not in row.url  # the secret link is not stored in clear
    assert not Reminder.objects.filter(event="vendor.invitation", channel="in_app").exists()  # an outsider
    outbox.send_due()
    outbox.send_due()
    [message] = mailoutbox
    assert message.to == [assessment.contact.email] and token in message.body
    assert message.reply_to == [reviewer.email]


def test_a_refused_invitation_is_recorded_shown_and_cleared_by_a_delivered_reissue(
    reviewer, client, monkeypatch, mailoutbox
):
    assessment, _token = send_assessment(reviewer, vendor=VendorFactory())
    _refuse(monkeypatch, assessment)
    outbox.send_due()
    assert Reminder.objects.get(event="vendor.invitation").status == "failed"  # no retry can help

    assessment.refresh_from_db()
    assert assessment.invitation_error.startswith("SMTPRecipientsRefused")
    assert "no such user" in assessment.invitation_error
    assert assessment.invitation_failed_at is not None
    [event] = AuditEvent.objects.for_object(assessment).filter(action=VendorAuditAction.INVITATION_FAILED)
    assert event.changes["invitation_error"][0] == ""
    assert event.changes["invitation_error"][1] == assessment.invitation_error
    assert event.data == {"contact": assessment.contact.email}

    client.force_login(reviewer)  # Japanese by default
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert 'id="invitation-error"' in page
    assert "質問票の依頼メールを送信できませんでした" in page and "no such user" in page
    assert "メールサーバー: 質問票の依頼メールを送信できませんでした" in page  # the history names no person
    assert "メール未送信" in client.get(assessment.vendor.get_absolute_url()).content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "could not be delivered" in page and "re-issue the link" in page
    assert "e-mail not delivered" in client.get(assessment.vendor.get_absolute_url()).content.decode()

    api = api_client_for(reviewer)
    body = api.get(f"/api/v1/assessments/{assessment.reference}/").json()
    assert body["invitation_error"] == assessment.invitation_error
    assert body["invitation_failed_at"] is not None
    # Read-only: a client cannot clear (or forge) the record.
    api.patch(f"/api/v1/assessments/{assessment.reference}/", {"invitation_error": ""}, format="json")
    assessment.refresh_from_db()
    assert assessment.invitation_error.startswith("SMTPRecipientsRefused")

    # The address is fixed and the link re-issued: the mail goes out and the record is cleared.
    monkeypatch.undo()
    assessments.reissue_link(assessment, reviewer)
    outbox.send_due()
    assert len(mailoutbox) == 1
    assessment.refresh_from_db()
    assert assessment.invitation_error == "" and assessment.invitation_failed_at is None
    assert AuditEvent.objects.for_object(assessment).filter(action=VendorAuditAction.INVITATION_DELIVERED).count() == 1
    assert 'id="invitation-error"' not in client.get(assessment.get_absolute_url()).content.decode()
    assert api.get(f"/api/v1/assessments/{assessment.reference}/").json()["invitation_error"] == ""


def test_a_delivered_invitation_with_nothing_to_clear_writes_no_event(reviewer, mailoutbox):
    assessment, _token = send_assessment(reviewer, vendor=VendorFactory())
    before = AuditEvent.objects.for_object(assessment).count()
    outbox.send_due()
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.for_object(assessment).count() == before


def test_a_temporary_failure_records_nothing(reviewer, monkeypatch):
    assessment, _token = send_assessment(reviewer, vendor=VendorFactory())

    def down(self, messages):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    outbox.send_due()
    row = Reminder.objects.get(event="vendor.invitation")
    assert row.status == "pending" and row.attempts == 1  # retried later, with backoff
    assessment.refresh_from_db()
    assert assessment.invitation_error == "" and assessment.invitation_failed_at is None
