"""Titles and other labels must show something and stay on one line (forms and API through
one validator), and the reviewers' notice survives a title that slipped through: its
subject is cleaned, and a send no retry can fix is marked failed instead of retried."""

import datetime
import smtplib

import pytest
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from governance.models import Reminder
from governance.reminders import outbox
from portal.validators import validate_single_line, validate_visible_text, visible_text
from tests.conftest import api_client_for
from tests.factories import UseCaseFactory, UserFactory
from usecases import services
from usecases.models import UseCase

pytestmark = pytest.mark.django_db
BASE = "/api/v1/use-cases/"

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


@pytest.mark.parametrize(
    "text",
    [ZERO_WIDTH, "\u3000\u00a0 \u200b", "\u202e\u2066", "\u3164\u2800", "\u0301\u0301", "\U000e0041"],
)
def test_text_without_anything_visible_is_refused(text):
    assert visible_text(text) == ""
    with pytest.raises(ValidationError):
        validate_visible_text(text)


@pytest.mark.parametrize("text", ["SEO記事", "a", "👨\u200d👩\u200d👧", "\u200bx", "１"])
def test_text_with_something_visible_is_accepted(text):
    validate_visible_text(text)
    validate_single_line(text)


@pytest.mark.parametrize("text", ["one\r\ntwo", "one\ntwo", "tab\there", "nul\x00", "ls\u2028ps", "esc\x1b[31m"])
def test_line_breaks_and_control_characters_are_refused_in_one_line_fields(text):
    with pytest.raises(ValidationError):
        validate_single_line(text)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ZERO_WIDTH}, "title"),
        ({"title": "Bcc: x@example.com\r\nSubject: hi"}, "title"),
        ({"title": "題名", "summary": ZERO_WIDTH}, "summary"),
        ({"title": "題名", "tasks": [{"description": "line\nbreak", "performer": "ai"}]}, "tasks"),
        ({"title": "題名", "kpis": [{"name": "\u200b", "direction": "increase"}]}, "kpis"),
    ],
)
def test_the_api_refuses_invisible_or_multi_line_labels_naming_the_field(requester, payload, field):
    response = api_client_for(requester).post(BASE, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not UseCase.objects.exists()


def test_the_api_refuses_an_invisible_title_on_update_too(requester):
    use_case = UseCaseFactory(owner=requester, title="元の題名")
    response = api_client_for(requester).patch(f"{BASE}{use_case.reference}/", {"title": ZERO_WIDTH}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()
    use_case.refresh_from_db()
    assert use_case.title == "元の題名"


def test_the_form_refuses_an_invisible_title_with_a_field_error(client, requester):
    client.force_login(requester)
    data = {"title": ZERO_WIDTH, "tasks-TOTAL_FORMS": "0", "tasks-INITIAL_FORMS": "0"}
    data.update({"kpis-TOTAL_FORMS": "0", "kpis-INITIAL_FORMS": "0", "models-TOTAL_FORMS": "0"})
    data["models-INITIAL_FORMS"] = "0"
    response = client.post(reverse("usecases:create"), data)
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert not UseCase.objects.exists()


# --- The reviewers' notice ----------------------------------------------------------------------


def _submitted(requester, **fields):
    """A use case submitted through the service; its notice waits in the outbox."""
    use_case = UseCaseFactory(complete=True, owner=requester)
    # As data stored before the title checks existed (or written around them).
    UseCase.objects.filter(pk=use_case.pk).update(**fields)
    use_case.refresh_from_db()
    return services.submit(use_case, requester)


def _fail_with(monkeypatch, error, only=None):
    real = EmailBackend.send_messages

    def refuse(self, messages):
        if only is None or messages[0].to == [only]:
            raise error
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)


def _notices():
    return Reminder.objects.filter(event="usecase.submitted", channel="email")


def test_a_title_with_line_breaks_still_gives_a_one_line_subject(requester, reviewer, mailoutbox):
    _submitted(requester, title="Bcc: x@example.com\r\nSubject:\u2028hi")
    outbox.send_due()
    subject = mailoutbox[0].subject
    assert "\r" not in subject and "\n" not in subject and "\u2028" not in subject
    assert subject.endswith("Bcc: x@example.com Subject: hi")


@pytest.mark.parametrize(
    "error",
    [
        BadHeaderError("Header values can't contain newlines"),
        smtplib.SMTPRecipientsRefused({"r@example.com": (550, b"no such user")}),
        smtplib.SMTPDataError(554, b"rejected"),
        ValueError("Invalid address"),
    ],
)
def test_a_permanent_send_failure_is_marked_failed_and_never_retried(requester, reviewer, monkeypatch, error):
    _submitted(requester)
    _fail_with(monkeypatch, error)
    outbox.send_due()
    [row] = _notices()
    assert row.status == "failed" and row.error.startswith(type(error).__name__)
    # No later run tries again.
    assert outbox.send_due(now=timezone.now() + datetime.timedelta(days=2)) == {}
    assert _notices().get().attempts == 1


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError("smtp down"),
        smtplib.SMTPRecipientsRefused({"r@example.com": (451, b"greylisted")}),
        smtplib.SMTPServerDisconnected("gone"),
    ],
)
def test_a_temporary_send_failure_is_kept_for_a_retry(requester, reviewer, monkeypatch, error):
    _submitted(requester)
    _fail_with(monkeypatch, error)
    outbox.send_due()
    [row] = _notices()
    assert (row.status, row.attempts, row.claim_token) == ("pending", 1, None)
    assert row.next_attempt_at > timezone.now()


def test_one_refused_reviewer_does_not_stop_the_others(requester, reviewer, it_department, mailoutbox, monkeypatch):
    from portal.roles import Role
    from tests.conftest import _join

    bad = UserFactory(username="reviewer2", department=it_department, role=Role.REVIEWER, email="bad@example.com")
    _join(bad, "it-review")
    _submitted(requester)
    _fail_with(
        monkeypatch, smtplib.SMTPRecipientsRefused({"bad@example.com": (550, b"no such user")}), "bad@example.com"
    )
    outbox.send_due()
    assert dict(_notices().values_list("recipient__username", "status")) == {"reviewer": "sent", "reviewer2": "failed"}
    assert [mail.to for mail in mailoutbox] == [[reviewer.email]]
