"""The AI incident register: incidents, their actions, evidence, deadline rules and deadlines."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import (
    SERIOUS_SEVERITIES,
    ActionKind,
    Category,
    Channel,
    Clock,
    ClockStart,
    IncidentState,
    Severity,
)
from incidents.querysets import DeadlineQuerySet, IncidentQuerySet
from portal.constraints import in_choices
from portal.validators import LABEL_VALIDATORS, validate_visible_text

MAX_AFFECTED = 2_000_000_000


class Incident(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200, validators=LABEL_VALIDATORS)
    description = models.TextField(_("what happened"), max_length=5000, validators=[validate_visible_text])
    noticed_at = models.DateTimeField(_("noticed on"))
    channel = models.CharField(_("where"), max_length=20, choices=Channel.choices, blank=True)
    use_case = models.ForeignKey(
        "usecases.UseCase",
        verbose_name=_("use case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    ai_model = models.ForeignKey(
        "vendors.AIModel",
        verbose_name=_("AI model"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    prompt_template = models.ForeignKey(
        "governance.PromptTemplate",
        verbose_name=_("prompt template"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    affected_people = models.PositiveIntegerField(
        _("people who may be affected (estimate)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_AFFECTED)],
    )
    personal_data = models.BooleanField(_("personal data involved"), default=False)
    sensitive_data = models.BooleanField(
        _("sensitive personal data involved"),
        default=False,
        help_text=_("Health, beliefs, criminal records and the like, or data that may cause financial harm."),
    )
    unauthorised_access = models.BooleanField(_("caused by unauthorised access or a malicious act"), default=False)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=IncidentState.choices, default=IncidentState.REPORTED, editable=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_incidents",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.PROTECT,
        related_name="reported_incidents",
        editable=False,
    )
    department = models.ForeignKey(
        "portal.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    reported_at = models.DateTimeField(_("reported on"), default=timezone.now, editable=False)
    triaged_at = models.DateTimeField(_("triaged on"), null=True, blank=True, editable=False)
    contained_at = models.DateTimeField(_("contained on"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved on"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True, editable=False)
    resolution = models.TextField(_("resolution"), max_length=5000, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.CheckConstraint(condition=in_choices("state", IncidentState), name="incidents_incident_state_valid"),
            models.CheckConstraint(
                condition=in_choices("severity", Severity, allow_blank=True), name="incidents_incident_severity_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("category", Category, allow_blank=True), name="incidents_incident_category_valid"
            ),
            models.CheckConstraint(
                condition=in_choices("channel", Channel, allow_blank=True), name="incidents_incident_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state=IncidentState.REPORTED)
                | models.Q(state=IncidentState.REJECTED)
                | models.Q(triaged_at__isnull=False),
                name="incidents_incident_triaged_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "reported_at"], name="incidents_state_idx")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("incidents:detail", kwargs={"reference": self.reference})

    @property
    def is_serious(self):
        return self.severity in SERIOUS_SEVERITIES


class IncidentAction(models.Model):
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("kind"), max_length=20, choices=ActionKind.choices)
    description = models.CharField(_("what to do"), max_length=500, validators=LABEL_VALIDATORS)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="incident_actions"
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(_("done on"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("incident action")
        verbose_name_plural = _("incident actions")
        constraints = [
            models.CheckConstraint(condition=in_choices("kind", ActionKind), name="incidents_action_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | models.Q(done_by__isnull=False),
                name="incidents_action_done_has_who",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description}"


def incident_evidence_path(instance, filename):
    # Random names: an uploaded name never decides where a file lands or what it overwrites.
    return f"incidents/{instance.incident.reference}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class IncidentEvidence(models.Model):
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=incident_evidence_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded on"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("incident evidence")
        verbose_name_plural = _("incident evidence")

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("incidents:evidence", kwargs={"pk": self.pk})


class DeadlineRule(models.Model):
    """Facts -> a clock. Every condition left empty matches any incident; all the others must hold.

    Several rules may start the same clock (e.g. "more than 1,000 people" and "sensitive
    data" both start the APPI preliminary report): the incident gets the clock once, with
    the earliest due date of the rules that match."""

    name = models.CharField(_("name"), max_length=200, validators=LABEL_VALIDATORS)
    clock = models.CharField(_("clock"), max_length=30, choices=Clock.choices)
    is_active = models.BooleanField(_("active"), default=True)
    min_affected_people = models.PositiveIntegerField(
        _("more people affected than"), null=True, blank=True, validators=[MaxValueValidator(MAX_AFFECTED)]
    )
    requires_personal_data = models.BooleanField(_("personal data involved"), null=True, blank=True)
    requires_sensitive_data = models.BooleanField(_("sensitive data involved"), null=True, blank=True)
    requires_unauthorised_access = models.BooleanField(
        _("caused by unauthorised access or a malicious act"), null=True, blank=True
    )
    requires_serious = models.BooleanField(_("serious incident (high or critical)"), null=True, blank=True)
    requires_high_risk_use_case = models.BooleanField(_("linked use case is high risk"), null=True, blank=True)
    requires_vendor = models.BooleanField(
        _("vendor involved (a linked vendor or the vendor category)"), null=True, blank=True
    )
    due_hours = models.PositiveIntegerField(
        _("due after (hours)"), validators=[MaxValueValidator(24 * 366)], help_text=_("24 = one day, 720 = 30 days.")
    )
    starts_from = models.CharField(_("counted from"), max_length=20, choices=ClockStart.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        constraints = [
            models.CheckConstraint(condition=in_choices("clock", Clock), name="incidents_rule_clock_valid"),
            models.CheckConstraint(
                condition=in_choices("starts_from", ClockStart), name="incidents_rule_starts_from_valid"
            ),
        ]

    def __str__(self):
        return self.name


class Deadline(models.Model):
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="deadlines"
    )
    rule = models.ForeignKey(
        DeadlineRule, verbose_name=_("rule"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clock = models.CharField(_("clock"), max_length=30, choices=Clock.choices)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done on"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(fields=["incident", "clock"], name="incidents_deadline_one_per_clock"),
            models.CheckConstraint(condition=in_choices("clock", Clock), name="incidents_deadline_clock_valid"),
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | models.Q(done_by__isnull=False),
                name="incidents_deadline_done_has_who",
            ),
        ]

    def __str__(self):
        return f"{self.incident.reference}: {self.get_clock_display()}"

    @property
    def is_overdue(self):
        return self.done_at is None and self.due_at < timezone.now()


class Suspension(models.Model):
    """A use case suspended because of an incident, and the state it returns to when lifted."""

    use_case = models.ForeignKey(
        "usecases.UseCase", verbose_name=_("use case"), on_delete=models.CASCADE, related_name="suspensions"
    )
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="suspensions"
    )
    previous_status = models.CharField(_("state before"), max_length=20, editable=False)
    suspended_at = models.DateTimeField(_("suspended on"), default=timezone.now, editable=False)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("suspended by"), on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted on"), null=True, blank=True, editable=False)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-suspended_at", "-id"]
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        constraints = [
            models.UniqueConstraint(
                fields=["use_case"], condition=models.Q(lifted_at__isnull=True), name="incidents_one_open_suspension"
            ),
        ]

    def __str__(self):
        return f"{self.use_case_id} ({self.previous_status})"
