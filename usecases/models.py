from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.constraints import in_choices
from portal.validators import LABEL_VALIDATORS, validate_visible_text
from usecases.choices import (
    DataClassification,
    DeploymentStyle,
    KpiDirection,
    ModelRole,
    RiskTier,
    RoadmapStep,
    TaskPerformer,
    TrialKind,
    UseCaseAudience,
    UseCaseCategory,
    UseCaseStatus,
    UseCaseStyle,
)
from usecases.querysets import UseCaseQuerySet
from vendors.choices import Currency

TOKENS_MAX = 10_000_000
MONEY_MAX = 1_000_000_000_000  # in the reporting currency


def money_field(verbose_name, **kwargs):
    """An amount of money that cannot be negative (costs, rates, savings)."""
    return models.DecimalField(
        verbose_name,
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(MONEY_MAX)],
        **kwargs,
    )


class UseCase(models.Model):
    """A place where a team wants to use AI (roadmap step 1: the inventory)."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200, validators=LABEL_VALIDATORS)
    summary = models.TextField(_("summary"), max_length=5000, blank=True, validators=[validate_visible_text])
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
    # Roadmap (written by the roadmap services only).
    step_entered_at = models.DateTimeField(_("entered the step on"), null=True, blank=True, editable=False)
    poc_skipped_reason = models.TextField(_("why the proof of concept was skipped"), blank=True, editable=False)
    went_live_at = models.DateTimeField(_("went live on"), null=True, blank=True, editable=False)
    # Cost and value assumptions of this use case; empty means the organisation's default.
    gpu_monthly_cost = money_field(_("GPU setup a month (self-hosting)"), null=True, blank=True)
    operations_fte = models.DecimalField(
        _("operations staff (full-time equivalents)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    other_monthly_cost = money_field(_("other costs a month (software, people, cloud)"), null=True, blank=True)
    hourly_rate = money_field(_("value of an hour saved"), null=True, blank=True)
    # The running monthly cost in the reporting currency (economics.running_cost), kept up to
    # date by ``economics.refresh_cost_estimates`` so the adoption figures sum it in SQL.
    estimated_closed_cost = money_field(_("estimated closed AI cost a month"), null=True, blank=True, editable=False)
    estimated_self_hosted_cost = money_field(
        _("estimated self-hosting cost a month"), null=True, blank=True, editable=False
    )
    cost_estimated_at = models.DateTimeField(_("cost estimated on"), null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired on"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=UseCaseStatus.choices, default=UseCaseStatus.DRAFT, editable=False
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted on"), null=True, blank=True, editable=False)

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
            # The inventory's default order (newest first): a page is an index scan, not a sort.
            models.Index(fields=["-created_at", "-id"], name="usecases_created_idx"),
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
    description = models.CharField(_("task"), max_length=300, validators=LABEL_VALIDATORS)
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
    # The hybrid decision (step 5), written by the roadmap services.
    role = models.CharField(_("hybrid role"), max_length=20, choices=ModelRole.choices, blank=True)
    role_rationale = models.TextField(_("rationale"), max_length=2000, blank=True)
    request_share = models.PositiveSmallIntegerField(
        _("share of the requests (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("chosen model")
        verbose_name_plural = _("chosen models")
        constraints = [
            models.UniqueConstraint(fields=["use_case", "ai_model"], name="usecases_usecasemodel_unique_model"),
            models.CheckConstraint(
                condition=in_choices("deployment", DeploymentStyle), name="usecases_usecasemodel_deployment_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("role", ModelRole, allow_blank=True), name="usecases_usecasemodel_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(request_share__isnull=True) | models.Q(request_share__lte=100),
                name="usecases_usecasemodel_share_range",
            ),
        ]

    def __str__(self):
        return f"{self.ai_model} ({self.get_deployment_display()})"


class Kpi(models.Model):
    use_case = models.ForeignKey(UseCase, verbose_name=_("use case"), on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(_("KPI"), max_length=200, validators=LABEL_VALIDATORS)
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


class Trial(models.Model):
    """The closed-AI pilot (step 3) or the open-model proof of concept (step 4) of a use case."""

    use_case = models.ForeignKey(UseCase, verbose_name=_("use case"), on_delete=models.CASCADE, related_name="trials")
    kind = models.CharField(_("kind"), max_length=20, choices=TrialKind.choices)
    ai_model = models.ForeignKey(
        "vendors.AIModel", verbose_name=_("AI model"), on_delete=models.PROTECT, related_name="trials"
    )
    scope = models.TextField(_("scope"), max_length=5000, blank=True)
    starts_on = models.DateField(_("starts on"))
    planned_end_on = models.DateField(_("planned end"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    results = models.TextField(_("results and qualitative feedback"), max_length=10000, blank=True)
    comparison = models.TextField(_("comparison with the closed pilot"), max_length=10000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("pilot or proof of concept")
        verbose_name_plural = _("pilots and proofs of concept")
        constraints = [
            models.UniqueConstraint(fields=["use_case", "kind"], name="usecases_trial_one_per_kind"),
            models.CheckConstraint(condition=in_choices("kind", TrialKind), name="usecases_trial_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(planned_end_on__gte=models.F("starts_on")), name="usecases_trial_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("starts_on")),
                name="usecases_trial_ended_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.ai_model}"


class BenefitRecord(models.Model):
    """What a use case returned in one month: hours saved, costs saved, revenue gained."""

    use_case = models.ForeignKey(UseCase, verbose_name=_("use case"), on_delete=models.CASCADE, related_name="benefits")
    month = models.DateField(_("month"), help_text=_("The first day of the month the figures are for."))
    hours_saved = models.DecimalField(
        _("hours saved"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(10_000_000)],
    )
    cost_saved = money_field(_("costs saved"), default=0)
    revenue_gained = money_field(_("revenue gained"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["month", "id"]
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        constraints = [
            # ``month`` is always the first day (the service sets it), so this is one row a month.
            models.UniqueConstraint(fields=["use_case", "month"], name="usecases_benefitrecord_one_per_month"),
        ]

    def __str__(self):
        return f"{self.use_case_id} {self.month:%Y-%m}"


class CostSettings(models.Model):
    """The organisation's cost and value defaults (one row), editable by governance admins.

    Defaults come from docs/REFERENCE.md: an A100-class GPU setup runs JPY 300,000-800,000 a
    month (the middle of that range here), plus the engineers who run it."""

    currency = models.CharField(_("reporting currency"), max_length=3, choices=Currency.choices, default=Currency.JPY)
    gpu_monthly_cost = money_field(_("GPU setup a month (self-hosting)"), default=550_000)
    gpu_capacity_requests = models.PositiveIntegerField(
        _("requests one GPU setup serves a month"),
        null=True,
        blank=True,
        help_text=_("Empty: one setup serves any volume. Otherwise more setups are added as volume grows."),
    )
    engineer_monthly_cost = money_field(_("an engineer a month"), default=900_000)
    operations_fte = models.DecimalField(
        _("operations staff per self-hosted use case (full-time equivalents)"),
        max_digits=5,
        decimal_places=2,
        default=0.25,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    hourly_rate = money_field(_("value of an hour saved"), default=5_000)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        verbose_name = _("cost settings")
        verbose_name_plural = _("cost settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="usecases_costsettings_single_row"),
            models.CheckConstraint(
                condition=in_choices("currency", Currency), name="usecases_costsettings_currency_valid"
            ),
        ]

    def __str__(self):
        return str(_("Cost settings"))

    @classmethod
    def load(cls):
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class ExchangeRate(models.Model):
    """How many units of the reporting currency one unit of ``currency`` buys."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, unique=True)
    rate = models.DecimalField(
        _("rate"),
        max_digits=16,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001")), MaxValueValidator(1_000_000)],
    )
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        ordering = ["currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="usecases_exchangerate_positive"),
            models.CheckConstraint(
                condition=in_choices("currency", Currency), name="usecases_exchangerate_currency_valid"
            ),
        ]

    def __str__(self):
        return f"{self.currency} {self.rate}"


from usecases.comments.models import Comment  # noqa: E402, F401 - registered with this app
