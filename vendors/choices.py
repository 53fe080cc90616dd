from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VendorKind(models.TextChoices):
    CLOSED_API = "closed_api", _("Closed model / API provider")
    SAAS = "saas", _("SaaS tool with AI features")
    OPEN_WEIGHTS = "open_weights", _("Open-weights publisher")
    CLOUD = "cloud", _("Cloud / hosting provider")
    INTEGRATOR = "integrator", _("Integrator")


class VendorStatus(models.TextChoices):
    PROSPECTIVE = "prospective", _("Prospective")
    UNDER_ASSESSMENT = "under_assessment", _("Under assessment")
    APPROVED = "approved", _("Approved")
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", _("Approved with conditions")
    REJECTED = "rejected", _("Rejected")
    OFFBOARDED = "offboarded", _("Offboarded")


APPROVED_VENDOR_STATES = frozenset({VendorStatus.APPROVED, VendorStatus.APPROVED_WITH_CONDITIONS})


class TrainingUse(models.TextChoices):
    NEVER = "never", _("Never")
    OPT_IN = "opt_in", _("Only with opt-in")
    OPT_OUT = "opt_out", _("By default, with opt-out")
    NO_OPT_OUT = "no_opt_out", _("Yes, no opt-out")
    UNKNOWN = "unknown", _("Unknown")


class RiskRating(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class CertificationName(models.TextChoices):
    ISO27001 = "iso27001", "ISO/IEC 27001"
    ISO27701 = "iso27701", "ISO/IEC 27701"
    ISO42001 = "iso42001", "ISO/IEC 42001"
    SOC2 = "soc2_type2", "SOC 2 Type II"
    ISMAP = "ismap", "ISMAP"
    OTHER = "other", _("Other")


class Openness(models.TextChoices):
    CLOSED_API = "closed_api", _("Closed (API)")
    OPEN_WEIGHTS = "open_weights", _("Open weights")


class HostingOption(models.TextChoices):
    VENDOR_CLOUD = "vendor_cloud", _("Vendor cloud")
    PRIVATE_CLOUD = "private_cloud", _("Private cloud")
    SELF_HOSTED = "self_hosted", _("Self-hosted")


class Currency(models.TextChoices):
    JPY = "JPY", _("Japanese yen")
    USD = "USD", _("US dollar")
    EUR = "EUR", _("Euro")


class TrainingDataDisclosure(models.TextChoices):
    FULL = "full", _("Disclosed")
    SUMMARY = "summary", _("Summary only")
    NO = "no", _("Not disclosed")


class AIModelStatus(models.TextChoices):
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    RESTRICTED = "restricted", pgettext_lazy("AI model status", "Restricted")
    BLOCKED = "blocked", _("Blocked")


class TemplateAudience(models.TextChoices):
    VENDOR = "vendor", _("Answered by the vendor")
    INTERNAL = "internal", _("Answered internally by IT")


class TemplateVersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class AnswerType(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    FILE = "file", _("File")


CHOICE_TYPES = frozenset({AnswerType.YES_NO, AnswerType.SINGLE, AnswerType.MULTIPLE})


class AssessmentStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", _("Approved with conditions")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")


# The vendor may answer through the link only while the assessment is open.
ANSWERABLE_STATES = frozenset({AssessmentStatus.SENT, AssessmentStatus.IN_PROGRESS})
DECIDED_STATES = frozenset(
    {AssessmentStatus.APPROVED, AssessmentStatus.APPROVED_WITH_CONDITIONS, AssessmentStatus.REJECTED}
)


class AssessmentDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approve with conditions")
    REJECT = "reject", _("Reject")


class AssessmentAction(models.TextChoices):
    SEND = "send", _("Send")
    REISSUE = "reissue", _("Re-issue the link")
    REVOKE = "revoke", _("Revoke")
    SAVE_ANSWERS = "save_answers", _("Save answers")
    SUBMIT = "submit", _("Submit")
    DECIDE = "decide", _("Decide")


class VendorAuditAction(models.TextChoices):
    """Audit actions of this app (registered with portal's label registry)."""

    SEND_ASSESSMENT = "send_assessment", _("sent an assessment")
    REISSUE_LINK = "reissue_link", _("re-issued the assessment link")
    REVOKE_ASSESSMENT = "revoke_assessment", _("revoked the assessment")
    VENDOR_SAVED = "vendor_saved_answers", _("vendor saved answers")
    VENDOR_SUBMITTED = "vendor_submitted", _("vendor submitted the assessment")
    DECIDE_ASSESSMENT = "decide_assessment", _("decided the assessment")
    PUBLISH_TEMPLATE = "publish_template", _("published a template version")
    NEW_TEMPLATE_VERSION = "new_template_version", _("started a new template version")
    INVITATION_FAILED = "invitation_failed", _("the questionnaire e-mail could not be delivered")
    INVITATION_DELIVERED = "invitation_delivered", _("the questionnaire e-mail was sent after a failure")


class LicenceRestriction(models.TextChoices):
    """Restrictions of a licence the policy checks weigh against a use case (the free text explains them).

    Non-commercial terms and attribution have their own flags on the licence."""

    USER_LIMIT = "user_limit", _("User-count limit")
    ACCEPTABLE_USE = "acceptable_use", _("Acceptable-use policy")
    DERIVATIVES = "derivatives", _("Derived models inherit the licence")
    CONTRACT_TERMS = "contract_terms", _("Per-contract vendor terms")
    OTHER = "other", _("Other restriction (see the explanation)")
