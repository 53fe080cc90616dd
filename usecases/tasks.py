import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal.roles import Role
from usecases.models import UseCase

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_reviewers_of_submission(use_case_id):
    """E-mail the reviewers that a use case was submitted, each in their language.

    Claimed by a conditional UPDATE first, so a task delivered twice mails once.
    """
    claimed = UseCase.objects.filter(pk=use_case_id, reviewers_notified_at__isnull=True).update(
        reviewers_notified_at=timezone.now()
    )
    if not claimed:
        return 0
    use_case = UseCase.objects.with_related().get(pk=use_case_id)
    reviewers = get_user_model().objects.filter(groups__name=Role.REVIEWER, is_active=True, email__gt="").distinct()
    link = settings.SITE_URL.rstrip("/") + use_case.get_absolute_url()
    sent = 0
    for reviewer in reviewers:
        with translation.override(reviewer.language):
            context = {"use_case": use_case, "link": link, "recipient": reviewer}
            subject = render_to_string("usecases/email/submitted_subject.txt", context).strip()
            body = render_to_string("usecases/email/submitted_body.txt", context)
        send_mail(subject, body, None, [reviewer.email])
        sent += 1
    logger.info("Notified %s reviewers of %s", sent, use_case.reference)
    return sent
