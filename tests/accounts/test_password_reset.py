"""Password reset by e-mail for local accounts (Django's views, portal templates)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse

from portal.choices import AuditAction
from portal.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Completely-new-passphrase-42"


def ask(client, email, address="192.0.2.10"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def link_in(message):
    return re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)


def without_csrf(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


@pytest.fixture
def person(requester):
    requester.email = "requester@example.com"
    requester.save()
    return requester


def test_the_login_page_links_to_the_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_a_link_is_mailed_and_works_once(client, person, settings):
    settings.SITE_URL = "https://portal.example.com"
    response = ask(client, "REQUESTER@example.com")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["requester@example.com"]
    link = link_in(message)
    assert link.startswith("https://portal.example.com/accounts/reset/")
    path = link.removeprefix(settings.SITE_URL)
    # Django swaps the token for a session marker, then shows the form.
    form_url = client.get(path)["Location"]
    assert client.get(form_url).context["validlink"]
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD) and not person.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_RESET, object_id=str(person.pk)).exists()
    # The same link again, in a fresh browser: no longer valid.
    client.logout()
    again = client.get(path, follow=True)
    assert not again.context["validlink"]
    assert 'id="password-reset-invalid"' in again.content.decode()


def test_the_link_expires(client, person, settings, monkeypatch):
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60
    ask(client, person.email)
    path = link_in(mail.outbox[0]).removeprefix(settings.SITE_URL)
    now = PasswordResetTokenGenerator()._now()
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: now + timedelta(minutes=61))
    response = client.get(path, follow=True)
    assert not response.context["validlink"]
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_an_unknown_address_is_answered_identically(client, person):
    known = ask(client, person.email, address="192.0.2.1")
    unknown = ask(client, "nobody@example.com", address="192.0.2.2")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    # The same page, but for the per-request CSRF token of the language form.
    assert without_csrf(client.get(known["Location"])) == without_csrf(client.get(unknown["Location"]))
    assert len(mail.outbox) == 1  # only the real account got a mail


def test_people_without_a_password_get_no_mail(client, person):
    person.set_unusable_password()  # signs in through single sign-on
    person.save()
    assert ask(client, person.email).status_code == 302
    assert mail.outbox == []


def test_requests_are_throttled_per_address_and_per_email(client, person, settings):
    settings.PASSWORD_RESET_PER_HOUR = 3
    for _ in range(3):
        assert ask(client, "nobody@example.com", address="192.0.2.5").status_code == 302
    # Over the limit from this address, whatever the e-mail, known or not.
    for email in ("nobody@example.com", person.email):
        response = ask(client, email, address="192.0.2.5")
        assert response.status_code == 429
        assert 'id="password-reset-throttled"' in response.content.decode()
    # And per e-mail, from changing addresses.
    for number in range(3):
        assert ask(client, person.email, address=f"198.51.100.{number}").status_code == 302
    assert ask(client, person.email, address="198.51.100.99").status_code == 429
    assert len(mail.outbox) == 3
