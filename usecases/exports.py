"""The inventory export: one definition for the page (/usecases/export.csv, .xlsx) and the API
(/api/v1/use-cases/export.csv, .xlsx)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exports import TableExport, each


def _row(use_case):
    return (
        use_case.reference,
        use_case.title,
        use_case.get_status_display(),
        use_case.department.localized_name,
        str(use_case.owner),
        use_case.get_category_display(),
        use_case.get_audience_display(),
        use_case.get_data_classification_display(),
        _("yes") if use_case.involves_personal_data else _("no"),
        use_case.get_effective_risk_tier_display(),
        use_case.get_intended_style_display(),
        use_case.roadmap_step,
        use_case.monthly_requests,
        use_case.avg_input_tokens,
        use_case.avg_output_tokens,
        timezone.localtime(use_case.submitted_at).isoformat() if use_case.submitted_at else "",
        timezone.localtime(use_case.updated_at).isoformat(),
    )


INVENTORY = TableExport(
    "use-cases",
    (
        gettext_lazy("Reference"),
        gettext_lazy("Title"),
        gettext_lazy("Status"),
        gettext_lazy("Department"),
        gettext_lazy("Owner"),
        gettext_lazy("Category"),
        gettext_lazy("Audience"),
        gettext_lazy("Input data classification"),
        gettext_lazy("Involves personal data"),
        # The effective tier: a reviewer's override where there is one, as the list and the API show.
        gettext_lazy("Risk tier"),
        gettext_lazy("Intended style"),
        gettext_lazy("Roadmap step"),
        gettext_lazy("Requests a month"),
        gettext_lazy("Average input tokens"),
        gettext_lazy("Average output tokens"),
        gettext_lazy("Submitted on"),
        gettext_lazy("Updated on"),
    ),
    each(_row),
)
