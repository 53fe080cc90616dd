"""Workflow notices: every event name reaches its people exactly once, in their language and
channels, through the one outbox; a rolled-back change notifies nobody; an unknown name is a
configuration error; delegation and the people's preferences are honoured.

Events are made through the services wherever one publishes them (submit, decide, withdraw,
send a questionnaire); the names other helpers publish (comments, assignment) and those
without a service yet (reopened, expiring) are published as their services will.
"""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone, translation

from governance import services
from governance.models import Delegation, Notification, PolicyException, Reminder
from governance.notify.registry import EVENT_TYPES
from governance.reminders import outbox
from portal import events
from portal.choices import NotificationFrequency
from portal.mail import clean_subject
from tests.conftest import api_client_for
from tests.factories import UseCaseFactory, send_assessment
from usecases import services as usecase_services

pytestmark = pytest.mark.django_db

TABLE_NAMES = {
    "usecase.submitted",
    "stage.decided",
    "usecase.changes_requested",
    "usecase.approved",
    "usecase.rejected",
    "usecase.withdrawn",
    "usecase.reopened",
    "exception.granted",
    "exception.expiring",
    "assessment.submitted",
    "vendor.invitation",
    "comment.posted",
    "comment.mentioned",
    "stage.assigned",
}


class People:
    def __init__(self, requester, reviewer, legal_reviewer, privacy_reviewer, executive):
        self.requester, self.reviewer, self.executive = requester, reviewer, executive
        self.deciders = {"it-review": reviewer, "data-security-review": reviewer}
        self.deciders.update({"legal-review": legal_reviewer, "privacy-review": privacy_reviewer})


@pytest.fixture
def people(requester, reviewer, legal_reviewer, privacy_reviewer, executive):
    requester.language = "en"  # the others read Japanese
    requester.save(update_fields=["language"])
    return People(requester, reviewer, legal_reviewer, privacy_reviewer, executive)


def submitted(p):
    return usecase_services.submit(UseCaseFactory(complete=True, owner=p.requester), p.requester)


def decide_all(p, use_case, last_decision):
    """Approve every stage but the last, which gets ``last_decision``."""
    while (stage := services.active_stage(use_case)) is not None:
        remaining = services.ApprovalStage.objects.filter(use_case=use_case).pending().count()
        decision = last_decision if remaining == 1 else "approve"
        services.decide_stage(
            stage, p.deciders[stage.group.name], decision, comment="" if decision == "approve" else "x"
        )
        if decision != "approve":
            break


def publish(name, subject, **kwargs):
    with transaction.atomic():
        events.publish(name, subject, **kwargs)


def _exception(p):
    use_case = submitted(p)
    return PolicyException.objects.create(
        use_case=use_case,
        rule_id="R1",
        justification="ok",
        expires_on=timezone.localdate() + datetime.timedelta(days=7),
        granted_by=p.reviewer,
    )


def act(name, p):
    if name == "usecase.submitted":
        submitted(p)
    elif name in ("stage.decided", "usecase.approved"):
        decide_all(p, submitted(p), "approve")
    elif name == "usecase.changes_requested":
        decide_all(p, submitted(p), "request_changes")
    elif name == "usecase.rejected":
        decide_all(p, submitted(p), "reject")
    elif name == "usecase.withdrawn":
        usecase_services.withdraw(submitted(p), p.requester, comment="no budget")
    elif name == "usecase.reopened":
        use_case = submitted(p)
        publish(name, use_case, key=f"{name}:{use_case.pk}:1", actor=p.reviewer)
    elif name == "exception.granted":
        exception = _exception(p)
        publish(name, exception, key=f"{name}:{exception.pk}", actor=p.reviewer)
    elif name == "exception.expiring":
        exception = _exception(p)
        publish(name, exception, key=f"{name}:{exception.pk}:7")
    elif name == "assessment.submitted":
        assessment, _token = send_assessment(p.reviewer)
        publish(name, assessment, key=f"{name}:{assessment.pk}:1")
    elif name == "vendor.invitation":
        send_assessment(p.reviewer)
    elif name in ("comment.posted", "comment.mentioned"):
        use_case = submitted(p)
        recipients = [p.reviewer.pk, p.requester.pk] if name == "comment.posted" else [p.executive.pk]
        publish(name, use_case, key=f"{name}:1", recipients=recipients, actor=p.requester, excerpt="see the DPA")
    elif name == "stage.assigned":
        stage = services.active_stage(submitted(p))
        publish(name, stage, key=f"{name}:{stage.pk}:{p.reviewer.pk}:1", recipients=[p.reviewer.pk], actor=p.executive)


