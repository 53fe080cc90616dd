"""The questionnaire e-mail's outcome on its assessment. Below both the assessment services (which
enqueue the e-mail) and the task (which reports how it went), so neither imports the other
back."""

from django.db import transaction
from django.utils import timezone

from portal.services import field_changes, record_event
from vendors.choices import VendorAuditAction
from vendors.models import Assessment


def record_invitation_result(assessment_id, error=""):
    """The outcome of the questionnaire e-mail (called by the task, which has no user).

    ``error`` (a failure no retry can fix) is kept on the assessment for reviewers and
    audited; a later successful send clears a recorded failure. A success with nothing
    to clear writes nothing."""
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update(of=("self",)).select_related("contact").get(pk=assessment_id)
        if error:
            values = {"invitation_error": str(error)[:500], "invitation_failed_at": timezone.now()}
            action = VendorAuditAction.INVITATION_FAILED
        elif assessment.invitation_error or assessment.invitation_failed_at:
            values = {"invitation_error": "", "invitation_failed_at": None}
            action = VendorAuditAction.INVITATION_DELIVERED
        else:
            return assessment
        changes = field_changes(assessment, values)
        for name, value in values.items():
            setattr(assessment, name, value)
        assessment.save(update_fields=list(values))
        record_event(
            assessment,
            action,
            data={"contact": assessment.contact.email},
            comment=values["invitation_error"],
            changes=changes,
        )
    return assessment
