from django.db import models
from django.utils.translation import gettext_lazy as _

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