# event -> (people told in-app, addresses e-mailed): who gets what.
EXPECTED = {
    "usecase.submitted": ({"reviewer", "legal", "privacy"}, {"reviewer", "legal", "privacy"}),
    "stage.decided": ({"requester"}, {"requester"}),
    "usecase.changes_requested": ({"requester"}, {"requester"}),
    "usecase.approved": ({"requester"}, {"requester"}),
    "usecase.rejected": ({"requester"}, {"requester"}),
    "usecase.withdrawn": ({"reviewer"}, {"reviewer"}),  # the deciders; the requester withdrew it
    "usecase.reopened": ({"requester"}, {"requester"}),  # the reviewer reopened it
    "exception.granted": ({"requester", "executive"}, {"requester", "executive"}),
    "exception.expiring": ({"requester", "reviewer"}, {"requester", "reviewer"}),
    "assessment.submitted": ({"reviewer", "legal", "privacy"}, {"reviewer", "legal", "privacy"}),
    "vendor.invitation": (set(), {"contact"}),
    "comment.posted": ({"reviewer"}, {"reviewer"}),
    "comment.mentioned": ({"executive"}, {"executive"}),
    "stage.assigned": ({"reviewer"}, {"reviewer"}),
}


def _who(row):
    return row.recipient.username if row.recipient_id else "contact"


def test_every_name_of_the_table_is_registered():
    assert set(EVENT_TYPES.keys()) >= TABLE_NAMES
    assert set(EXPECTED) == TABLE_NAMES


@pytest.mark.parametrize("name", sorted(TABLE_NAMES))
def test_each_event_reaches_its_people_once_in_their_language_and_channels(name, people):
    Reminder.objects.all().delete()
    act(name, people)
    rows = Reminder.objects.filter(event=name).select_related("recipient")
    in_app = {_who(row) for row in rows if row.channel == "in_app"}
    emailed = {_who(row) for row in rows if row.channel == "email"}
    # The submission reaches the deciders of the stages planned for it; a small use case may
    # plan fewer stages than there are groups, so compare with the groups actually planned.
    expected_in_app, expected_email = EXPECTED[name]
    if name == "usecase.submitted":
        planned = {people.deciders[group].username for group in _planned_groups(rows)}
        expected_in_app = expected_email = planned
    assert (in_app, emailed) == (expected_in_app, expected_email)
    count = rows.count()

    # The same occurrence published again adds nothing.
    for key in set(rows.values_list("event_key", flat=True)):
        row = rows.filter(event_key=key).first()
        subject = row.content_type.get_object_for_this_type(pk=row.object_id)
        publish(name, subject, key=key, recipients=[r.recipient_id or r.email for r in rows.filter(event_key=key)])
    assert Reminder.objects.filter(event=name).count() == count

    # Sent once, even when the sender runs twice.
    before = len(mail.outbox)
    outbox.send_due()
    outbox.send_due()
    sent = [
        message
        for message in mail.outbox[before:]
        if any(f"reminder-{row.pk}@" in message.extra_headers.get("Message-ID", "") for row in rows)
    ]
    assert sorted(address for message in sent for address in message.to) == sorted(
        row.recipient.email if row.recipient_id else row.email for row in rows if row.channel == "email"
    )
    in_app_rows = rows.filter(channel="in_app")
    assert Notification.objects.filter(reminder__event=name).count() == in_app_rows.count()
    assert set(in_app_rows.values_list("status", flat=True)) <= {"sent"}
    # Each in the reader's language.
    for message in sent:
        [row] = [row for row in rows if f"reminder-{row.pk}@" in message.extra_headers["Message-ID"]]
        if row.recipient_id:
            with translation.override(row.recipient.language):
                assert message.subject == clean_subject(row.title)


def _planned_groups(rows):
    row = rows.first()
    stages = services.ApprovalStage.objects.filter(use_case_id=row.object_id).select_related("group")
    return {stage.group.name for stage in stages}


def test_english_and_japanese_texts_of_a_decision(people):
    decide_all(people, submitted(people), "approve")
    outbox.send_due()
    [english] = [m for m in mail.outbox if m.to == [people.requester.email] and "Approved:" in m.subject]
    assert "is approved" in english.body
    Reminder.objects.all().delete()
    people.requester.language = "ja"
    people.requester.save(update_fields=["language"])
    decide_all(people, submitted(people), "approve")
    outbox.send_due()
    assert any(m.subject.startswith("承認されました") for m in mail.outbox if m.to == [people.requester.email])


