"""Vendors, licences, AI models, questionnaire templates and assessments."""

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from portal.choices import DataClassification, UserLanguage
from portal.constraints import in_choices
from portal.validators import LABEL_VALIDATORS
from vendors.choices import (
    AIModelStatus,
    AnswerType,
    AssessmentStatus,
    CertificationName,
    Currency,
    HostingOption,
    LicenceRestriction,
    Openness,
    RiskRating,
    TemplateAudience,
    TemplateVersionStatus,
    TrainingDataDisclosure,
    TrainingUse,
    VendorKind,
    VendorStatus,
)
from vendors.querysets import AssessmentQuerySet, TemplateVersionQuerySet, VendorQuerySet


class BilingualMixin:
    """``localized("text")`` returns ``text_ja`` or ``text_en`` for the active language,
    falling back to the other when one is empty."""

    def localized(self, field):
        first, second = ("ja", "en") if (get_language() or "ja").startswith("ja") else ("en", "ja")
        return getattr(self, f"{field}_{first}") or getattr(self, f"{field}_{second}")


class Vendor(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True, validators=LABEL_VALIDATORS)
    kind = models.CharField(_("kind"), max_length=20, choices=VendorKind.choices)
    website = models.URLField(_("website"), blank=True)
    headquarters_country = CountryField(_("headquarters country"), blank=True)
    processing_regions = CountryField(_("data-processing regions"), multiple=True, blank=True)
    data_retention_days = models.PositiveIntegerField(
        _("data retention (days)"), null=True, blank=True, validators=[MaxValueValidator(36500)]
    )
    zero_retention_available = models.BooleanField(_("zero retention available"), default=False)
    training_use = models.CharField(
        _("customer data used for training"), max_length=20, choices=TrainingUse.choices, default=TrainingUse.UNKNOWN
    )
    subprocessors = models.TextField(_("subprocessors"), blank=True, max_length=5000)
    status = models.CharField(
        _("status"), max_length=30, choices=VendorStatus.choices, default=VendorStatus.PROSPECTIVE, editable=False
    )
    approved_level = models.CharField(
        _("approved up to"), max_length=20, choices=DataClassification.choices, blank=True, editable=False
    )
    conditions = models.TextField(_("conditions"), blank=True, max_length=5000)
    risk_rating = models.CharField(_("risk rating"), max_length=10, choices=RiskRating.choices, blank=True)
    next_reassessment_on = models.DateField(_("next reassessment"), null=True, blank=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    objects = VendorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        constraints = [
            models.CheckConstraint(condition=in_choices("kind", VendorKind), name="vendors_vendor_kind_valid"),
            models.CheckConstraint(condition=in_choices("status", VendorStatus), name="vendors_vendor_status_valid"),
            models.CheckConstraint(
                condition=in_choices("approved_level", DataClassification, allow_blank=True),
                name="vendors_vendor_approved_level_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("vendors:detail", kwargs={"pk": self.pk})

    @property
    def trains_on_customer_data(self):
        return self.training_use in (TrainingUse.OPT_OUT, TrainingUse.NO_OPT_OUT)

    @property
    def training_opt_out_available(self):
        return self.training_use in (TrainingUse.NEVER, TrainingUse.OPT_IN, TrainingUse.OPT_OUT)


class VendorContact(models.Model):
    vendor = models.ForeignKey(Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200, validators=LABEL_VALIDATORS)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(
        _("language"), max_length=5, choices=UserLanguage.choices, default=UserLanguage.JAPANESE
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor contact")
        verbose_name_plural = _("vendor contacts")

    def __str__(self):
        return f"{self.name} <{self.email}>"


class VendorCertification(models.Model):
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="certifications"
    )
    name = models.CharField(_("certification"), max_length=20, choices=CertificationName.choices)
    other_name = models.CharField(_("name, if other"), max_length=100, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self):
        return self.other_name or self.get_name_display()


def validate_restriction_kinds(value):
    """A list of distinct ``LicenceRestriction`` values (the admin, form and API all pass here)."""
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise ValidationError(_("Give a list of restriction kinds."), code="invalid")
    unknown = [kind for kind in value if kind not in LicenceRestriction.values]
    if unknown:
        raise ValidationError(
            _("Unknown restriction kind %(kinds)s; choose from %(allowed)s."),
            code="invalid_choice",
            params={"kinds": ", ".join(unknown), "allowed": ", ".join(LicenceRestriction.values)},
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Name each restriction kind once."), code="duplicate")


class Licence(models.Model):
    identifier = models.CharField(
        _("identifier"), max_length=100, unique=True, help_text=_("The SPDX identifier where one exists.")
    )
    name = models.CharField(_("name"), max_length=200, validators=LABEL_VALIDATORS)
    commercial_use = models.BooleanField(_("commercial use allowed"), default=True)
    redistribution = models.BooleanField(_("redistribution allowed"), default=True)
    attribution_required = models.BooleanField(_("attribution required"), default=False)
    non_commercial_only = models.BooleanField(_("non-commercial only"), default=False)
    # What the policy checks read; the free text below explains it to people.
    restriction_kinds = models.JSONField(
        _("restriction kinds"),
        default=list,
        blank=True,
        validators=[validate_restriction_kinds],
        help_text=_(
            "Which restrictions the policy checks weigh against each use case: a user-count limit (customer-facing "
            "use), an acceptable-use policy (customer-facing, published, personal-data or high-risk use), terms "
            "that derived models inherit (tuning on own data), other restrictions (always flagged). Non-commercial "
            "terms and attribution have their own fields."
        ),
    )
    user_limit = models.PositiveBigIntegerField(
        _("user limit (monthly active users)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100_000_000_000)],
        help_text=_("With a user-count limit: the most monthly active users the licence allows, if stated."),
    )
    restrictions = models.TextField(
        _("user-count or use restrictions"),
        blank=True,
        max_length=5000,
        help_text=_("The restrictions in words, as the licence states them."),
    )
    url = models.URLField(_("link"), blank=True)

    class Meta:
        ordering = ["identifier"]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(non_commercial_only=True, commercial_use=True),
                name="vendors_licence_non_commercial_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(user_limit__isnull=True) | models.Q(user_limit__gte=1),
                name="vendors_licence_user_limit_positive",
            ),
        ]

    def __str__(self):
        return self.identifier

    def clean(self):
        super().clean()
        if self.user_limit is not None and LicenceRestriction.USER_LIMIT not in (self.restriction_kinds or []):
            raise ValidationError(
                {"user_limit": _("A user limit needs the restriction kind “User-count limit”.")},
                code="user_limit_without_kind",
            )

    def get_restriction_kinds_display(self):
        labels = dict(LicenceRestriction.choices)
        return [labels.get(kind, kind) for kind in self.restriction_kinds or []]


class AIModel(models.Model):
    # What reviewers edit, on the page and through the API (in this order).
    EDITABLE_FIELDS = [
        "name",
        "version",
        "publisher",
        "openness",
        "licence",
        "hosting_options",
        "price_input_per_million",
        "price_output_per_million",
        "currency",
        "context_window",
        "update_cadence",
        "training_data_disclosed",
        "japanese_notes",
        "status",
    ]

    name = models.CharField(_("name"), max_length=200, validators=LABEL_VALIDATORS)
    version = models.CharField(_("version"), max_length=100, blank=True)
    publisher = models.ForeignKey(
        Vendor, verbose_name=_("publisher"), on_delete=models.PROTECT, related_name="ai_models"
    )
    openness = models.CharField(_("openness"), max_length=20, choices=Openness.choices)
    licence = models.ForeignKey(Licence, verbose_name=_("licence"), on_delete=models.PROTECT, related_name="ai_models")
    hosting_options = models.JSONField(_("hosting options"), default=list, blank=True)
    price_input_per_million = models.DecimalField(
        _("price per million input tokens"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    price_output_per_million = models.DecimalField(
        _("price per million output tokens"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.USD)
    context_window = models.PositiveIntegerField(
        _("context window (tokens)"), null=True, blank=True, validators=[MaxValueValidator(100_000_000)]
    )
    update_cadence = models.CharField(_("update cadence"), max_length=200, blank=True)
    training_data_disclosed = models.CharField(
        _("training data disclosed"),
        max_length=10,
        choices=TrainingDataDisclosure.choices,
        default=TrainingDataDisclosure.NO,
    )
    japanese_notes = models.TextField(_("Japanese-language notes"), blank=True, max_length=5000)
    status = models.CharField(
        _("status"), max_length=20, choices=AIModelStatus.choices, default=AIModelStatus.UNDER_REVIEW
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        ordering = ["name", "version"]
        verbose_name = _("AI model")
        verbose_name_plural = _("AI models")
        constraints = [
            models.UniqueConstraint(fields=["publisher", "name", "version"], name="vendors_aimodel_unique_version"),
            models.CheckConstraint(condition=in_choices("openness", Openness), name="vendors_aimodel_openness_valid"),
            models.CheckConstraint(condition=in_choices("status", AIModelStatus), name="vendors_aimodel_status_valid"),
        ]

    def __str__(self):
        return f"{self.name} {self.version}".strip()

    def get_absolute_url(self):
        return reverse("vendors:model-detail", kwargs={"pk": self.pk})

    def get_hosting_options_display(self):
        labels = dict(HostingOption.choices)
        return [labels.get(option, option) for option in self.hosting_options]


class QuestionnaireTemplate(BilingualMixin, models.Model):
    key = models.SlugField(_("key"), max_length=50, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    audience = models.CharField(
        _("answered by"), max_length=10, choices=TemplateAudience.choices, default=TemplateAudience.VENDOR
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("questionnaire template")
        verbose_name_plural = _("questionnaire templates")

    def __str__(self):
        return self.localized("name")


class TemplateVersion(models.Model):
    """One version of a template. Published versions are immutable: services refuse to
    change them, and editing starts a new draft version (copied from the latest)."""

    template = models.ForeignKey(
        QuestionnaireTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateVersionStatus.choices, default=TemplateVersionStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    objects = TemplateVersionQuerySet.as_manager()

    class Meta:
        ordering = ["template", "-number"]
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="vendors_templateversion_unique_number"),
            models.UniqueConstraint(
                fields=["template"],
                condition=models.Q(status=TemplateVersionStatus.DRAFT),
                name="vendors_templateversion_one_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True) | ~models.Q(status=TemplateVersionStatus.DRAFT),
                name="vendors_templateversion_draft_unpublished",
            ),
        ]

    def __str__(self):
        return f"{self.template} v{self.number}"

    def get_absolute_url(self):
        return reverse("vendors:template-version", kwargs={"pk": self.pk})

    @property
    def is_editable(self):
        return self.status == TemplateVersionStatus.DRAFT


class DraftOnlyMixin:
    """Refuses to save or delete a row of a published or retired version, whoever calls."""

    def _version_id(self):
        raise NotImplementedError

    def _check_draft(self):
        version_id = self._version_id()
        if (
            version_id
            and not TemplateVersion.objects.filter(pk=version_id, status=TemplateVersionStatus.DRAFT).exists()
        ):
            raise PermissionError("Published template versions are immutable; start a new version.")

    def save(self, *args, **kwargs):
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)


class TemplateSection(DraftOnlyMixin, BilingualMixin, models.Model):
    version = models.ForeignKey(
        TemplateVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="sections"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return self.localized("title")

    def _version_id(self):
        return self.version_id


class Question(DraftOnlyMixin, BilingualMixin, models.Model):
    section = models.ForeignKey(
        TemplateSection, verbose_name=_("section"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    text_ja = models.TextField(_("question (Japanese)"), max_length=2000)
    text_en = models.TextField(_("question (English)"), max_length=2000)
    help_ja = models.TextField(_("help (Japanese)"), blank=True, max_length=2000)
    help_en = models.TextField(_("help (English)"), blank=True, max_length=2000)
    answer_type = models.CharField(_("answer type"), max_length=10, choices=AnswerType.choices)
    # [{"value": "never", "ja": "...", "en": "...", "points": 1.0}, ...] for choice types.
    options = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=3, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    # Answer values that fail the assessment; "" means "left empty" (e.g. no commitment).
    knockout_values = models.JSONField(_("knockout answers"), default=list, blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(
                condition=in_choices("answer_type", AnswerType), name="vendors_question_answer_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0, weight__lte=5), name="vendors_question_weight_range"
            ),
        ]

    def __str__(self):
        return self.localized("text")[:80]

    def _version_id(self):
        return TemplateSection.objects.filter(pk=self.section_id).values_list("version_id", flat=True).first()

    @property
    def localized_text(self):
        return self.localized("text")

    @property
    def localized_help(self):
        return self.localized("help")

    @property
    def knockout_display(self):
        """Knockout values as the editor writes them ("(empty)" for a missing answer)."""
        return ", ".join(value or "(empty)" for value in self.knockout_values)

    def option_label(self, value):
        for option in self.options:
            if option["value"] == value:
                return option.get("ja" if (get_language() or "ja").startswith("ja") else "en") or value
        return value

    def localized_options(self):
        return [(option["value"], self.option_label(option["value"])) for option in self.options]


class Assessment(models.Model):
    """A questionnaire sent to a vendor contact (or answered internally), its answers and decision."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    vendor = models.ForeignKey(Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="assessments")
    contact = models.ForeignKey(
        VendorContact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="assessments"
    )
    template_version = models.ForeignKey(
        TemplateVersion, verbose_name=_("template version"), on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(
        _("status"), max_length=30, choices=AssessmentStatus.choices, default=AssessmentStatus.SENT, editable=False
    )
    # The link carries a signed (assessment id, nonce); only the nonce's hash is kept, so
    # re-issuing or revoking makes every earlier link useless.
    link_nonce_hash = models.CharField(max_length=64, editable=False)
    link_expires_at = models.DateTimeField(_("link expires"), editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent on"), default=timezone.now, editable=False)
    submitted_at = models.DateTimeField(_("submitted on"), null=True, blank=True, editable=False)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=1, null=True, blank=True, editable=False)
    knockout_count = models.PositiveSmallIntegerField(_("knockout answers"), default=0, editable=False)
    findings = models.TextField(_("findings"), blank=True, max_length=10000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True, editable=False)
    approved_level = models.CharField(
        _("approved up to"), max_length=20, choices=DataClassification.choices, blank=True, editable=False
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True, editable=False)
    # Why the questionnaire e-mail failed for good (e.g. the address was refused): no retry
    # will send it, so reviewers must see it; a later successful send (re-issue) clears it.
    invitation_error = models.CharField(_("invitation failed"), max_length=500, blank=True, default="", editable=False)
    invitation_failed_at = models.DateTimeField(_("invitation failed on"), null=True, blank=True, editable=False)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        permissions = [("decide_assessment", _("Can decide vendor assessments"))]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("status", AssessmentStatus), name="vendors_assessment_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.vendor}"

    def get_absolute_url(self):
        return reverse("vendors:assessment-detail", kwargs={"reference": self.reference})

    @staticmethod
    def hash_nonce(nonce):
        return hashlib.sha256(nonce.encode()).hexdigest()


class Answer(models.Model):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    # bool for yes/no, str for single/text/date (ISO), list for multiple, number as str.
    value = models.JSONField(_("answer"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="vendors_answer_one_per_question"),
        ]

    def __str__(self):
        return f"{self.assessment.reference} {self.question_id}"


def evidence_path(instance, filename):
    # Random names: an uploaded name never decides where a file lands or what it overwrites.
    return f"evidence/{instance.answer.assessment.reference}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class EvidenceFile(models.Model):
    answer = models.ForeignKey(Answer, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded on"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("vendors:evidence", kwargs={"pk": self.pk})
