import logging
import smtplib

from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from portal.mail import PermanentSendFailure, clean_subject, is_permanent
from vendors.invitations import record_invitation_result
from vendors.models import Assessment

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_assessment_invitation(assessment_id, url):
    """E-mail the vendor contact their questionnaire link, in the contact's language.

    Enqueued on commit by send_assessment and reissue_link. At-least-once: a retry
    after a partial failure may send the same link twice, which is harmless. A failure
    no retry can fix (the address is refused) ends the task as failed at once and is
    recorded on the assessment for reviewers to see.
    """
    assessment = Assessment.objects.with_related().get(pk=assessment_id)
    with translation.override(assessment.contact.language):
        context = {"assessment": assessment, "url": url, "template": str(assessment.template_version.template)}
        subject = clean_subject(render_to_string("vendors/email/invitation_subject.txt", context))
        body = render_to_string("vendors/email/invitation_body.txt", context)
    try:
        send_mail(subject, body, None, [assessment.contact.email])
    except Exception as error:
        if is_permanent(error):
            logger.error("Assessment %s could not be sent to its contact: %s", assessment.reference, error)
            record_invitation_result(assessment.pk, f"{type(error).__name__}: {error}")
            raise PermanentSendFailure(f"{type(error).__name__}: {error}") from error
        raise
    logger.info("Sent assessment %s to %s", assessment.reference, assessment.contact.email)
    # A re-issued link that now arrives clears the failure recorded for an earlier one.
    record_invitation_result(assessment.pk)
    return 1
