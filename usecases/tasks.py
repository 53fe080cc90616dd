"""Celery tasks of the inventory.

Delivery of the reviewers' submission notice is at-least-once: a claim with a lease
stops two workers from sending at the same time, a failed send releases the claim and
retries with backoff, and a periodic sweep re-enqueues any notice still unsent (broker
down at submit time, worker killed mid-send). A reviewer may, rarely, get the same
notice twice; nobody silently gets none. The reminders issue replaces this with
per-recipient outbox rows.
"""

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal.mail import clean_subject, is_permanent
from portal.roles import Role
from usecases.choices import OPEN_STATES
from usecases.models import UseCase

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died.
CLAIM_LEASE = timedelta(minutes=10)
# The sweep leaves fresh submissions to the task enqueued at submit time.
SWEEP_GRACE = timedelta(minutes=5)
SWEEP_BATCH = 500


@shared_task(autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def notify_reviewers_of_submission(use_case_id):
    """E-mail every reviewer that a use case was submitted, each in their language."""
    claimed_at = timezone.now()
    claimed = (
        UseCase.objects.filter(
            pk=use_case_id, status__in=OPEN_STATES, reviewers_notified_at__isnull=True, reviewers_notice_error=""
        )
        .filter(
            Q(reviewers_notice_claimed_at__isnull=True) | Q(reviewers_notice_claimed_at__lt=claimed_at - CLAIM_LEASE)
        )
        .update(reviewers_notice_claimed_at=claimed_at)
    )
    if not claimed:
        return 0
    try:
        sent, failures = _mail_reviewers(UseCase.objects.with_related().get(pk=use_case_id))
    except Exception:
        # Give the claim back so the retry (or the sweep) can send.
        UseCase.objects.filter(pk=use_case_id, reviewers_notice_claimed_at=claimed_at).update(
            reviewers_notice_claimed_at=None
        )
        raise
    if failures and not sent:
        # No retry can fix this: mark it failed so neither retries nor the sweep try again.
        error = "; ".join(failures)[:500]
        UseCase.objects.filter(pk=use_case_id).update(reviewers_notice_error=error)
        logger.error("The reviewers' notice of use case %s failed for good: %s", use_case_id, error)
        return 0
    UseCase.objects.filter(pk=use_case_id).update(reviewers_notified_at=timezone.now())
    return sent


def _mail_reviewers(use_case):
    """Send the notice to each reviewer; returns (sent, permanent failures). Any other
    failure is raised, to be retried."""
    reviewers = get_user_model().objects.filter(groups__name=Role.REVIEWER, is_active=True, email__gt="").distinct()
    link = settings.SITE_URL.rstrip("/") + use_case.get_absolute_url()
    sent, failures = 0, []
    for reviewer in reviewers:
        with translation.override(reviewer.language):
            context = {"use_case": use_case, "link": link, "recipient": reviewer}
            subject = clean_subject(render_to_string("usecases/email/submitted_subject.txt", context))
            body = render_to_string("usecases/email/submitted_body.txt", context)
        try:
            send_mail(subject, body, None, [reviewer.email])
        except Exception as error:
            if not is_permanent(error):
                raise
            failures.append(f"{reviewer.username}: {type(error).__name__}: {error}")
            logger.error("The notice of %s to reviewer %s failed for good: %s", use_case.reference, reviewer, error)
            continue
        sent += 1
    logger.info("Notified %s reviewers of %s", sent, use_case.reference)
    return sent, failures


@shared_task
def notify_pending_submissions():
    """Sweep (beat, every 10 minutes): enqueue notices of open submissions never sent."""
    pending = list(
        UseCase.objects.filter(
            status__in=OPEN_STATES,
            reviewers_notified_at__isnull=True,
            reviewers_notice_error="",
            submitted_at__lte=timezone.now() - SWEEP_GRACE,
        )
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for use_case_id in pending:
        notify_reviewers_of_submission.delay(use_case_id)
    if pending:
        logger.warning("Re-enqueued %s unsent submission notices", len(pending))
    return len(pending)


@shared_task
def refresh_cost_estimates(use_case_ids=None):
    """Recompute the stored monthly cost estimates (all use cases when ``use_case_ids`` is None):
    after a price, rate or default changes, and daily as a catch-up."""
    from usecases.economics import refresh_cost_estimates as refresh

    return refresh(use_case_ids)
