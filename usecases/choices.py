from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.choices import DataClassification  # noqa: F401 - shared with vendors and governance


class UseCaseCategory(models.TextChoices):
    CREATIVE = "creative", _("Creative production")
    CONTENT_SEO = "content_seo", _("Content marketing / SEO")
    SALES_SUPPORT = "sales_support", _("Sales / customer support")
    ANALYTICS = "analytics", _("Data analysis / reporting")
    OTHER = "other", _("Other")


class UseCaseAudience(models.TextChoices):
    INTERNAL = "internal", _("Internal use")
    CUSTOMER_FACING = "customer_facing", _("Customer-facing")


class UseCaseStyle(models.TextChoices):
    CLOSED_SAAS = "closed_saas", _("Closed: AI feature of a SaaS tool")
    CLOSED_API = "closed_api", _("Closed: vendor API")
    OPEN_CLOUD = "open_cloud", _("Open model on a vendor or private cloud")
    OPEN_SELF_HOSTED = "open_self_hosted", _("Open model, self-hosted")
    HYBRID = "hybrid", _("Hybrid")


# The three families executives count: closed AI, open models, hybrid.
STYLE_FAMILY = {
    UseCaseStyle.CLOSED_SAAS: "closed",
    UseCaseStyle.CLOSED_API: "closed",
    UseCaseStyle.OPEN_CLOUD: "open",
    UseCaseStyle.OPEN_SELF_HOSTED: "open",
    UseCaseStyle.HYBRID: "hybrid",
}
STYLE_FAMILIES = [("closed", _("Closed AI")), ("open", _("Open model")), ("hybrid", _("Hybrid"))]


class DeploymentStyle(models.TextChoices):
    """How one model is deployed: the columns of the classification matrix."""

    CLOSED_SAAS = "closed_saas", _("Closed: AI feature of a SaaS tool")
    CLOSED_API = "closed_api", _("Closed: vendor API")
    OPEN_CLOUD = "open_cloud", _("Open model on a vendor or private cloud")
    OPEN_SELF_HOSTED = "open_self_hosted", _("Open model, self-hosted")


CLOSED_STYLES = frozenset({DeploymentStyle.CLOSED_SAAS, DeploymentStyle.CLOSED_API})
OPEN_STYLES = frozenset({DeploymentStyle.OPEN_CLOUD, DeploymentStyle.OPEN_SELF_HOSTED})
# Styles in which our data reaches a third party's servers.
DATA_LEAVING_STYLES = frozenset({DeploymentStyle.CLOSED_SAAS, DeploymentStyle.CLOSED_API, DeploymentStyle.OPEN_CLOUD})


class RiskTier(models.TextChoices):
    """EU AI Act style tiers, most severe first."""

    PROHIBITED = "prohibited", _("Prohibited practice")
    HIGH = "high", _("High risk")
    LIMITED = "limited", _("Limited risk (transparency)")
    MINIMAL = "minimal", _("Minimal risk")


class UseCaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PILOTING = "piloting", _("Piloting")
    IN_PRODUCTION = "in_production", _("In production")
    RETIRED = "retired", _("Retired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Stopped because of an incident until a reviewer lifts it (the incidents app adds the rows).
    SUSPENDED = "suspended", _("Suspended")


# Named groups of states, used by querysets, services and templates.
# A draft, or a use case sent back by a reviewer, is edited by its owner.
EDITABLE_STATES = frozenset({UseCaseStatus.DRAFT, UseCaseStatus.CHANGES_REQUESTED})
# States in which approval stages are open.
REVIEW_STATES = frozenset({UseCaseStatus.SUBMITTED, UseCaseStatus.IN_REVIEW})
OPEN_STATES = frozenset({UseCaseStatus.SUBMITTED, UseCaseStatus.IN_REVIEW, UseCaseStatus.CHANGES_REQUESTED})
LIVE_STATES = frozenset({UseCaseStatus.APPROVED, UseCaseStatus.PILOTING, UseCaseStatus.IN_PRODUCTION})
CLOSED_STATES = frozenset({UseCaseStatus.REJECTED, UseCaseStatus.RETIRED, UseCaseStatus.WITHDRAWN})
# Measurements can be recorded until the use case is closed.
MEASURABLE_STATES = frozenset(set(UseCaseStatus) - CLOSED_STATES)


class UseCaseAction(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    WITHDRAW = "withdraw", _("Withdraw")
    RECORD_MEASUREMENT = "record_measurement", _("Record a KPI measurement")
    RESUBMIT = "resubmit", _("Resubmit")
    APPROVE_STAGE = "approve_stage", _("Approve a stage")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REQUEST_CHANGES = "request_changes", _("Request changes")
    # Roadmap moves after approval (steps 3 to 6).
    START_PILOT = "start_pilot", _("Start the closed pilot")
    ADVANCE_STEP = "advance_step", _("Move to the next step")
    SKIP_POC = "skip_poc", _("Skip the open-model proof of concept")
    GO_LIVE = "go_live", _("Go live")
    MOVE_BACK = "move_back", _("Move back a step")
    STOP_PILOT = "stop_pilot", _("Stop the pilot")
    RETURN_TO_PILOT = "return_to_pilot", _("Return to piloting")
    RETIRE = "retire", _("Retire")
    # Incidents (the incidents app adds the rows): suspend a live use case, and lift the
    # suspension back to the state it had (one action per state returned to).
    SUSPEND = "suspend", _("Suspend")
    RESUME_APPROVED = "resume_approved", _("Lift the suspension")
    RESUME_PILOTING = "resume_piloting", _("Lift the suspension")
    RESUME_IN_PRODUCTION = "resume_in_production", _("Lift the suspension")


class TaskPerformer(models.TextChoices):
    AI = "ai", _("AI may do it")
    HUMAN = "human", _("A person decides")


class KpiDirection(models.TextChoices):
    INCREASE = "increase", _("Higher is better")
    DECREASE = "decrease", _("Lower is better")


class RoadmapStep(models.IntegerChoices):
    INVENTORY = 1, _("1. Use-case inventory")
    GOVERNANCE = 2, _("2. Data and governance")
    CLOSED_START = 3, _("3. Small start on closed AI")
    OPEN_POC = 4, _("4. Open-model proof of concept")
    HYBRID = 5, _("5. Hybrid consolidation")
    RULES_EDUCATION = 6, _("6. Rules and education")


# Steps a use case is moved through after approval, by the roadmap services.
PILOT_STEPS = frozenset({RoadmapStep.CLOSED_START, RoadmapStep.OPEN_POC, RoadmapStep.HYBRID})


class TrialKind(models.TextChoices):
    CLOSED_PILOT = "closed_pilot", _("Closed-AI pilot (step 3)")
    OPEN_POC = "open_poc", _("Open-model proof of concept (step 4)")


class ModelRole(models.TextChoices):
    """Where a model ends up in the hybrid decision (step 5)."""

    OPERATIONS = "operations", _("Day-to-day operations (closed AI)")
    CORE = "core", _("Differentiating core (open AI)")
    RETIRED = "retired", _("Retired")


IN_USE_ROLES = frozenset({ModelRole.OPERATIONS, ModelRole.CORE})


class RoadmapAuditAction(models.TextChoices):
    """Audit actions of the roadmap (registered with portal's label registry)."""

    START_PILOT = "start_pilot", pgettext_lazy("audit action", "started the closed pilot")
    ADVANCE_STEP = "advance_step", pgettext_lazy("audit action", "moved to the next roadmap step")
    SKIP_POC = "skip_poc", pgettext_lazy("audit action", "skipped the open-model proof of concept")
    GO_LIVE = "go_live", pgettext_lazy("audit action", "went live")
    MOVE_BACK = "move_back", pgettext_lazy("audit action", "moved back on the roadmap")
    STOP_PILOT = "stop_pilot", pgettext_lazy("audit action", "stopped the pilot")
    RETURN_TO_PILOT = "return_to_pilot", pgettext_lazy("audit action", "returned to piloting")
    RETIRE = "retire", pgettext_lazy("audit action", "retired")
    SAVE_TRIAL = "save_trial", pgettext_lazy("audit action", "saved a pilot or proof of concept")
    DECIDE_ROLES = "decide_roles", pgettext_lazy("audit action", "decided the models' hybrid roles")
    CHANGE_COSTS = "change_costs", pgettext_lazy("audit action", "changed the cost and value assumptions")
    RECORD_BENEFIT = "record_benefit", pgettext_lazy("audit action", "recorded a benefit")


class CommentAuditAction(models.TextChoices):
    """Audit actions of the use-case conversation (registered with portal's label registry)."""

    POST_COMMENT = "post_comment", pgettext_lazy("audit action", "posted a comment")
    EDIT_COMMENT = "edit_comment", pgettext_lazy("audit action", "edited a comment")
    DELETE_COMMENT = "delete_comment", pgettext_lazy("audit action", "deleted a comment")