def test_a_rolled_back_change_notifies_nobody(people):
    use_case = UseCaseFactory(complete=True, owner=people.requester)
    with pytest.raises(RuntimeError), transaction.atomic():
        usecase_services.submit(use_case, people.requester)
        assert Reminder.objects.filter(event="usecase.submitted").exists()
        raise RuntimeError("the change fails after publishing")
    assert not Reminder.objects.exists()
    outbox.send_due()
    assert mail.outbox == []


def test_an_unknown_event_name_is_a_configuration_error(people):
    use_case = UseCaseFactory(owner=people.requester)
    with pytest.raises(ImproperlyConfigured, match="incident.nonexistent"):
        publish("incident.nonexistent", use_case, key="x:1")


def test_the_actor_is_never_told_and_people_away_go_to_their_delegate(people, it_department):
    from tests.factories import UserFactory

    stand_in = UserFactory(username="standin", department=it_department)
    today = timezone.localdate()
    Delegation.objects.create(user=people.reviewer, delegate=stand_in, starts_on=today, ends_on=today)
    use_case = UseCaseFactory(complete=True, owner=people.requester)
    publish(
        "comment.posted",
        use_case,
        key="comment.posted:9",
        recipients=[people.reviewer.pk, people.requester.pk],
        actor=people.requester,
    )
    assert set(Reminder.objects.values_list("recipient__username", flat=True)) == {"standin"}


def test_a_worker_killed_mid_batch_loses_no_notice(people):
    submitted(people)
    now = timezone.now()
    _token, claimed = outbox.claim(now, 100)
    assert claimed  # claimed, then the worker died before recording anything
    assert outbox.send_due(now=now) == {}
    later = now + datetime.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1)
    outbox.send_due(now=later)
    outbox.send_due(now=later)
    rows = Reminder.objects.filter(event="usecase.submitted")
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    emailed = [row.recipient.email for row in rows if row.channel == "email"]
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(emailed)
    assert Notification.objects.count() == rows.filter(channel="in_app").count()


# --- Preferences ---------------------------------------------------------------------------------


def _prefer(user, value):
    user.email_notifications = value
    user.save(update_fields=["email_notifications"])


def test_digest_and_off_are_honoured_for_notices(people):
    _prefer(people.requester, NotificationFrequency.DIGEST)
    _prefer(people.executive, NotificationFrequency.OFF)
    exception = _exception(people)
    publish("exception.granted", exception, key="exception.granted:x", actor=people.reviewer)
    outbox.send_due()
    told = {address for message in mail.outbox for address in message.to}
    assert not told & {people.requester.email, people.executive.email}
    rows = Reminder.objects.filter(event="exception.granted", channel="email")
    assert dict(rows.values_list("recipient__username", "status")) == {"requester": "digest", "executive": "cancelled"}
    # Both still have it in their inbox.
    assert set(Notification.objects.values_list("user__username", flat=True)) >= {"requester", "executive"}
    before = len(mail.outbox)
    outbox.send_digests()
    [digest] = mail.outbox[before:]
    assert digest.to == [people.requester.email] and "Policy exception granted" in digest.body


def test_a_decision_waiting_cannot_be_turned_off(people):
    for user in (people.reviewer, people.executive):
        _prefer(user, NotificationFrequency.OFF)
    _prefer(people.deciders["legal-review"], NotificationFrequency.DIGEST)
    use_case = submitted(people)
    stage = services.active_stage(use_case)
    publish("stage.assigned", stage, key="stage.assigned:1", recipients=[people.executive.pk], actor=people.reviewer)
    outbox.send_due()
    mailed = {address for message in mail.outbox for address in message.to}
    assert people.reviewer.email in mailed and people.executive.email in mailed
    assert not Reminder.objects.filter(event__in=["usecase.submitted", "stage.assigned"], status="digest").exists()


def test_a_reminder_with_e_mail_off_stays_in_the_inbox_only(people):
    from governance.reminders import scan

    _prefer(people.requester, NotificationFrequency.OFF)
    use_case = UseCaseFactory(complete=True, owner=people.requester)
    due = timezone.localdate() + datetime.timedelta(days=1)
    now = timezone.now()
    type(use_case).objects.filter(pk=use_case.pk).update(
        status="approved", submitted_at=now, approved_at=now, next_review_on=due
    )
    scan.scan()
    outbox.send_due()
    row = Reminder.objects.get(kind="use_case_review")
    assert row.status == "sent" and mail.outbox == []
    assert Notification.objects.filter(reminder=row, user=people.requester).exists()


