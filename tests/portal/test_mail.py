"""The shared e-mail rules (portal.mail): one-line subjects and which failures are for good,
as the outbox uses them (vendor invitations here; submission notices and reminders in
tests/usecases/test_input_hygiene.py and tests/governance/test_reminder_pages.py)."""

import smtplib

import pytest
from django.core.mail import BadHeaderError
from django.core.mail.backends.locmem import EmailBackend

from governance.models import Reminder
from governance.reminders import outbox
from portal.mail import clean_subject, is_permanent
from tests.factories import VendorFactory, send_assessment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a\r\nBcc: x@example.com", "a Bcc: x@example.com"),
        ("  two\n\nlines  ", "two lines"),
        ("ls\u2028ps\u2029nel\x85tab\tnul\x00", "ls ps nel tab nul"),
        ("日本語の件名", "日本語の件名"),
    ],
)
def test_subjects_are_one_line(text, expected):
    assert clean_subject(text) == expected


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (BadHeaderError("newline"), True),
        (ValueError("Invalid address"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"unknown")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"mailbox busy")}), False),
        (smtplib.SMTPSenderRefused(553, b"not allowed", "portal@example.com"), True),
        (smtplib.SMTPDataError(451, b"try later"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError("down"), False),
        (TimeoutError(), False),
    ],
)
def test_permanent_failures_are_told_from_temporary_ones(error, permanent):
    assert is_permanent(error) is permanent


@pytest.mark.django_db
def test_a_refused_vendor_address_fails_the_invitation_without_retries(reviewer, monkeypatch, mailoutbox):
    assessment, _token = send_assessment(reviewer, vendor=VendorFactory())

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({assessment.contact.email: (550, b"no such user")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    outbox.send_due()
    row = Reminder.objects.get(event="vendor.invitation")
    assert (row.status, row.attempts) == ("failed", 1)  # a permanent failure is not retried


@pytest.mark.django_db
def test_a_temporary_failure_of_the_invitation_is_retried(reviewer, monkeypatch, mailoutbox):
    assessment, _token = send_assessment(reviewer, vendor=VendorFactory())

    def down(self, messages):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", down)
        outbox.send_due()
    row = Reminder.objects.get(event="vendor.invitation")
    assert (row.status, row.attempts) == ("pending", 1) and "smtp down" in row.error
    outbox.send_due(now=row.next_attempt_at)
    assert Reminder.objects.get(pk=row.pk).status == "sent" and len(mailoutbox) == 1
