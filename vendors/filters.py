import django_filters
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from portal.choices import DataClassification
from portal.filters import IdChoiceFilter, LocalizedOrderingFilter
from vendors.choices import AIModelStatus, Openness, VendorKind, VendorStatus
from vendors.models import AIModel, Licence, Vendor


def country_choices():
    """Country names in the reader's language, sorted in it: read at each render, not once at import."""
    return list(countries)


class VendorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains", max_length=200)
    kind = django_filters.MultipleChoiceFilter(choices=VendorKind.choices, label=_("Kind"))
    status = django_filters.MultipleChoiceFilter(choices=VendorStatus.choices, label=_("Status"))
    headquarters_country = django_filters.ChoiceFilter(choices=country_choices, label=_("Country"))
    approved_level = django_filters.MultipleChoiceFilter(choices=DataClassification.choices, label=_("Approved up to"))
    reassessment_due_within = django_filters.NumberFilter(
        label=_("Reassessment due within (days)"), method="filter_due", min_value=0, max_value=3650
    )
    ordering = LocalizedOrderingFilter(
        fields=(("name", "name"), ("status", "status"), ("next_reassessment_on", "next_reassessment_on")),
        field_labels={"name": _("Name"), "status": _("Status"), "next_reassessment_on": _("Next reassessment")},
        label=_("Sort by"),
    )

    class Meta:
        model = Vendor
        fields = ["q", "kind", "status", "headquarters_country", "approved_level"]

    def filter_due(self, queryset, name, value):
        return queryset.reassessment_due(int(value))


class AIModelFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains", max_length=200)
    publisher = IdChoiceFilter(queryset=Vendor.objects.all(), label=_("Publisher"))
    openness = django_filters.ChoiceFilter(choices=Openness.choices, label=_("Openness"))
    status = django_filters.MultipleChoiceFilter(choices=AIModelStatus.choices, label=_("Status"))
    licence = IdChoiceFilter(queryset=Licence.objects.all(), label=_("Licence"))

    class Meta:
        model = AIModel
        fields = ["q", "publisher", "openness", "status", "licence"]
