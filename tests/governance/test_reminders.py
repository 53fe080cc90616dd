"""Reminders: each kind reaches the right people on the right days in their language;
the outbox sends every due item once, catches up after a missed day, retries a failing
mail server and escalates late items.

Dates are driven through ``scan(today=...)`` and ``send_due(now=...)``; the items are
made through the services (submit, decide, grant, send) wherever one exists.
"""

import datetime
import smtplib

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone, translation

from governance import services
from governance.models import Notification, PolicyException, Reminder, ReminderSetting
from governance.reminders import outbox, scan
from portal.roles import Role
from tests.conftest import _join
from tests.factories import UseCaseFactory, UserFactory, approved_vendor, send_assessment
from usecases import services as usecase_services
from usecases.models import UseCase
from vendors.models import Assessment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_workflow_notices(monkeypatch):
    """These tests are about reminders; the workflow notices that the services publish on the
    way (submission, decisions) are tested in test_notify_events.py and left out here."""
    from tests.events import drop_events

    drop_events(monkeypatch)


TODAY = timezone.localdate()


def day(offset):
    return TODAY + datetime.timedelta(days=offset)


def at(offset, hour=9):
    """An aware datetime ``offset`` days from today."""
    return timezone.make_aware(datetime.datetime.combine(day(offset), datetime.time(hour)))


def run(offset):
    """One scan and one sender run on the day ``offset`` days from today; the mails sent."""
    before = len(mail.outbox)
    scan.scan(today=day(offset), now=at(offset))
    outbox.send_due(now=at(offset))
    return mail.outbox[before:]


def recipients(messages):
    return sorted(address for message in messages for address in message.to)


def submitted(owner, **fields):
    return usecase_services.submit(UseCaseFactory(complete=True, owner=owner, **fields), owner)


@pytest.fixture
def stage(requester, reviewer):
    """The IT-review stage of a submitted use case, due in 5 days (its SLA)."""
    use_case = submitted(requester)
    stage = services.active_stage(use_case)
    assert stage.due_on == day(5)
    return stage


@pytest.fixture
def governance_admin(it_department):
    return UserFactory(username="govadmin2", department=it_department, role=Role.GOVERNANCE_ADMIN, language="en")


# --- Approval stages -----------------------------------------------------------------------------


def test_a_stage_due_tomorrow_reminds_its_group_once(stage, reviewer, requester, legal_reviewer):
    assert run(3) == []  # too early
    sent = run(4)  # due tomorrow
    assert recipients(sent) == [reviewer.email]  # the group, not the owner nor other groups
    assert run(4) == [] and run(5) == []  # the same step never twice, even on the due day
    [row] = Reminder.objects.filter(kind="stage_due")
    assert (row.step, row.days_before, row.due_on, row.status) == ("before", 1, day(5), "sent")
    assert row.sent_at is not None and row.attempts == 1


def test_an_overdue_stage_reminds_the_group_then_escalates_after_the_configured_delay(
    stage, reviewer, governance_admin
):
    run(4)
    overdue = run(6)
    assert recipients(overdue) == [reviewer.email]
    row = Reminder.objects.get(kind="stage_due", step="overdue")
    with translation.override(reviewer.language):
        assert overdue[0].subject == row.title
    assert run(7) == []  # escalation waits until 3 days overdue
    escalated = run(8)  # due on day 5, 3 days late
    assert recipients(escalated) == [governance_admin.email]
    assert escalated[0].subject.startswith("Escalation")  # the admin reads English
    assert run(9) == []


def test_the_escalation_delay_is_editable(stage, governance_admin):
    ReminderSetting.objects.filter(kind="stage_due").update(escalate_after_days=1)
    assert governance_admin.email in recipients(run(6))


def test_a_decided_stage_is_not_chased(stage, reviewer):
    scan.scan(today=day(4), now=at(4))
    services.decide_stage(stage, reviewer, "approve")
    outbox.send_due(now=at(4))
    assert mail.outbox == []
    assert Reminder.objects.get(kind="stage_due", step="before").status == "cancelled"


