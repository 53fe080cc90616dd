import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from governance.choices import ReminderKind, ReminderStatus, ReminderStep
from governance.models import Reminder
from portal.choices import AUDIT_ACTION_LABELS
from portal.models import AuditEvent

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
