"""Classification policy, policy-check findings and exceptions, approval stages, reminders."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from governance.choices import (
    FindingSeverity,
    MatrixVerdict,
    NotificationChannel,
    ReminderKind,
    ReminderStatus,
    ReminderStep,
    StageDecision,
    StageStatus,
)
from governance.notify.registry import EVENT_TYPES
from governance.querysets import (
    ApprovalStageQuerySet,
    FindingQuerySet,
    PolicyExceptionQuerySet,
)
from governance.reminders.registry import KINDS
from governance.rules import RULES
from portal.choices import DataClassification
from portal.constraints import in_choices
from usecases.choices import DeploymentStyle, RiskTier
from vendors.models import BilingualMixin


class ClassificationLevel(BilingualMixin, models.Model):
    """One of the four data levels, with what it means and where its data may be processed."""

    code = models.CharField(_("level"), max_length=20, choices=DataClassification.choices, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("Higher is more sensitive."))
    description_ja = models.TextField(_("description (Japanese)"), max_length=2000)
    description_en = models.TextField(_("description (English)"), max_length=2000)
    allowed_regions = CountryField(
        _("allowed processing regions"),
        multiple=True,
        blank=True,
        help_text=_("Countries where this level's data may be processed by a third party; empty means anywhere."),
    )
    # Where data is stored is one question, under which law the vendor answers is another:
    # a vendor headquartered abroad may be compelled by its home country whatever its regions.
    allowed_jurisdictions = CountryField(
        _("allowed vendor jurisdictions"),
        multiple=True,
        blank=True,
        help_text=_(
            "Countries where a third party processing this level's data may have its headquarters (the law it "
            "answers to); empty means any."
        ),
    )
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("classification level")
        verbose_name_plural = _("classification levels")
        permissions = [("manage_classification", _("Can change the classification policy"))]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("code", DataClassification), name="governance_classificationlevel_code_valid"
            ),
            models.UniqueConstraint(fields=["rank"], name="governance_classificationlevel_unique_rank"),
        ]

    def __str__(self):
        return self.get_code_display()

    @property
    def localized_description(self):
        return self.localized("description")


class ClassificationRule(models.Model):
    """A cell of the matrix: may data of ``level`` go to a model deployed as ``style``?"""

    CONDITION_FIELDS = ("require_vendor_approval", "require_zero_retention", "require_no_training", "require_region")

    level = models.ForeignKey(
        ClassificationLevel, verbose_name=_("level"), on_delete=models.CASCADE, related_name="rules"
    )
    style = models.CharField(_("deployment"), max_length=20, choices=DeploymentStyle.choices)
    verdict = models.CharField(_("verdict"), max_length=20, choices=MatrixVerdict.choices)
    require_vendor_approval = models.BooleanField(_("vendor approved at this level or higher"), default=False)
    require_zero_retention = models.BooleanField(_("zero retention"), default=False)
    require_no_training = models.BooleanField(_("no training on our data"), default=False)
    require_region = models.BooleanField(
        _("processing region and vendor jurisdiction in the level's allowed lists"), default=False
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        ordering = ["level__rank", "style"]
        verbose_name = _("classification rule")
        verbose_name_plural = _("classification rules")
        constraints = [
            models.UniqueConstraint(fields=["level", "style"], name="governance_classificationrule_one_per_cell"),
            models.CheckConstraint(
                condition=in_choices("style", DeploymentStyle), name="governance_classificationrule_style_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("verdict", MatrixVerdict), name="governance_classificationrule_verdict_valid"
            ),
            # Conditions only mean something on a conditional cell.
            models.CheckConstraint(
                condition=models.Q(verdict=MatrixVerdict.CONDITIONAL)
                | models.Q(
                    require_vendor_approval=False,
                    require_zero_retention=False,
                    require_no_training=False,
                    require_region=False,
                ),
                name="governance_classificationrule_conditions_on_conditional",
            ),
        ]

    def __str__(self):
        return f"{self.level} × {self.get_style_display()}: {self.get_verdict_display()}"

    @property
    def conditions(self):
        return [self._meta.get_field(name).verbose_name for name in self.CONDITION_FIELDS if getattr(self, name)]


class RiskTierSetting(models.Model):
    """How often an approved use case of a tier is reviewed again."""

    tier = models.CharField(_("risk tier"), max_length=20, choices=RiskTier.choices, unique=True)
    review_interval_days = models.PositiveIntegerField(
        _("review every (days)"), validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )

    class Meta:
        ordering = ["tier"]
        verbose_name = _("risk tier setting")
        verbose_name_plural = _("risk tier settings")
        constraints = [
            models.CheckConstraint(
                condition=in_choices("tier", RiskTier), name="governance_risktiersetting_tier_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(review_interval_days__gte=1), name="governance_risktiersetting_interval_positive"
            ),
        ]

    def __str__(self):
        return f"{self.get_tier_display()}: {self.review_interval_days}"


class StageDefinition(BilingualMixin, models.Model):
    """A kind of approval stage, and when a use case needs it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("deciding group"),
        on_delete=models.PROTECT,
        related_name="stage_definitions",
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    sla_days = models.PositiveSmallIntegerField(
        _("due within (days)"), default=5, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    risk_tiers = models.JSONField(
        _("needed for risk tiers"), default=list, blank=True, help_text=_('e.g. ["limited", "high"]')
    )
    for_personal_data = models.BooleanField(_("needed when personal data is involved"), default=False)
    four_eyes = models.BooleanField(
        _("four-eyes rule"),
        null=True,
        blank=True,
        help_text=_(
            "The person who decided another stage of the same use case may not decide this one. "
            "Empty: on for high-risk use cases only."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("stage definition")
        verbose_name_plural = _("stage definitions")
        constraints = [
            models.CheckConstraint(condition=models.Q(sla_days__gte=1), name="governance_stagedefinition_sla_positive"),
        ]

    def __str__(self):
        return self.localized("name")

    def applies_to(self, tier, personal_data):
        return self.is_active and (tier in self.risk_tiers or (personal_data and self.for_personal_data))


class ApprovalStage(models.Model):
    """One stage of one use case's approval: a group, a due date and one decision."""

    use_case = models.ForeignKey(
        "usecases.UseCase", verbose_name=_("use case"), on_delete=models.CASCADE, related_name="approval_stages"
    )
    definition = models.ForeignKey(
        StageDefinition, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="stages"
    )
    group = models.ForeignKey(
        "auth.Group", verbose_name=_("deciding group"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=StageStatus.choices, default=StageStatus.PENDING)
    created_at = models.DateTimeField(_("planned on"), default=timezone.now)
    started_at = models.DateTimeField(_("started on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=20, choices=StageDecision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_stages",
    )
    assigned_at = models.DateTimeField(_("assigned on"), null=True, blank=True)

    objects = ApprovalStageQuerySet.as_manager()

    class Meta:
        ordering = ["position", "created_at", "id"]
        verbose_name = _("approval stage")
        verbose_name_plural = _("approval stages")
        permissions = [("decide_approvalstage", _("Can decide approval stages of their groups"))]
        indexes = [models.Index(fields=["status", "group", "due_on"], name="governance_stage_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "definition"],
                condition=models.Q(status=StageStatus.PENDING),
                name="governance_approvalstage_one_pending_per_definition",
            ),
            models.CheckConstraint(
                condition=in_choices("status", StageStatus), name="governance_approvalstage_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(decision="", decided_by__isnull=True, decided_at__isnull=True)
                | (~models.Q(decision="") & models.Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="governance_approvalstage_decision_complete",
            ),
        ]

    def __str__(self):
        return f"{self.use_case.reference} {self.definition}"

    @property
    def is_overdue(self):
        return self.status == StageStatus.PENDING and self.due_on is not None and self.due_on < timezone.localdate()


class Delegation(models.Model):
    """While a reviewer is away, their review tasks and notices go to a delegate."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.CASCADE, related_name="delegations"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("delegate"), on_delete=models.CASCADE, related_name="delegated_to_me"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        indexes = [models.Index(fields=["user", "ends_on"], name="governance_delegation_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(user=models.F("delegate")), name="governance_delegation_not_self"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="governance_delegation_dates_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.delegate} ({self.starts_on}–{self.ends_on})"


class Finding(models.Model):
    """The latest result of one policy rule for one use case (and one model or vendor)."""

    use_case = models.ForeignKey(
        "usecases.UseCase", verbose_name=_("use case"), on_delete=models.CASCADE, related_name="findings"
    )
    rule_id = models.CharField(_("rule"), max_length=60)
    # What the finding is about, e.g. "model:12"; empty for the use case itself.
    subject = models.CharField(_("subject"), max_length=60, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=FindingSeverity.choices)
    facts = models.JSONField(_("facts used"), default=dict, blank=True)
    evaluated_at = models.DateTimeField(_("checked on"), default=timezone.now)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["use_case", "severity", "rule_id", "subject"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.UniqueConstraint(
                fields=["use_case", "rule_id", "subject"], name="governance_finding_one_per_rule_subject"
            ),
            models.CheckConstraint(
                condition=in_choices("severity", FindingSeverity), name="governance_finding_severity_valid"
            ),
        ]

    def __str__(self):
        return f"{self.rule_id} {self.subject}".strip()

    @property
    def rule(self):
        return RULES[self.rule_id]

    @property
    def title(self):
        return self.rule.title

    @property
    def explanation(self):
        return self.rule.explain(self.facts)


class PolicyException(models.Model):
    """Permission to approve despite one blocking finding, until an expiry date."""

    use_case = models.ForeignKey(
        "usecases.UseCase", verbose_name=_("use case"), on_delete=models.CASCADE, related_name="policy_exceptions"
    )
    rule_id = models.CharField(_("rule"), max_length=60)
    subject = models.CharField(_("subject"), max_length=60, blank=True)
    justification = models.TextField(_("justification"), max_length=5000)
    expires_on = models.DateField(_("expires on"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted by"), on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted on"), default=timezone.now)

    objects = PolicyExceptionQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("policy exception")
        verbose_name_plural = _("policy exceptions")
        permissions = [("grant_policyexception", _("Can grant exceptions to blocking findings"))]
        constraints = [
            models.CheckConstraint(condition=~models.Q(justification=""), name="governance_policyexception_justified"),
        ]

    def __str__(self):
        return f"{self.use_case.reference} {self.rule_id} {self.subject}".strip()

    @property
    def is_valid(self):
        return self.expires_on >= timezone.localdate()


class ReminderSetting(models.Model):
    """When one kind of reminder goes out; one row per kind, edited in the admin."""

    kind = models.CharField(_("kind"), max_length=30, choices=ReminderKind.choices, unique=True)
    days_before = models.JSONField(
        _("days before the due date"), default=list, blank=True, help_text=_("e.g. [30, 7, 1]")
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("escalate after (days overdue)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(365)],
        help_text=_("Empty: this kind is not escalated."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("reminder setting")
        verbose_name_plural = _("reminder settings")
        constraints = [
            models.CheckConstraint(
                condition=in_choices("kind", ReminderKind), name="governance_remindersetting_kind_valid"
            ),
        ]

    def __str__(self):
        return str(self.get_kind_display())

    def clean(self):
        days = self.days_before
        if not isinstance(days, list) or not all(isinstance(day, int) and 0 <= day <= 365 for day in days):
            raise ValidationError({"days_before": _("Enter a list of whole days between 0 and 365, e.g. [30, 7, 1].")})
        self.days_before = sorted(set(days), reverse=True)


class Reminder(models.Model):
    """One message owed to one recipient about one due item: the outbox row.

    The unique key (kind, subject, due date, step, recipient) makes the scan idempotent;
    the sender claims rows by a conditional update and records the outcome.
    """

    kind = models.CharField(_("kind"), max_length=30, choices=ReminderKind.choices)
    step = models.CharField(_("step"), max_length=20, choices=ReminderStep.choices)
    days_before = models.PositiveSmallIntegerField(_("days before"), default=0)  # 0 unless step is "before"
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    object_repr = models.CharField(_("about"), max_length=200)
    due_on = models.DateField(_("due on"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    # People without an account (vendor contacts): the address and language at scan time.
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=5, blank=True)
    recipient_key = models.CharField(_("recipient key"), max_length=260, editable=False)
    urgent = models.BooleanField(_("urgent"), default=False)
    url = models.CharField(_("link"), max_length=500, blank=True)
    params = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True, editable=False)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    # Workflow events (kind "event"): the event's name and occurrence key, the channel, a chat destination.
    event = models.CharField(_("event"), max_length=60, blank=True)
    event_key = models.CharField(_("event key"), max_length=200, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=NotificationChannel.choices, default=NotificationChannel.EMAIL
    )
    destination = models.ForeignKey(
        "governance.ChatDestination",
        verbose_name=_("chat destination"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="gov_reminder_queue_idx"),
            models.Index(fields=["content_type", "object_id"], name="gov_reminder_subject_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "content_type", "object_id", "due_on", "step", "days_before", "recipient_key"],
                condition=models.Q(event_key=""),
                name="governance_reminder_once_per_due_item",
            ),
            models.UniqueConstraint(
                fields=["event_key", "recipient_key", "channel"],
                condition=~models.Q(event_key=""),
                name="governance_reminder_once_per_event",
            ),
            models.CheckConstraint(
                condition=in_choices("channel", NotificationChannel), name="governance_reminder_channel_valid"
            ),
            models.CheckConstraint(condition=in_choices("kind", ReminderKind), name="governance_reminder_kind_valid"),
            models.CheckConstraint(
                condition=in_choices("status", ReminderStatus), name="governance_reminder_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(email="") | models.Q(destination__isnull=False),
                name="governance_reminder_has_recipient",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ReminderStatus.SENT) | models.Q(sent_at__isnull=False),
                name="governance_reminder_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.object_repr} → {self.recipient_key}"

    @property
    def spec(self):
        """What writes this row's texts: its reminder kind, or its event type."""
        return EVENT_TYPES[self.event] if self.event else KINDS[self.kind]

    @property
    def title(self):
        return self.spec.title_for(self) if self.event else self.spec.title(self)

    @property
    def message(self):
        return self.spec.message_for(self) if self.event else self.spec.message(self)

    @property
    def absolute_url(self):
        return settings.SITE_URL.rstrip("/") + self.url


# Rules and education (roadmap step 6) keep their models beside their services; imported here
# so that Django registers them with the governance app.
from governance.education.models import (  # noqa: E402
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyVersion,
    PromptRating,
    PromptTemplate,
    TrainingCompletion,
    TrainingCourse,
)
from governance.models.notify import ChatDestination, Notification  # noqa: E402

__all__ = [
    "ApprovalStage",
    "ChatDestination",
    "ClassificationLevel",
    "ClassificationRule",
    "Finding",
    "Notification",
    "PolicyAcknowledgement",
    "PolicyDocument",
    "PolicyException",
    "PolicyVersion",
    "PromptRating",
    "PromptTemplate",
    "Reminder",
    "ReminderSetting",
    "RiskTierSetting",
    "StageDefinition",
    "TrainingCompletion",
    "TrainingCourse",
]
