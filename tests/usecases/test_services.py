import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from governance.models import Reminder
from governance.reminders import outbox
from portal.models import AuditEvent
from portal.services import next_reference
from tests.conftest import api_client_for
from tests.factories import KpiFactory, UseCaseFactory, UseCaseTaskFactory
from usecases import services
from usecases.choices import TaskPerformer, UseCaseStatus
from usecases.models import UseCase

pytestmark = pytest.mark.django_db


def test_submit_with_missing_items_reports_every_item_and_keeps_the_draft(
    requester, django_capture_on_commit_callbacks
):
    use_case = UseCaseFactory(owner=requester, title="下書き", summary="", monthly_requests=None)
    UseCaseTaskFactory(use_case=use_case, performer=TaskPerformer.AI, description="案を出す")
    KpiFactory(use_case=use_case, name="CTR", target=None)

    with pytest.raises(services.IncompleteUseCase) as caught:
        services.submit(use_case, requester)

    fields = [item.field for item in caught.value.missing]
    assert fields == [
        "summary",
        "category",
        "audience",
        "data_classification",
        "intended_style",
        "monthly_requests",
        "avg_input_tokens",
        "avg_output_tokens",
        "tasks",  # no task where a person decides
        "kpis",  # the KPI has no target
    ]
    use_case.refresh_from_db()
    assert use_case.status == UseCaseStatus.DRAFT
    assert use_case.title == "下書き"
    assert use_case.tasks.get().description == "案を出す"
    assert not AuditEvent.objects.filter(action="submit").exists()


