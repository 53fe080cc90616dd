from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    """What a task on "My tasks" asks of its person; the value is the API's code, the label the page's."""

    STAGE_DECISION = "stage_decision", _("Approval stage to decide")
    EXCEPTION_REQUEST = "exception_request", _("Blocking finding waiting for an exception")
    ASSESSMENT_REVIEW = "assessment_review", _("Vendor answers to review")
    EXCEPTION_EXPIRING = "exception_expiring", _("Policy exception expiring")
    VENDOR_REASSESSMENT = "vendor_reassessment", _("Vendor approval expiring")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested by the reviewers")
    DRAFT = "draft", _("Draft not submitted yet")
    PILOT_RESULTS = "pilot_results", _("Pilot results due")
    KPI_MEASUREMENT = "kpi_measurement", _("KPI measurement due")
    REVIEW_DUE = "review_due", _("Periodic re-review due")
    POLICY_ACKNOWLEDGEMENT = "policy_acknowledgement", _("Policy to acknowledge")
    TRAINING_DUE = "training_due", _("Training to complete")
    TRAINING_EXPIRING = "training_expiring", _("Training expiring")
    STAGE_WITHOUT_DECIDER = "stage_without_decider", _("Stage nobody can decide")
    FAILED_NOTIFICATIONS = "failed_notifications", _("Notifications not delivered")
    INVITATION_FAILED = "invitation_failed", _("Questionnaire invitation not delivered")


class TaskSubject(models.TextChoices):
    """The kind of object a task is about."""

    USE_CASE = "use_case", _("Use case")
    APPROVAL_STAGE = "approval_stage", _("Approval stage")
    ASSESSMENT = "assessment", _("Vendor assessment")
    POLICY_EXCEPTION = "policy_exception", _("Policy exception")
    VENDOR = "vendor", _("Vendor")
    PILOT = "pilot", _("Pilot or proof of concept")
    POLICY_VERSION = "policy_version", _("Policy")
    TRAINING_COURSE = "training_course", _("Training course")
    REMINDER_KIND = "reminder_kind", _("Notifications of one kind")
