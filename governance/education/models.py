"""Rules and education (roadmap step 6): versioned policy documents and their
acknowledgements, training courses and completions, and the shared prompt library."""

import re

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.education.choices import (
    CompletionSource,
    PolicyKind,
    PolicyVersionStatus,
    PromptStatus,
    PromptStyle,
)
from governance.querysets import AudienceQuerySet, PromptTemplateQuerySet, TrainingCompletionQuerySet
from portal.constraints import in_choices
from portal.roles import Role
from portal.validators import LABEL_VALIDATORS
from usecases.choices import UseCaseCategory
from vendors.models import BilingualMixin

EVIDENCE_EXTENSIONS = ["pdf", "png", "jpg", "jpeg", "txt", "docx", "xlsx"]
# {{placeholder}} in a prompt template; the name may be Japanese.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s][^{}]{0,60}?)\s*\}\}")


class Audience(BilingualMixin, models.Model):
    """Who a policy or course is for: all staff, or some departments and/or roles."""

    all_staff = models.BooleanField(_("all staff"), default=True)
    departments = models.ManyToManyField(
        "portal.Department", verbose_name=_("departments"), blank=True, related_name="+"
    )
    roles = models.ManyToManyField(
        "auth.Group",
        verbose_name=_("roles"),
        blank=True,
        related_name="+",
        help_text=_("People holding any of these roles are included."),
    )

    objects = AudienceQuerySet.as_manager()

    class Meta:
        abstract = True

    def audience_users(self):
        """The active people this is for (a query, so counts run in SQL)."""
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(is_active=True)
        if self.all_staff:
            return users
        condition = models.Q(department__in=self.departments.all()) | models.Q(groups__in=self.roles.all())
        return users.filter(condition).distinct()

    def applies_to(self, user):
        return type(self).objects.filter(pk=self.pk).applying_to(user).exists()

    def get_roles_display(self):
        labels = dict(Role.choices)
        return [labels.get(group.name, group.name) for group in self.roles.all()]


