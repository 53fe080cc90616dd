from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.constraints import in_choices
from usecases.choices import (
    DataClassification,
    DeploymentStyle,
    KpiDirection,
    RiskTier,
    RoadmapStep,
    TaskPerformer,
    UseCaseAudience,
    UseCaseCategory,
    UseCaseStatus,
    UseCaseStyle,
)
from usecases.querysets import UseCaseQuerySet

TOKENS_MAX = 10_000_000


class UseCase(models.Model):
    """A place where a team wants to use AI (roadmap step 1: the inventory)."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=5000, blank=True)
    department = models.ForeignKey(
        "portal.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="use_cases"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="use_cases"
    )
    category = models.CharField(_("category"), max_length=20, choices=UseCaseCategory.choices, blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=UseCaseAudience.choices, blank=True)
    data_classification = models.CharField(
        _("input data classification"), max_length=20, choices=DataClassification.choices, blank=True
    )
    involves_personal_data = models.BooleanField(_("involves personal data"), default=False)
    intended_style = models.CharField(_("intended style"), max_length=20, choices=UseCaseStyle.choices, blank=True)
    monthly_requests = models.PositiveIntegerField(
        _("requests a month"), null=True, blank=True, validators=[MaxValueValidator(1_000_000_000)]
    )
    avg_input_tokens = models.PositiveIntegerField(
        _("average input tokens"), null=True, blank=True, validators=[MaxValueValidator(TOKENS_MAX)]
    )
    avg_output_tokens = models.PositiveIntegerField(
        _("average output tokens"), null=True, blank=True, validators=[MaxValueValidator(TOKENS_MAX)]
    )
    # Intake questions: they decide the risk tier, some policy checks and the recommendation.
    prohibited_practice = models.BooleanField(
        _("manipulates behaviour, scores people socially or identifies them by biometrics"),
        default=False,
        help_text=_("Practices the EU AI Act prohibits."),
    )
    decides_about_people = models.BooleanField(
        _("decides or helps decide about employment, credit, insurance or access to services"), default=False
    )
    customers_see_output = models.BooleanField(_("customers chat with it or see its generated content"), default=False)
    human_checks_output = models.BooleanField(
        _("a person checks generated content before customers see it"), default=False
    )
    tuned_on_own_data = models.BooleanField(
        _("tuned on our own data (brand tone, past creative, internal documents)"), default=False
    )
    uses_internal_knowledge = models.BooleanField(
        _("answers from internal knowledge (FAQs, manuals, internal documents)"), default=False
    )
    fast_start = models.BooleanField(_("a quick start with an existing tool matters most"), default=False)
    # Written by governance services only.
    risk_tier = models.CharField(_("risk tier"), max_length=20, choices=RiskTier.choices, blank=True, editable=False)
    risk_tier_override = models.CharField(
        _("risk tier set by a reviewer"), max_length=20, choices=RiskTier.choices, blank=True, editable=False
    )
    risk_tier_justification = models.TextField(_("justification of the override"), blank=True, editable=False)
    next_review_on = models.DateField(_("next review"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True, editable=False)
    # Bumped by every saved change: an edit based on an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    roadmap_step = models.PositiveSmallIntegerField(
        _("roadmap step"),
        choices=RoadmapStep.choices,
        default=RoadmapStep.INVENTORY,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    status = models.CharField(
        _("status"), max_length=20, choices=UseCaseStatus.choices, default=UseCaseStatus.DRAFT, editable=False
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted on"), null=True, blank=True, editable=False)
    reviewers_notified_at = models.DateTimeField(_("reviewers notified on"), null=True, blank=True, editable=False)
    reviewers_notice_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UseCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("use case")
        verbose_name_plural = _("use cases")
        permissions = [
            ("view_all_usecases", _("Can see every use case, including other departments' drafts")),
            ("review_usecase", _("Can review use cases")),
        ]
        indexes = [
            models.Index(fields=["status", "department"], name="usecases_status_dept_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(roadmap_step__gte=1, roadmap_step__lte=6),
                name="usecases_usecase_roadmap_step_range",
            ),
            models.CheckConstraint(condition=in_choices("status", UseCaseStatus), name="usecases_usecase_status_valid"),
            models.CheckConstraint(
                condition=in_choices("category", UseCaseCategory, allow_blank=True),
                name="usecases_usecase_category_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("data_classification", DataClassification, allow_blank=True),
                name="usecases_usecase_classification_valid",
            ),
            models.CheckConstraint(
                condition=in_choices("risk_tier", RiskTier, allow_blank=True),
                name="usecases_usecase_risk_tier_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(risk_tier_override="") | ~models.Q(risk_tier_justification=""),
                name="usecases_usecase_override_justified",
            ),
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=False)
                | models.Q(status__in=[UseCaseStatus.DRAFT, UseCaseStatus.WITHDRAWN]),
                name="usecases_usecase_submitted_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("usecases:detail", kwargs={"reference": self.reference})

    @property
    def effective_risk_tier(self):
        return self.risk_tier_override or self.risk_tier

    def get_effective_risk_tier_display(self):
        tier = self.effective_risk_tier
        return RiskTier(tier).label if tier else ""

    @property
    def monthly_tokens(self):
        if self.monthly_requests is None or self.avg_input_tokens is None or self.avg_output_tokens is None:
            return None
        return self.monthly_requests * (self.avg_input_tokens + self.avg_output_tokens)


class UseCaseTask(models.Model):
    """One step of the workflow, and whether AI may do it or a person decides."""

    use_case = models.ForeignKey(UseCase, verbose_name=_("use case"), on_delete=models.CASCADE, related_name="tasks")
    description = models.CharField(_("task"), max_length=300)
    performer = models.CharField(_("who does it"), max_length=10, choices=TaskPerformer.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("workflow task")
        verbose_name_plural = _("workflow tasks")
        constraints = [
            models.CheckConstraint(
                condition=in_choices("performer", TaskPerformer), name="usecases_usecasetask_performer_valid"
            ),
        ]

    def __str__(self):
        return self.description


class UseCaseModel(models.Model):
    """A model the use case uses, and how it is deployed (a column of the classification matrix)."""

    use_case = models.ForeignKey(
        UseCase, verbose_name=_("use case"), on_delete=models.CASCADE, related_name="model_choices"
    )
    ai_model = models.ForeignKey(
        "vendors.AIModel", verbose_name=_("AI model"), on_delete=models.PROTECT, related_name="use_case_choices"
    )
    deployment = models.CharField(_("deployment"), max_length=20, choices=DeploymentStyle.choices)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("chosen model")
        verbose_name_plural = _("chosen models")
        constraints = [
            models.UniqueConstraint(fields=["use_case", "ai_model"], name="usecases_usecasemodel_unique_model"),
            models.CheckConstraint(
                condition=in_choices("deployment", DeploymentStyle), name="usecases_usecasemodel_deployment_valid"
            ),
        ]

    def __str__(self):
        return f"{self.ai_model} ({self.get_deployment_display()})"


class Kpi(models.Model):
    use_case = models.ForeignKey(UseCase, verbose_name=_("use case"), on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(_("KPI"), max_length=200)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=KpiDirection.choices, default=KpiDirection.INCREASE
    )
    baseline = models.DecimalField(_("baseline"), max_digits=16, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.CheckConstraint(
                condition=in_choices("direction", KpiDirection), name="usecases_kpi_direction_valid"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def latest_measurement(self):
        """The most recent measurement, read from the prefetched list when there is one."""
        measurements = list(self.measurements.all())
        return measurements[-1] if measurements else None


class KpiMeasurement(models.Model):
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField(_("measured on"))
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=4)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["measured_on", "id"]
        verbose_name = _("KPI measurement")
        verbose_name_plural = _("KPI measurements")
        constraints = [
            models.UniqueConstraint(fields=["kpi", "measured_on"], name="usecases_kpimeasurement_one_per_day"),
        ]

    def __str__(self):
        return f"{self.kpi} {self.measured_on}: {self.value}"