# --- Re-review of approved use cases ------------------------------------------------------------------


@pytest.fixture
def approved(requester, reviewer):
    use_case = submitted(requester)
    services.decide_stage(services.active_stage(use_case), reviewer, "approve")
    use_case = UseCase.objects.get(pk=use_case.pk)
    assert use_case.status == "approved" and use_case.next_review_on == day(365)
    return use_case


def test_re_review_reminders_go_to_the_owner_30_7_and_1_days_before(approved, requester):
    UseCase.objects.filter(pk=approved.pk).update(next_review_on=day(40))
    sent_on = {offset: recipients(run(offset)) for offset in range(0, 42)}
    assert {offset: to for offset, to in sent_on.items() if to} == {
        10: [requester.email],  # 30 days before
        33: [requester.email],  # 7 days before
        39: [requester.email],  # 1 day before
        41: [requester.email],  # overdue
    }


def test_an_overdue_re_review_escalates_to_the_departments_reviewers(approved, requester, marketing):
    marketing_reviewer = UserFactory(username="mkt-reviewer", department=marketing, role=Role.REVIEWER)
    UseCase.objects.filter(pk=approved.pk).update(next_review_on=day(-20))
    sent = run(0)
    assert recipients(sent) == sorted([requester.email, marketing_reviewer.email])
    escalation = Reminder.objects.get(kind="use_case_review", step="escalation")
    assert escalation.recipient == marketing_reviewer


def test_the_cadence_follows_the_settings(requester, reviewer):
    from governance.models import RiskTierSetting

    RiskTierSetting.objects.filter(tier="minimal").update(review_interval_days=60)
    use_case = submitted(requester)
    services.decide_stage(services.active_stage(use_case), reviewer, "approve")
    assert UseCase.objects.get(pk=use_case.pk).next_review_on == day(60)
    assert recipients(run(30)) == [requester.email]


# --- Vendors ---------------------------------------------------------------------------------------


def test_an_unanswered_questionnaire_reminds_the_vendor_contact_in_their_language(reviewer):
    assessment, _token = send_assessment(reviewer)
    contact = assessment.contact
    contact.language = "en"
    contact.save()
    expires = timezone.localdate(assessment.link_expires_at)
    days_left = (expires - TODAY).days
    mail.outbox.clear()
    assert run(days_left - 8) == []
    [seven] = run(days_left - 7)
    [two] = run(days_left - 2)
    assert seven.to == [contact.email] and two.to == [contact.email]
    assert "Reminder: please answer our questionnaire" in seven.subject
    assert reviewer.email in seven.reply_to
    assert run(days_left) == []


def test_an_answered_questionnaire_is_not_chased(reviewer):
    assessment, _token = send_assessment(reviewer)
    days_left = (timezone.localdate(assessment.link_expires_at) - TODAY).days
    Assessment.objects.filter(pk=assessment.pk).update(status="submitted")
    mail.outbox.clear()
    assert run(days_left - 2) == []


def test_an_expiring_vendor_approval_reminds_the_reviewers_30_days_before(reviewer, requester):
    vendor = approved_vendor("internal", name="Acme AI")
    sent = run(365 - 30)
    assert recipients(sent) == [reviewer.email]
    assert "Acme AI" in sent[0].subject
    assert vendor.next_reassessment_on == day(365)


# --- Exceptions --------------------------------------------------------------------------------------


def test_an_expiring_exception_reminds_who_granted_it_and_the_owner(requester, reviewer, executive):
    use_case = submitted(requester, data_classification="confidential", intended_style="closed_saas")
    services.grant_exception(use_case, executive, "classification.prohibited", "style:closed_saas", "検証", day(20))
    services.decide_stage(services.active_stage(use_case), reviewer, "approve")
    assert PolicyException.objects.count() == 1 and UseCase.objects.get(pk=use_case.pk).status == "approved"
    assert run(12) == []
    assert recipients(run(13)) == sorted([executive.email, requester.email])  # 7 days before
    assert recipients(run(19)) == sorted([executive.email, requester.email])  # 1 day before


