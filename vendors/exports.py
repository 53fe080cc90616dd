"""The vendor registry export: one definition for the page (/vendors/export.csv, .xlsx) and the
API (/api/v1/vendors/export.csv, .xlsx)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exports import TableExport, each


def _row(vendor):
    return (
        vendor.name,
        vendor.get_kind_display(),
        vendor.get_status_display(),
        vendor.get_approved_level_display(),
        vendor.get_risk_rating_display(),
        str(vendor.headquarters_country.name) if vendor.headquarters_country else "",
        ", ".join(str(country.name) for country in vendor.processing_regions),
        vendor.data_retention_days,
        _("yes") if vendor.zero_retention_available else _("no"),
        vendor.get_training_use_display(),
        vendor.next_reassessment_on.isoformat() if vendor.next_reassessment_on else "",
        ", ".join(str(model) for model in vendor.ai_models.all()),
    )


VENDORS = TableExport(
    "vendors",
    (
        gettext_lazy("Name"),
        gettext_lazy("Kind"),
        gettext_lazy("Status"),
        gettext_lazy("Approved up to"),
        gettext_lazy("Risk rating"),
        gettext_lazy("Headquarters"),
        gettext_lazy("Data processed in"),
        gettext_lazy("Data retention (days)"),
        gettext_lazy("Zero retention available"),
        gettext_lazy("Training on our data"),
        gettext_lazy("Next reassessment"),
        gettext_lazy("AI models"),
    ),
    each(_row, chunk_size=200),
)


def export_queryset(queryset):
    """The vendors an export reads: ``ai_models`` fetched with them, by name unless the filter orders."""
    return queryset.prefetch_related("ai_models").order_by("name")
