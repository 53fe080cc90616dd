import django_filters
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from governance.choices import ReminderKind, ReminderStatus, ReminderStep, StageStatus
from governance.models import ApprovalStage, Reminder
from portal.choices import AUDIT_ACTION_LABELS
from portal.filters import IdChoiceFilter, LocalizedOrderingFilter
from portal.models import AuditEvent, Department, department_label
from usecases.choices import RiskTier

AUDITED_MODELS = (
    ("usecases", "usecase"),
    ("vendors", "vendor"),
    ("vendors", "assessment"),
    ("vendors", "aimodel"),
    ("vendors", "licence"),
    ("vendors", "questionnairetemplate"),
    ("governance", "classificationrule"),
    ("governance", "classificationlevel"),
    ("governance", "stagedefinition"),
    ("governance", "risktiersetting"),
)


def _object_types():
    types = ContentType.objects.filter(
        app_label__in={app for app, _model in AUDITED_MODELS}, model__in={model for _app, model in AUDITED_MODELS}
    )
    return [
        (f"{ct.app_label}.{ct.model}", str(ct.model_class()._meta.verbose_name)) for ct in types if ct.model_class()
    ]


@extend_schema_field(OpenApiTypes.STR)
class ObjectTypeFilter(django_filters.ChoiceFilter):
    """``app_label.model`` of an audited model."""


class AuditEventFilterSet(django_filters.FilterSet):
    object_type = ObjectTypeFilter(label=_("Object type"), method="filter_object_type")
    object_id = django_filters.CharFilter(label=_("Object id"), max_length=40)
    object = django_filters.CharFilter(
        label=_("Object"), field_name="object_repr", lookup_expr="icontains", max_length=100
    )
    action = django_filters.ChoiceFilter(label=_("Action"))
    actor = django_filters.CharFilter(label=_("Who"), field_name="actor_name", lookup_expr="icontains", max_length=100)
    since = django_filters.DateFilter(
        label=pgettext_lazy("date range", "From"), field_name="created_at", lookup_expr="date__gte"
    )
    until = django_filters.DateFilter(label=_("Until"), field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = AuditEvent
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["object_type"].extra["choices"] = _object_types()
        self.filters["action"].extra["choices"] = sorted(
            ((key, str(label)) for key, label in AUDIT_ACTION_LABELS.items()), key=lambda item: item[1]
        )

    def filter_object_type(self, queryset, name, value):
        app_label, _dot, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class ReminderFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReminderStatus.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ReminderKind.choices)
    step = django_filters.ChoiceFilter(label=_("Step"), choices=ReminderStep.choices)
    recipient = django_filters.CharFilter(label=_("Recipient"), method="filter_recipient", max_length=100)
    about = django_filters.CharFilter(
        label=_("About"), field_name="object_repr", lookup_expr="icontains", max_length=100
    )
    due_from = django_filters.DateFilter(label=_("Due from"), field_name="due_on", lookup_expr="gte")
    due_until = django_filters.DateFilter(label=_("Due until"), field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Reminder
        fields = []

    def filter_recipient(self, queryset, name, value):
        return queryset.filter(
            Q(recipient__username__icontains=value) | Q(recipient__email__icontains=value) | Q(email__icontains=value)
        )


class Assigned:
    ME = "me"
    UNASSIGNED = "unassigned"
    ANYONE = "anyone"
    CHOICES = ((ME, _("Assigned to me")), (UNASSIGNED, _("Unassigned")), (ANYONE, _("Anyone")))


def _review_group_label(group):
    """A review group by the stages it decides, not by its internal name."""
    return " / ".join(str(definition) for definition in group.stage_definitions.all()) or group.name


class StageQueueFilterSet(django_filters.FilterSet):
    """The reviewer's queue (page and API): search, filters and sorting of approval stages."""

    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=200)
    group = IdChoiceFilter(
        queryset=Group.objects.filter(stage_definitions__isnull=False).distinct().prefetch_related("stage_definitions"),
        label=_("Group"),
    )
    risk_tier = django_filters.ChoiceFilter(choices=RiskTier.choices, label=_("Risk tier"), method="filter_risk_tier")
    department = IdChoiceFilter(
        queryset=Department.objects.all(), field_name="use_case__department", label=_("Department")
    )
    assigned = django_filters.ChoiceFilter(choices=Assigned.CHOICES, label=_("Assigned"), method="filter_assigned")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    ordering = LocalizedOrderingFilter(
        fields=(
            ("due_on", "due"),
            ("use_case__submitted_at", "submitted"),
            ("use_case__reference", "reference"),
            ("use_case__owner__username", "requester"),
            ("use_case__department__code", "department"),
            ("use_case__risk_tier", "risk_tier"),
        ),
        field_labels={
            "due_on": _("SLA due"),
            "use_case__submitted_at": _("Submitted on"),
            "use_case__reference": _("Reference"),
            "use_case__owner__username": _("Requester"),
            "use_case__department__code": _("Department"),
            "use_case__risk_tier": _("Risk tier"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = ApprovalStage
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["group"].label_from_instance = _review_group_label
        self.form.fields["department"].label_from_instance = department_label

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(use_case__reference__icontains=value)
            | Q(use_case__title__icontains=value)
            | Q(use_case__owner__username__icontains=value)
            | Q(use_case__owner__first_name__icontains=value)
            | Q(use_case__owner__last_name__icontains=value)
        )

    def filter_risk_tier(self, queryset, name, value):
        return queryset.filter(
            Q(use_case__risk_tier_override=value) | Q(use_case__risk_tier_override="", use_case__risk_tier=value)
        )

    def filter_assigned(self, queryset, name, value):
        if value == Assigned.ME:
            user = getattr(self.request, "user", None)
            return queryset.filter(assigned_to=user) if user is not None and user.is_authenticated else queryset.none()
        if value == Assigned.UNASSIGNED:
            return queryset.filter(assigned_to__isnull=True)
        return queryset

    def filter_overdue(self, queryset, name, value):
        overdue = {"status": StageStatus.PENDING, "due_on__lt": timezone.localdate()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)