# --- Language ---------------------------------------------------------------------------------------


def test_each_recipient_reads_their_own_language(stage, reviewer, it_department):
    english = _join(UserFactory(username="en-reviewer", department=it_department, role=Role.REVIEWER), "it-review")
    english.language = "en"
    english.save()
    sent = {message.to[0]: message for message in run(4)}
    assert set(sent) == {reviewer.email, english.email}
    assert sent[english.email].subject.startswith("Decision due on")
    assert "承認" in sent[reviewer.email].body or "判定" in sent[reviewer.email].body
    html = {kind: body for body, kind in sent[english.email].alternatives}
    assert "text/html" in html and stage.use_case.get_absolute_url() in html["text/html"]
    assert stage.use_case.get_absolute_url() in sent[english.email].body


# --- The outbox ------------------------------------------------------------------------------------


def test_scan_and_sender_twice_send_one_mail_per_due_item(stage, reviewer):
    scan.scan(today=day(4), now=at(4))
    scan.scan(today=day(4), now=at(4))
    outbox.send_due(now=at(4))
    outbox.send_due(now=at(4, 10))
    assert len(mail.outbox) == 1
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(user=reviewer).count() == 1


def test_a_day_without_a_scan_is_caught_up_once(approved, requester):
    UseCase.objects.filter(pk=approved.pk).update(next_review_on=day(37))
    # The 30-days-before day (day 7) passes without any scan; day 8 catches it up.
    assert recipients(run(8)) == [requester.email]
    assert run(9) == []
    row = Reminder.objects.get(kind="use_case_review")
    assert (row.days_before, row.due_on) == (30, day(37))


def test_a_late_first_scan_sends_only_the_current_step(approved, requester):
    UseCase.objects.filter(pk=approved.pk).update(next_review_on=day(3))
    assert recipients(run(0)) == [requester.email]
    assert list(Reminder.objects.values_list("days_before", flat=True)) == [7]


class FlakyBackend:
    """A mail server that fails while ``failures`` is positive (transient errors)."""

    failures = 0
    sent = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("connection lost")
        FlakyBackend.sent.extend(messages)
        return len(messages)


@override_settings(
    EMAIL_BACKEND="tests.governance.test_reminders.FlakyBackend",
    REMINDER_MAX_ATTEMPTS=3,
    REMINDER_RETRY_BASE_SECONDS=60,
)
def test_a_failing_mail_server_is_retried_then_recorded_then_sent_once_after_recovery(stage, reviewer):
    FlakyBackend.failures, FlakyBackend.sent = 100, []
    scan.scan(today=day(4), now=at(4))
    start = at(4)
    outbox.send_due(now=start)
    row = Reminder.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "SMTPServerDisconnected" in row.error and row.next_attempt_at == start + datetime.timedelta(seconds=60)
    outbox.send_due(now=start + datetime.timedelta(seconds=30))  # not yet: backoff
    assert Reminder.objects.get().attempts == 1
    outbox.send_due(now=start + datetime.timedelta(seconds=61))
    row = Reminder.objects.get()
    assert (row.status, row.attempts) == ("pending", 2)
    assert row.next_attempt_at == start + datetime.timedelta(seconds=61 + 120)
    outbox.send_due(now=start + datetime.timedelta(seconds=200))
    row = Reminder.objects.get()
    assert (row.status, row.attempts, row.sent_at) == ("failed", 3, None)
    outbox.send_due(now=start + datetime.timedelta(days=1))
    assert Reminder.objects.get().status == "failed" and FlakyBackend.sent == []
    # The server recovers; an admin sends the failed reminders again: exactly one mail.
    FlakyBackend.failures = 0
    assert outbox.retry_failed([row.pk], now=start + datetime.timedelta(days=1)) == 1
    outbox.send_due(now=start + datetime.timedelta(days=1))
    outbox.send_due(now=start + datetime.timedelta(days=1, hours=1))
    assert len(FlakyBackend.sent) == 1
    row = Reminder.objects.get()
    assert row.status == "sent" and row.error == ""
    # The in-app notification was made once, whatever the e-mail did.
    assert Notification.objects.filter(reminder=row).count() == 1


