"""The shared e-mail rules (portal.mail): one-line subjects and which failures are for good,
as every sender uses them (vendor invitations here; submission notices and reminders in
tests/usecases/test_input_hygiene.py and tests/governance/test_reminder_pages.py)."""

import smtplib

import pytest
from django.core.mail import BadHeaderError

from portal.mail import PermanentSendFailure, clean_subject, is_permanent
from tests.factories import VendorFactory, send_assessment
from vendors import tasks


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
def test_a_refused_vendor_address_fails_the_invitation_without_retries(reviewer, monkeypatch):
    assessment, _token = send_assessment(reviewer, vendor=VendorFactory())

    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({assessment.contact.email: (550, b"no such user")})

    monkeypatch.setattr(tasks, "send_mail", refuse)
    with pytest.raises(PermanentSendFailure):
        tasks.send_assessment_invitation.run(assessment.pk, "https://portal.example.com/v/x/")
    # Celery retries only what autoretry_for names; a permanent failure is not one of them.
    assert not issubclass(PermanentSendFailure, tasks.send_assessment_invitation.autoretry_for)


@pytest.mark.django_db
def test_a_temporary_failure_of_the_invitation_is_retried(reviewer, monkeypatch):
    assessment, _token = send_assessment(reviewer, vendor=VendorFactory())

    def down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(tasks, "send_mail", down)
    with pytest.raises(ConnectionRefusedError) as raised:
        tasks.send_assessment_invitation.run(assessment.pk, "https://portal.example.com/v/x/")
    assert isinstance(raised.value, tasks.send_assessment_invitation.autoretry_for)