def test_submit_on_the_page_shows_every_missing_item_at_once(client, requester):
    use_case = UseCaseFactory(owner=requester)
    client.force_login(requester)
    response = client.post(
        reverse("usecases:submit", args=[use_case.reference]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    texts = [str(message) for message in response.context["messages"]]
    assert texts[0] == "The use case cannot be submitted yet. Missing:"
    assert texts[1:] == [str(item.message) for item in services.missing_items(use_case)]
    assert "List at least one task that AI may do." in texts
    assert "List at least one task where a person decides." in texts
    use_case.refresh_from_db()
    assert use_case.status == UseCaseStatus.DRAFT


def test_submit_complete_draft_records_audit_and_notifies_reviewers(
    requester, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    use_case = UseCaseFactory(complete=True, owner=requester)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submitted = services.submit(use_case, requester)
    assert len(callbacks) == 1  # the outbox sender, once
    assert submitted.status == UseCaseStatus.SUBMITTED
    assert submitted.submitted_at is not None
    event = AuditEvent.objects.for_object(use_case).get(action="submit")
    assert (event.actor, event.from_state, event.to_state) == (requester, "draft", "submitted")
    assert [mail.to for mail in mailoutbox] == [[reviewer.email]]
    assert use_case.reference in mailoutbox[0].subject
    row = Reminder.objects.get(event="usecase.submitted", channel="email")
    assert (row.recipient, row.status) == (reviewer, "sent")


def test_the_submission_notice_is_mailed_once_even_if_the_sender_runs_twice(requester, reviewer, mailoutbox):
    services.submit(UseCaseFactory(complete=True, owner=requester), requester)
    outbox.send_due()
    outbox.send_due()
    assert len(mailoutbox) == 1


def test_submitting_twice_is_refused_as_a_conflict(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    services.submit(use_case, requester)
    with pytest.raises(services.TransitionNotAllowed):
        services.submit(use_case, requester)


def test_only_the_owner_may_submit_or_withdraw(requester, marketing):
    from tests.factories import UserFactory

    colleague = UserFactory(department=marketing, role="requester")
    use_case = UseCaseFactory(complete=True, owner=requester)
    with pytest.raises(PermissionDenied):
        services.submit(use_case, colleague)
    with pytest.raises(PermissionDenied):
        services.withdraw(use_case, colleague)
    use_case.refresh_from_db()
    assert use_case.status == UseCaseStatus.DRAFT


def test_withdraw_records_reason(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    services.submit(use_case, requester)
    services.withdraw(use_case, requester, comment="予算が付かなかった")
    use_case.refresh_from_db()
    assert use_case.status == UseCaseStatus.WITHDRAWN
    event = AuditEvent.objects.for_object(use_case).get(action="withdraw")
    assert event.comment == "予算が付かなかった"
    with pytest.raises(services.TransitionNotAllowed):
        services.withdraw(use_case, requester)


def test_update_draft_keeps_children_it_is_not_given(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    kpi = use_case.kpis.get()
    services.update_draft(use_case, requester, {"title": "新しい題名"})
    assert use_case.kpis.get() == kpi
    assert use_case.tasks.count() == 2
    services.update_draft(use_case, requester, {}, kpis=[{"id": kpi.pk, "name": "CVR", "target": "3.5"}])
    kpi.refresh_from_db()
    assert (kpi.name, str(kpi.target)) == ("CVR", "3.5000")


def test_no_one_edits_a_submitted_use_case(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    services.submit(use_case, requester)
    with pytest.raises(PermissionDenied):
        services.update_draft(use_case, requester, {"title": "後から変更"})


def test_reference_codes_follow_the_pattern(requester):
    first = services.create_draft(requester, {"title": "一つ目"})
    second = services.create_draft(requester, {"title": "二つ目"})
    year, number = first.reference.split("-")[1:]
    assert first.reference.startswith("UC-") and len(year) == 4 and len(number) == 4
    assert int(second.reference.split("-")[2]) == int(number) + 1
    assert first.department == requester.department


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reference_codes_stay_unique_under_concurrent_creation(postgres, requester):
    """Eight threads, each with its own PostgreSQL connection, create use cases at once."""
    threads_count, per_thread = 8, 5
    barrier = threading.Barrier(threads_count)
    references, errors = [], []

    def create_many():
        try:
            barrier.wait(timeout=30)
            for index in range(per_thread):
                use_case = services.create_draft(requester, {"title": f"同時作成 {index}"})
                references.append(use_case.reference)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create_many) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(references) == threads_count * per_thread
    assert len(set(references)) == len(references)
    assert UseCase.objects.count() == len(references)
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # no gaps, no repeats


def test_next_reference_scopes_by_year():
    assert next_reference("UC", 2030) == "UC-2030-0001"
    assert next_reference("UC", 2030) == "UC-2030-0002"
    assert next_reference("UC", 2031) == "UC-2031-0001"


def test_a_failed_send_is_retried_by_the_outbox_and_then_sent(requester, reviewer, mailoutbox, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    def smtp_down(self, messages):
        raise ConnectionRefusedError("smtp down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", smtp_down)
        services.submit(UseCaseFactory(complete=True, owner=requester), requester)
        outbox.send_due()
    row = Reminder.objects.get(event="usecase.submitted", channel="email")
    assert (row.status, row.attempts) == ("pending", 1) and "smtp down" in row.error
    assert row.next_attempt_at > timezone.now()  # backoff
    outbox.send_due(now=row.next_attempt_at)
    row.refresh_from_db()
    assert row.status == "sent" and len(mailoutbox) == 1


def test_a_notice_refused_for_good_is_recorded_failed_and_not_retried(requester, reviewer, mailoutbox, monkeypatch):
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    def refused(self, messages):
        raise smtplib.SMTPRecipientsRefused({reviewer.email: (550, b"no such user")})

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refused)
        services.submit(UseCaseFactory(complete=True, owner=requester), requester)
        outbox.send_due()
    row = Reminder.objects.get(event="usecase.submitted", channel="email")
    assert row.status == "failed" and row.error.startswith("SMTPRecipientsRefused")
    assert outbox.send_due(now=timezone.now() + timedelta(days=1)) == {}
    assert mailoutbox == []


def test_a_notice_claimed_by_a_worker_that_died_is_sent_by_the_next_run(requester, reviewer, mailoutbox):
    services.submit(UseCaseFactory(complete=True, owner=requester), requester)
    row = Reminder.objects.get(event="usecase.submitted", channel="email")
    now = timezone.now()
    token, claimed = outbox.claim(now, 50)  # a sender claims the rows, then is killed
    assert row.pk in [claimed_row.pk for claimed_row in claimed]
    assert outbox.send_due(now=now) == {}  # a live claim keeps a second worker away
    later = now + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1)
    outbox.send_due(now=later)
    row.refresh_from_db()
    assert row.status == "sent" and [mail.to for mail in mailoutbox] == [[reviewer.email]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_submit_succeeds_when_the_broker_is_down(requester, reviewer, monkeypatch):
    from celery import current_app

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(current_app.tasks[outbox.SEND_TASK], "delay", broker_down)
    use_case = UseCaseFactory(complete=True, owner=requester)
    response = api_client_for(requester).post(f"/api/v1/use-cases/{use_case.reference}/submit/")
    assert response.status_code == 200
    use_case.refresh_from_db()
    assert use_case.status == UseCaseStatus.SUBMITTED
    # The notice waits in the outbox for the next sender run (beat, every minute).
    assert Reminder.objects.filter(event="usecase.submitted", channel="email", status="pending").count() == 1


def test_notice_subject_is_plain_text(requester, reviewer, mailoutbox):
    services.submit(UseCaseFactory(complete=True, owner=requester, title="Q&A <bot> 'x'"), requester)
    outbox.send_due()
    assert mailoutbox[0].subject.endswith("Q&A <bot> 'x'")


def test_saving_an_unchanged_draft_writes_no_audit_event(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    rows = [
        {"id": task.pk, "description": task.description, "performer": task.performer, "position": index}
        for index, task in enumerate(use_case.tasks.all())
    ]
    services.update_draft(use_case, requester, {"title": use_case.title}, tasks=rows)
    first = AuditEvent.objects.filter(action="update").count()  # the factory's positions were both 0
    services.update_draft(use_case, requester, {"title": use_case.title}, tasks=rows)
    assert AuditEvent.objects.filter(action="update").count() == first
    services.update_draft(use_case, requester, {"title": "変更"}, tasks=rows[:1])
    assert AuditEvent.objects.filter(action="update").latest("id").data == {"fields": ["title", "tasks"]}


def test_record_measurement_replaces_the_same_day_and_is_audited(requester):
    from datetime import date
    from decimal import Decimal

    use_case = UseCaseFactory(complete=True, owner=requester)
    kpi = use_case.kpis.get()
    services.record_measurement(use_case, requester, kpi, date(2026, 3, 1), Decimal("1.5"))
    services.record_measurement(use_case, requester, kpi, date(2026, 3, 1), Decimal("1.7"), "修正")
    assert [(m.value, m.note) for m in kpi.measurements.all()] == [(Decimal("1.7"), "修正")]
    events = AuditEvent.objects.filter(action="record_measurement").order_by("id")
    assert [event.data["replaced"] for event in events] == [False, True]
