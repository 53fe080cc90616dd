from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MatrixVerdict(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    CONDITIONAL = "conditional", _("Allowed with conditions")
    PROHIBITED = "prohibited", _("Prohibited")


class FindingSeverity(models.TextChoices):
    BLOCK = "block", _("Blocks approval")
    WARN = "warn", _("Warning")
    INFO = "info", _("Information")


SEVERITY_ORDER = {FindingSeverity.BLOCK: 0, FindingSeverity.WARN: 1, FindingSeverity.INFO: 2}


class StageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", pgettext_lazy("stage status", "Approved")
    REJECTED = "rejected", pgettext_lazy("stage status", "Rejected")
    CHANGES_REQUESTED = "changes_requested", pgettext_lazy("stage status", "Changes requested")
    CANCELLED = "cancelled", _("Cancelled")


class StageDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REQUEST_CHANGES = "request_changes", _("Request changes")


DECISION_STAGE_STATUS = {
    StageDecision.APPROVE: StageStatus.APPROVED,
    StageDecision.REJECT: StageStatus.REJECTED,
    StageDecision.REQUEST_CHANGES: StageStatus.CHANGES_REQUESTED,
}


class RecommendedStyle(models.TextChoices):
    CLOSED = "closed", _("Closed AI (vendor API or SaaS feature)")
    OPEN = "open", _("Open model")
    OPEN_SELF_HOSTED = "open_self_hosted", _("Open model, self-hosted")


class GovernanceAuditAction(models.TextChoices):
    """Audit actions of this app (registered with portal's label registry)."""

    RESUBMIT = "resubmit", pgettext_lazy("audit action", "resubmitted")
    APPROVE_STAGE = "approve_stage", pgettext_lazy("audit action", "approved a stage")
    APPROVE = "approve", pgettext_lazy("audit action", "approved")
    REJECT = "reject", pgettext_lazy("audit action", "rejected")
    REQUEST_CHANGES = "request_changes", pgettext_lazy("audit action", "requested changes")
    PLAN_STAGES = "plan_stages", pgettext_lazy("audit action", "planned the approval stages")
    GRANT_EXCEPTION = "grant_exception", pgettext_lazy("audit action", "granted an exception")
    OVERRIDE_RISK_TIER = "override_risk_tier", pgettext_lazy("audit action", "overrode the risk tier")
    CHANGE_MATRIX = "change_matrix", pgettext_lazy("audit action", "changed the classification matrix")
    CHANGE_LEVEL = "change_level", pgettext_lazy("audit action", "changed a classification level")
    ASSIGN_STAGE = "assign_stage", pgettext_lazy("audit action", "assigned a stage")
    UNASSIGN_STAGE = "unassign_stage", pgettext_lazy("audit action", "removed a stage's assignee")
    CREATE_DELEGATION = "create_delegation", pgettext_lazy("audit action", "named a delegate")
    END_DELEGATION = "end_delegation", pgettext_lazy("audit action", "ended a delegation")


class ReminderKind(models.TextChoices):
    """What a reminder chases. Each kind is one entry of ``governance.reminders.kinds.KINDS``."""

    STAGE_DUE = "stage_due", _("Approval stage due")
    USE_CASE_REVIEW = "use_case_review", _("Periodic re-review")
    ASSESSMENT_UNANSWERED = "assessment_unanswered", _("Questionnaire not answered yet")
    ASSESSMENT_EXPIRING = "assessment_expiring", _("Vendor approval expiring")
    EXCEPTION_EXPIRING = "exception_expiring", _("Policy exception expiring")
    POLICY_ACKNOWLEDGEMENT = "policy_acknowledgement", _("Policy to acknowledge")
    TRAINING_EXPIRING = "training_expiring", _("Training expiring")
    # Workflow events (portal.events): rows written by the notification sink, never stale.
    EVENT = "event", _("Workflow event")
    # Added by the incidents app (incidents/reminders.py): a running incident deadline.
    INCIDENT_DEADLINE = "incident_deadline", _("Incident deadline")


class ReminderStep(models.TextChoices):
    """Where the item stands when the reminder is made; ``before`` carries its days."""

    BEFORE = "before", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    ESCALATION = "escalation", _("Escalated")


URGENT_STEPS = frozenset({ReminderStep.OVERDUE, ReminderStep.ESCALATION})


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DIGEST = "digest", _("Waiting for the daily digest")
    SENT = "sent", pgettext_lazy("reminder status", "Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("No longer due")


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Team chat")


class ChatKind(models.TextChoices):
    SLACK = "slack", _("Slack (incoming webhook)")
    TEAMS = "teams", _("Microsoft Teams (incoming webhook)")
