import django_filters
from django.db.models import F, Q
from django.db.models.functions import NullIf
from django.utils.translation import gettext_lazy as _

from governance.education.choices import PromptStatus, PromptStyle
from governance.models import PromptTemplate
from portal.filters import LocalizedOrderingFilter
from usecases.choices import UseCaseCategory


class NullsLastOrderingFilter(LocalizedOrderingFilter):
    """Unrated prompts come last whichever way the rating is ordered (databases differ)."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        field = self.param_map[param[1:] if descending else param]
        return F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)


class PromptTemplateFilterSet(django_filters.FilterSet):
    """Search and filters of the prompt library (pages and API)."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=200)
    category = django_filters.ChoiceFilter(choices=UseCaseCategory.choices, label=_("category"))
    style = django_filters.ChoiceFilter(choices=PromptStyle.choices, label=_("suitable style"))
    status = django_filters.ChoiceFilter(choices=PromptStatus.choices, label=_("status"))
    ordering = NullsLastOrderingFilter(
        fields=(
            ("usage_count", "usage_count"),
            ("rating_average", "rating"),
            ("title", "title"),
            ("created_at", "created"),
        ),
        # Every label given, both ways, so they follow the reader's language (built once at start-up).
        field_labels={
            "usage_count": _("Least used"),
            "-usage_count": _("Most used"),
            "rating_average": _("Lowest rated"),
            "-rating": _("Best rated"),
            "title": _("Title (A to Z)"),
            "-title": _("Title (Z to A)"),
            "created_at": _("Oldest"),
            "-created": _("Newest"),
        },
        label=_("Order by"),
    )

    class Meta:
        model = PromptTemplate
        fields = ["q", "category", "style", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(body__icontains=value) | Q(notes__icontains=value))

    def __init__(self, data=None, queryset=None, **kwargs):
        # The average rating is computed in SQL so that the list can be ordered by it.
        queryset = PromptTemplate.objects.all() if queryset is None else queryset
        average = F("rating_total") * 1.0 / NullIf(F("rating_count"), 0)
        super().__init__(data, queryset.annotate(rating_average=average).select_related("owner"), **kwargs)

    @property
    def qs(self):
        queryset = super().qs
        if not self.data.get("ordering"):  # most used first
            queryset = queryset.order_by("-usage_count", "title", "pk")
        return queryset
