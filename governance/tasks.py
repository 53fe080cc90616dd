from celery import shared_task
from django.db import transaction

from governance import checks
from governance.reminders import outbox, scan
from usecases.choices import CLOSED_STATES
from usecases.models import UseCase

BATCH = 200


@shared_task(acks_late=True)
def recheck_use_cases(use_case_ids):
    """Re-run the policy checks of use cases whose vendor, model, licence or matrix changed."""
    return checks.recheck(use_case_ids)


@shared_task
def recheck_open_use_cases():
    """Daily: findings that depend on the date (expired assessments or exceptions) stay current."""
    ids = list(UseCase.objects.exclude(status__in=CLOSED_STATES).values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        recheck_use_cases.delay(ids[start : start + BATCH])
    return len(ids)


@shared_task
def scan_reminders():
    """Beat (hourly): create the outbox rows of everything due, then send them."""
    with transaction.atomic():
        offered = scan.scan()
        outbox.enqueue_sending()
    return offered


@shared_task(acks_late=True)
def send_due_reminders():
    """Beat (every minute) and after each scan: send the outbox until nothing is due.
    Concurrent runs claim disjoint rows; a run killed midway is recovered by the next."""
    return outbox.send_due()


@shared_task(acks_late=True)
def send_reminder_digests():
    """Beat (daily, 08:00): one e-mail per user who chose the digest."""
    return outbox.send_digests()
