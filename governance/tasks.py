from celery import shared_task

from governance import services
from usecases.choices import CLOSED_STATES
from usecases.models import UseCase

BATCH = 200


@shared_task(acks_late=True)
def recheck_use_cases(use_case_ids):
    """Re-run the policy checks of use cases whose vendor, model, licence or matrix changed."""
    return services.recheck(use_case_ids)


@shared_task
def recheck_open_use_cases():
    """Daily: findings that depend on the date (expired assessments or exceptions) stay current."""
    ids = list(UseCase.objects.exclude(status__in=CLOSED_STATES).values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        recheck_use_cases.delay(ids[start : start + BATCH])
    return len(ids)
