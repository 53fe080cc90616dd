"""Team-chat notices, posted to a real HTTP receiver on loopback (no mock of the library):
the payloads Slack and Teams expect, retry on 5xx, failure recorded after the last attempt,
and the webhook URL (a secret) never in the logs, the error column, the admin or the API."""

import logging

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse

from governance import services
from governance.models import ChatDestination, Reminder
from governance.notify import crypto
from governance.reminders import outbox
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import UseCaseFactory
from tests.governance.chat_receiver import ChatReceiver
from usecases import services as usecase_services

pytestmark = pytest.mark.django_db

SECRET_PATH = "/services/T0001/B0002/s3cr3tT0kenXYZ"


def destination(url, kind="slack", group=None, department=None, language="en"):
    target = ChatDestination(name="review channel", kind=kind, group=group, department=department, language=language)
    target.webhook_url = url
    target.save()
    return target


def submitted(requester):
    return usecase_services.submit(UseCaseFactory(complete=True, owner=requester), requester)


def chat_rows():
    return Reminder.objects.filter(channel="chat")


@pytest.fixture
def receiver():
    with ChatReceiver() as running:
        yield running


def test_a_submission_is_posted_to_the_review_group_s_slack_once(requester, reviewer, receiver):
    target = destination(receiver.url(SECRET_PATH), group=Group.objects.get(name="it-review"))
    use_case = submitted(requester)
    [row] = chat_rows()
    assert (row.destination, row.recipient_id, row.event) == (target, None, "usecase.submitted")
    outbox.send_due()
    outbox.send_due()
    [post] = receiver.posts
    assert post["path"] == SECRET_PATH
    assert use_case.reference in post["json"]["text"] and post["json"]["text"].startswith("Waiting for your decision")
    section = post["json"]["blocks"][0]["text"]["text"]
    assert use_case.reference in section and "/decide/" in section  # the link to the review page
    row.refresh_from_db()
    assert row.status == "sent"