def test_the_setting_is_read_and_changed_through_the_api(people):
    api = api_client_for(people.reviewer)
    assert api.get("/api/v1/me/").json()["email_notifications"] == "immediate"
    response = api.patch("/api/v1/me/", {"email_notifications": "digest"}, format="json")
    assert response.status_code == 200 and response.json()["email_notifications"] == "digest"
    people.reviewer.refresh_from_db()
    assert people.reviewer.email_notifications == "digest"
    refused = api.patch("/api/v1/me/", {"email_notifications": "hourly"}, format="json")
    assert refused.status_code == 400 and "off" in str(refused.json()["email_notifications"])
    # Nothing else of the account changes through it.
    refused = api.patch("/api/v1/me/", {"username": "boss", "language": "en"}, format="json")
    assert refused.status_code == 400
    people.reviewer.refresh_from_db()
    assert (people.reviewer.username, people.reviewer.email_notifications) == ("reviewer", "digest")
    assert api_client_for(people.executive).get("/api/v1/me/").json()["email_notifications"] == "immediate"


def test_the_settings_form_offers_the_three_choices_in_the_inbox(client, people):
    client.force_login(people.reviewer)
    page = client.get("/governance/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for value in ("immediate", "digest", "off"):
        assert f'value="{value}"' in page
    assert "Notification settings" in page and "always e-mailed at once" in page


# --- The services publish ------------------------------------------------------------------------


def test_granting_an_exception_publishes_it(people, admin_user):
    blocked = usecase_services.submit(
        UseCaseFactory(complete=True, owner=people.requester, prohibited_practice=True), people.requester
    )
    exception = services.grant_exception(
        blocked, admin_user, "risk.prohibited", "", "accepted", timezone.localdate() + datetime.timedelta(days=5)
    )
    rows = Reminder.objects.filter(event="exception.granted", channel="in_app")
    assert set(rows.values_list("recipient__username", flat=True)) == {"requester", "executive"}
    assert {row.event_key for row in rows} == {f"exception.granted:{exception.pk}"}


def test_a_vendor_s_submitted_answers_are_published_to_the_reviewers(people):
    from tests.vendors.helpers import service_answers
    from vendors import assessments

    assessment, _token = send_assessment(people.reviewer)
    raw, comments, uploads = service_answers(assessment)
    assert assessments.save_answers(assessment, raw, comments, uploads) == {}
    assessments.submit_assessment(assessment)
    rows = Reminder.objects.filter(event="assessment.submitted", channel="email")
    assert set(rows.values_list("recipient__username", flat=True)) == {"reviewer", "legal", "privacy"}
    assert rows.first().url == assessment.get_absolute_url()


def test_publishing_and_sending_take_the_same_queries_for_few_or_many_people(people, it_department):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    def queries(recipients):
        use_case = UseCaseFactory(complete=True, owner=people.requester)
        with CaptureQueriesContext(connection) as publishing:
            publish("comment.posted", use_case, key=f"comment.posted:{use_case.pk}", recipients=recipients)
        with CaptureQueriesContext(connection) as sending:
            outbox.send_due()
        return len(publishing), len(sending)

    few = [people.reviewer.pk, people.executive.pk]
    many = [UserFactory(department=it_department).pk for _ in range(12)]
    assert queries(few) == queries(many)


def test_the_actor_is_named_in_each_reader_s_order(people):
    author = people.requester
    author.first_name, author.last_name = "Taro", "Yamada"
    author.save(update_fields=["first_name", "last_name"])
    use_case = UseCaseFactory(complete=True, owner=author)
    publish("comment.posted", use_case, key="comment.posted:77", recipients=[people.reviewer.pk], actor=author)
    [row] = Reminder.objects.filter(event="comment.posted", channel="in_app")
    with translation.override("en"):
        assert row.message.startswith("Taro Yamada commented on")
    with translation.override("ja"):
        assert row.message.startswith("Yamada Taro が")


def test_a_comment_posted_through_its_service_reaches_the_requester(people):
    from usecases.comments import services as comments

    use_case = submitted(people)
    comment = comments.post_comment(use_case, people.reviewer, "Please attach the DPA.")
    rows = Reminder.objects.filter(event="comment.posted")
    assert {(row.recipient.username, row.channel) for row in rows} >= {("requester", "in_app"), ("requester", "email")}
    assert "reviewer" not in {row.recipient.username for row in rows}  # the author
    outbox.send_due()
    [message] = [m for m in mail.outbox if m.to == [people.requester.email] and "comment" in m.subject.lower()]
    assert comment.get_absolute_url() in message.body and "Please attach the DPA." in message.body