class PolicyDocument(Audience):
    """A usage rule, prompt guideline or data-handling policy; its text lives in versions."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=PolicyKind.choices, default=PolicyKind.USAGE_RULES)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200, validators=LABEL_VALIDATORS)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True, validators=LABEL_VALIDATORS)
    requires_acknowledgement = models.BooleanField(_("acknowledgement required"), default=True)
    acknowledge_within_days = models.PositiveSmallIntegerField(
        _("days to acknowledge a new version"), default=14, validators=[MaxValueValidator(365)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "key"]
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")
        permissions = [("manage_policy", _("Can write and publish policy documents"))]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("kind", PolicyKind), name="governance_policydocument_kind_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("governance:policy-detail", kwargs={"key": self.key})

    @property
    def title(self):
        return self.localized("title")


class PolicyVersion(BilingualMixin, models.Model):
    """One version of a policy's text. Published versions never change; publishing a new
    one supersedes the previous, which stays readable."""

    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("policy document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    body_ja = models.TextField(_("text (Japanese, Markdown)"), max_length=100_000)
    body_en = models.TextField(_("text (English, Markdown)"), max_length=100_000, blank=True)
    change_summary = models.CharField(_("what changed"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PolicyVersionStatus.choices, default=PolicyVersionStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledge_by = models.DateField(_("acknowledge by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="governance_policyversion_unique_number"),
            models.UniqueConstraint(
                fields=["document"],
                condition=models.Q(status=PolicyVersionStatus.PUBLISHED),
                name="governance_policyversion_one_in_force",
            ),
            models.CheckConstraint(
                condition=in_choices("status", PolicyVersionStatus), name="governance_policyversion_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=PolicyVersionStatus.DRAFT) | models.Q(published_at__isnull=False),
                name="governance_policyversion_published_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.document} v{self.number}"

    def get_absolute_url(self):
        return reverse("governance:policy-version", kwargs={"key": self.document.key, "number": self.number})

    @property
    def body(self):
        return self.localized("body")


class PolicyAcknowledgement(models.Model):
    """A person confirmed they read one version of a policy."""

    version = models.ForeignKey(
        PolicyVersion, verbose_name=_("policy version"), on_delete=models.PROTECT, related_name="acknowledgements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged on"), default=timezone.now)

    class Meta:
        ordering = ["-acknowledged_at"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="governance_policyacknowledgement_once"),
        ]

    def __str__(self):
        return f"{self.user} · {self.version}"


class TrainingCourse(Audience):
    key = models.SlugField(_("key"), max_length=60, unique=True)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200, validators=LABEL_VALIDATORS)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True, validators=LABEL_VALIDATORS)
    description_ja = models.TextField(_("description (Japanese)"), max_length=5000, blank=True)
    description_en = models.TextField(_("description (English)"), max_length=5000, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Empty: a completion never expires."),
    )
    required = models.BooleanField(
        _("required"), default=True, help_text=_("Counts for the rules-and-education step of the roadmap.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        permissions = [("manage_training", _("Can manage courses and record anyone's training"))]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("governance:course-detail", kwargs={"key": self.key})

    @property
    def title(self):
        return self.localized("title")

    @property
    def description(self):
        return self.localized("description")


class TrainingCompletion(models.Model):
    course = models.ForeignKey(
        TrainingCourse, verbose_name=_("training course"), on_delete=models.PROTECT, related_name="completions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="training_completions",
    )
    completed_on = models.DateField(_("completed on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True, editable=False)
    source = models.CharField(_("entered by"), max_length=10, choices=CompletionSource.choices)
    evidence = models.FileField(
        _("evidence"),
        upload_to="training-evidence/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = TrainingCompletionQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_on", "-id"]
        verbose_name = _("training completion")
        verbose_name_plural = _("training completions")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "user", "completed_on"], name="governance_trainingcompletion_once_a_day"
            ),
            models.CheckConstraint(
                condition=in_choices("source", CompletionSource), name="governance_trainingcompletion_source_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("completed_on")),
                name="governance_trainingcompletion_expires_after",
            ),
            # A person's own report is believed only with evidence.
            models.CheckConstraint(
                condition=~models.Q(source=CompletionSource.SELF) | ~models.Q(evidence=""),
                name="governance_trainingcompletion_self_has_evidence",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.course} · {self.completed_on}"

    @property
    def is_valid(self):
        return self.expires_on is None or self.expires_on >= timezone.localdate()


class PromptTemplate(models.Model):
    """A shared prompt with {{placeholders}}; approved by a reviewer before the library shows it to all."""

    title = models.CharField(_("title"), max_length=200, validators=LABEL_VALIDATORS)
    category = models.CharField(_("category"), max_length=20, choices=UseCaseCategory.choices)
    style = models.CharField(
        _("suitable style"), max_length=10, choices=PromptStyle.choices, default=PromptStyle.EITHER
    )
    body = models.TextField(
        _("prompt"), max_length=10_000, help_text=_("Write placeholders as {{name}}; they are filled before copying.")
    )
    example_output = models.TextField(_("example output"), max_length=10_000, blank=True)
    notes = models.TextField(_("how to use it"), max_length=5_000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="prompt_templates"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PromptStatus.choices, default=PromptStatus.DRAFT, editable=False
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True, editable=False)
    usage_count = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0, editable=False)
    rating_total = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    objects = PromptTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["category", "title"]
        verbose_name = _("prompt template")
        verbose_name_plural = _("prompt templates")
        permissions = [("approve_prompttemplate", _("Can approve and retire prompt templates"))]
        constraints = [
            models.CheckConstraint(
                condition=in_choices("category", UseCaseCategory), name="governance_prompttemplate_category_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("style", PromptStyle), name="governance_prompttemplate_style_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("status", PromptStatus), name="governance_prompttemplate_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(rating_total__lte=models.F("rating_count") * 5),
                name="governance_prompttemplate_rating_total_range",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("governance:prompt-detail", kwargs={"pk": self.pk})

    @property
    def placeholders(self):
        """The placeholder names in order of first appearance."""
        return list(dict.fromkeys(name.strip() for name in PLACEHOLDER.findall(self.body)))

    @property
    def average_rating(self):
        return round(self.rating_total / self.rating_count, 1) if self.rating_count else None

    def fill(self, values):
        """The prompt with each {{name}} replaced by ``values[name]`` (unfilled ones kept)."""
        return PLACEHOLDER.sub(lambda match: str(values.get(match.group(1).strip(), match.group(0))), self.body)


class PromptRating(models.Model):
    template = models.ForeignKey(
        PromptTemplate, verbose_name=_("prompt template"), on_delete=models.CASCADE, related_name="ratings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    stars = models.PositiveSmallIntegerField(_("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("rated on"), auto_now=True)

    class Meta:
        verbose_name = _("prompt rating")
        verbose_name_plural = _("prompt ratings")
        constraints = [
            models.UniqueConstraint(fields=["template", "user"], name="governance_promptrating_one_per_user"),
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="governance_promptrating_stars_range"
            ),
        ]

    def __str__(self):
        return f"{self.template} · {self.stars}"