def test_requester_side_events_go_to_the_department_s_teams_channel(requester, reviewer, marketing, receiver):
    destination(receiver.url("/webhookb2/abc/IncomingWebhook/def"), kind="teams", department=marketing)
    destination(receiver.url("/other"), kind="slack", department=marketing)
    use_case = submitted(requester)
    assert not chat_rows().exists()  # the submission is for the review groups, not the department
    services.decide_stage(services.active_stage(use_case), reviewer, "reject", comment="no DPA")
    assert set(chat_rows().values_list("event", flat=True)) == {"stage.decided", "usecase.rejected"}
    outbox.send_due()
    assert {post["path"] for post in receiver.posts} == {"/webhookb2/abc/IncomingWebhook/def", "/other"}
    teams = [post["json"] for post in receiver.posts if post["path"].startswith("/webhookb2")]
    assert len(teams) == 2
    card = teams[0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = [block["text"] for post in teams for block in post["attachments"][0]["content"]["body"]]
    assert any(text.startswith("Rejected:") and use_case.reference in text for text in texts)
    assert any(action["url"].endswith(use_case.get_absolute_url()) for action in card["content"]["actions"])


def test_a_5xx_is_retried_then_sent(requester, reviewer):
    with ChatReceiver(statuses=[500]) as receiver:
        destination(receiver.url(SECRET_PATH), group=Group.objects.get(name="it-review"))
        submitted(requester)
        outbox.send_due()
        [row] = chat_rows()
        assert (row.status, row.attempts) == ("pending", 1) and row.error.startswith("ChatDeliveryError: HTTP 500")
        outbox.send_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert row.status == "sent" and len(receiver.posts) == 2


@override_settings(REMINDER_MAX_ATTEMPTS=2)
def test_failure_is_recorded_after_the_last_attempt_without_the_url(requester, reviewer, admin_user, client, caplog):
    caplog.set_level(logging.DEBUG)
    with ChatReceiver(statuses=[503, 503, 503]) as receiver:
        url = receiver.url(SECRET_PATH)
        target = destination(url, group=Group.objects.get(name="it-review"))
        submitted(requester)
        outbox.send_due()
        row = chat_rows().get()
        outbox.send_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "HTTP 503" in row.error
    for text in (caplog.text, row.error):
        assert SECRET_PATH not in text and "s3cr3tT0kenXYZ" not in text
    # Nor in the admin, the reminders page or the API.
    client.force_login(admin_user)
    for page in (
        reverse("admin:governance_chatdestination_change", args=[target.pk]),
        reverse("admin:governance_chatdestination_changelist"),
        reverse("admin:governance_reminder_change", args=[row.pk]),
        reverse("governance:reminders"),
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        assert "s3cr3tT0kenXYZ" not in response.content.decode()
    body = api_client_for(admin_user).get("/api/v1/reminders/").content.decode()
    assert "s3cr3tT0kenXYZ" not in body and "HTTP 503" in body


def test_a_webhook_that_is_gone_fails_at_once(requester, reviewer):
    with ChatReceiver(statuses=[404]) as receiver:
        destination(receiver.url(SECRET_PATH), group=Group.objects.get(name="it-review"))
        submitted(requester)
        outbox.send_due()
    row = chat_rows().get()
    assert (row.status, row.attempts) == ("failed", 1) and "HTTP 404" in row.error


def test_a_refused_connection_is_retried_and_scrubbed(requester, reviewer, caplog):
    caplog.set_level(logging.DEBUG)
    receiver = ChatReceiver()
    url = receiver.url(SECRET_PATH)
    receiver.server.server_close()  # nothing listens on the port any more
    destination(url, group=Group.objects.get(name="it-review"))
    submitted(requester)
    outbox.send_due()
    row = chat_rows().get()
    assert row.status == "pending" and row.error.startswith("ChatDeliveryError")
    assert "s3cr3tT0kenXYZ" not in row.error and "s3cr3tT0kenXYZ" not in caplog.text


def test_the_url_is_stored_encrypted_and_written_only_in_the_admin(admin_user, client, marketing):
    client.force_login(admin_user)
    add = reverse("admin:governance_chatdestination_add")
    page = client.get(add)
    assert page.status_code == 200
    groups = {group.name for group in page.context["adminform"].form.fields["group"].queryset}
    assert "it-review" in groups and "requester" not in groups  # review groups only, not roles
    secret = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0kenXYZ"
    response = client.post(
        add,
        {"name": "Marketing", "kind": "slack", "department": marketing.pk, "language": "ja", "webhook_url": secret},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    target = ChatDestination.objects.get()
    assert target.webhook_url == secret and "s3cr3tT0kenXYZ" not in target.webhook_encrypted
    assert target.webhook_display == "https://hooks.slack.com/…(set)"
    page = client.get(reverse("admin:governance_chatdestination_change", args=[target.pk])).content.decode()
    assert "https://hooks.slack.com/…(set)" in page and "s3cr3tT0kenXYZ" not in page
    # Saving without a new URL keeps the stored one; the audit trail never holds it.
    change = reverse("admin:governance_chatdestination_change", args=[target.pk])
    client.post(change, {"name": "Marketing 2", "kind": "slack", "department": marketing.pk, "language": "ja"})
    target.refresh_from_db()
    assert (target.name, target.webhook_url) == ("Marketing 2", secret)
    assert all("s3cr3tT0kenXYZ" not in str(event.changes) for event in AuditEvent.objects.for_object(target))
    assert AuditEvent.objects.for_object(target).count() == 2
    # A destination without a URL is refused.
    response = client.post(add, {"name": "x", "kind": "teams", "department": marketing.pk, "language": "ja"})
    assert response.status_code == 200 and ChatDestination.objects.count() == 1


def test_a_destination_names_a_group_or_a_department_not_both(marketing):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        destination("https://hooks.slack.com/x", group=Group.objects.get(name="it-review"), department=marketing)
    with pytest.raises(IntegrityError), transaction.atomic():
        destination("https://hooks.slack.com/x")


def test_scrub_removes_the_url_and_its_path():
    url = "https://hooks.slack.com/services/T/B/tok3n"
    text = f"failed posting to {url} (path /services/T/B/tok3n)"
    assert "tok3n" not in crypto.scrub(text, url)
    assert crypto.decrypt("not a token") == ""
