import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.filters import IdChoiceFilter, IdMultipleChoiceFilter, LocalizedOrderingFilter
from portal.models import Department, department_label
from usecases.choices import (
    STYLE_FAMILIES,
    STYLE_FAMILY,
    DataClassification,
    RiskTier,
    RoadmapStep,
    UseCaseAudience,
    UseCaseCategory,
    UseCaseStatus,
    UseCaseStyle,
)
from usecases.models import UseCase


class UseCaseFilterSet(django_filters.FilterSet):
    """Shared by the inventory page, its CSV export and the API."""

    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=200)
    status = django_filters.MultipleChoiceFilter(choices=UseCaseStatus.choices, label=_("Status"))
    category = django_filters.MultipleChoiceFilter(choices=UseCaseCategory.choices, label=_("Category"))
    department = IdMultipleChoiceFilter(queryset=Department.objects.all(), label=_("Department"))
    data_classification = django_filters.MultipleChoiceFilter(
        choices=DataClassification.choices, label=_("Classification")
    )
    roadmap_step = django_filters.MultipleChoiceFilter(choices=RoadmapStep.choices, label=_("Roadmap step"))
    audience = django_filters.ChoiceFilter(choices=UseCaseAudience.choices, label=_("Audience"))
    intended_style = django_filters.ChoiceFilter(choices=UseCaseStyle.choices, label=_("Intended style"))
    owner = IdChoiceFilter(queryset=get_user_model().objects.all(), label=_("Owner"))
    # The dashboard's figures link here with their own filters.
    style = django_filters.ChoiceFilter(choices=STYLE_FAMILIES, label=_("Style"), method="filter_style")
    risk_tier = django_filters.MultipleChoiceFilter(
        choices=RiskTier.choices, label=_("Risk tier"), method="filter_risk_tier"
    )
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("Registered from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("Registered until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ordering = LocalizedOrderingFilter(
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("status", "status"),
            ("roadmap_step", "roadmap_step"),
            ("updated_at", "updated_at"),
            ("created_at", "created_at"),
        ),
        field_labels={
            "reference": _("Reference"),
            "title": _("Title"),
            "status": _("Status"),
            "roadmap_step": _("Roadmap step"),
            "updated_at": _("Updated"),
            "created_at": _("Created"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = UseCase
        fields = ["q", "status", "category", "department", "data_classification", "roadmap_step", "owner"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        # Offer only owners of use cases this user can see, not every account.
        if request is not None:
            visible = UseCase.objects.visible_to(request.user)
            self.filters["owner"].queryset = (
                get_user_model().objects.filter(use_cases__in=visible).distinct().order_by("username")
            )
        self.form.fields["department"].label_from_instance = department_label

    def filter_style(self, queryset, name, value):
        return queryset.filter(intended_style__in=[style for style, family in STYLE_FAMILY.items() if family == value])

    def filter_risk_tier(self, queryset, name, values):
        """The effective tier: a reviewer's override, else the derived one."""
        return queryset.filter(Q(risk_tier_override__in=values) | Q(risk_tier_override="", risk_tier__in=values))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value) | Q(summary__icontains=value))
