"""Choices of rules and education (roadmap step 6): policies, training, the prompt library."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PolicyKind(models.TextChoices):
    USAGE_RULES = "usage_rules", _("Usage rules")
    PROMPT_GUIDELINES = "prompt_guidelines", _("Prompt guidelines")
    DATA_HANDLING = "data_handling", _("Data handling")
    OTHER = "other", _("Other")


class PolicyVersionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("policy version", "Draft")
    PUBLISHED = "published", pgettext_lazy("policy version", "In force")
    SUPERSEDED = "superseded", pgettext_lazy("policy version", "Superseded")


class CompletionSource(models.TextChoices):
    ADMIN = "admin", _("Entered by an administrator")
    SELF = "self", _("Reported by the person, with evidence")


class PromptStyle(models.TextChoices):
    CLOSED = "closed", _("Closed AI")
    OPEN = "open", _("Open model")
    EITHER = "either", _("Either")


class PromptStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("prompt status", "Draft")
    APPROVED = "approved", pgettext_lazy("prompt status", "Approved")
    RETIRED = "retired", pgettext_lazy("prompt status", "Retired")


class EducationAuditAction(models.TextChoices):
    """Audit actions of rules and education (registered with portal's label registry)."""

    PUBLISH_POLICY = "publish_policy", pgettext_lazy("audit action", "published a policy version")
    ACKNOWLEDGE_POLICY = "acknowledge_policy", pgettext_lazy("audit action", "acknowledged a policy")
    RECORD_TRAINING = "record_training", pgettext_lazy("audit action", "recorded a training completion")
    REMOVE_TRAINING = "remove_training", pgettext_lazy("audit action", "removed a training completion")
    APPROVE_PROMPT = "approve_prompt", pgettext_lazy("audit action", "approved a prompt template")
    RETIRE_PROMPT = "retire_prompt", pgettext_lazy("audit action", "retired a prompt template")