@override_settings(EMAIL_BACKEND="tests.governance.test_reminders.FlakyBackend")
def test_a_transient_failure_then_recovery_sends_once(stage):
    FlakyBackend.failures, FlakyBackend.sent = 1, []
    scan.scan(today=day(4), now=at(4))
    outbox.send_due(now=at(4))
    outbox.send_due(now=at(4) + datetime.timedelta(minutes=5))
    outbox.send_due(now=at(4) + datetime.timedelta(minutes=10))
    assert len(FlakyBackend.sent) == 1 and Reminder.objects.get().status == "sent"


def test_a_refused_address_fails_at_once(stage, reviewer, monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({reviewer.email: (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    scan.scan(today=day(4), now=at(4))
    outbox.send_due(now=at(4))
    row = Reminder.objects.get()
    assert (row.status, row.attempts) == ("failed", 1) and "SMTPRecipientsRefused" in row.error


@override_settings(REMINDER_CLAIM_TIMEOUT=600)
def test_a_row_claimed_by_a_crashed_sender_is_taken_again_after_the_timeout(stage):
    scan.scan(today=day(4), now=at(4))
    token, rows = outbox.claim(at(4), 10)
    assert len(rows) == 1  # ... and the sender dies here, before recording anything
    outbox.send_due(now=at(4) + datetime.timedelta(minutes=5))
    assert mail.outbox == [] and Reminder.objects.get().status == "sending"
    outbox.send_due(now=at(4) + datetime.timedelta(minutes=11))
    assert len(mail.outbox) == 1 and Reminder.objects.get().status == "sent"


def test_two_senders_claim_disjoint_rows(stage, reviewer, it_department):
    for index in range(4):
        _join(UserFactory(username=f"it{index}", department=it_department, role=Role.REVIEWER), "it-review")
    scan.scan(today=day(4), now=at(4))
    _first_token, first = outbox.claim(at(4), 3)
    _second_token, second = outbox.claim(at(4), 3)
    assert len(first) == 3 and len(second) == 2
    assert not {row.pk for row in first} & {row.pk for row in second}


def test_digest_users_get_one_mail_a_day_and_urgent_items_at_once(stage, reviewer, approved, requester):
    for user in (reviewer, requester):
        user.email_notifications = "digest"
        user.save()
    UseCase.objects.filter(pk=approved.pk).update(next_review_on=day(34))
    run(4)  # stage due tomorrow (not urgent) and the 30-day re-review (not urgent)
    assert mail.outbox == []
    assert set(Reminder.objects.values_list("status", flat=True)) == {"digest"}
    assert Notification.objects.count() == 2  # the inbox shows them at once
    assert outbox.send_digests(now=at(5, 8)) == 2  # the next morning's digest
    assert outbox.send_digests(now=at(5, 9)) == 0
    assert sorted(recipients(mail.outbox)) == sorted([reviewer.email, requester.email])
    mail.outbox.clear()
    assert recipients(run(6)) == [reviewer.email]  # overdue: urgent, not held for the digest


def test_a_switched_off_kind_is_not_scanned(stage):
    ReminderSetting.objects.filter(kind="stage_due").update(is_active=False)
    assert run(4) == [] and not Reminder.objects.exists()


def test_scan_queries_grow_with_chunks_not_rows(requester, reviewer, django_assert_max_num_queries, settings):
    settings.REMINDER_SCAN_CHUNK = 1000
    for _index in range(3):
        submitted(requester)
    # A constant per reminder kind (its setting, its rows per step): 32 with the incident deadlines.
    with django_assert_max_num_queries(32) as few:
        scan.scan(today=day(4), now=at(4))
    for _index in range(20):
        submitted(requester)
    Reminder.objects.all().delete()
    with django_assert_max_num_queries(len(few.captured_queries)):
        scan.scan(today=day(4), now=at(4))
    assert Reminder.objects.count() == 23
