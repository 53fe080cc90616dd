"""The incident register as CSV/XLSX, for those who may read the incidents (page and API)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import Category, IncidentState, Severity
from portal.exports import TableExport, each

HEADER = (
    _("Reference"),
    _("Title"),
    _("State"),
    _("Severity"),
    _("Category"),
    _("Department"),
    _("Use case"),
    _("Vendor"),
    _("Noticed on"),
    _("Reported on"),
    _("Contained on"),
    _("Resolved on"),
    _("People who may be affected"),
    _("Personal data"),
    _("Sensitive data"),
)


def _time(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _row(incident):
    states, severities, categories = dict(IncidentState.choices), dict(Severity.choices), dict(Category.choices)
    return (
        incident.reference,
        incident.title,
        str(states.get(incident.state, incident.state)),
        str(severities.get(incident.severity, "")),
        str(categories.get(incident.category, "")),
        incident.department.localized_name if incident.department else "",
        incident.use_case.reference if incident.use_case else "",
        incident.vendor.name if incident.vendor else "",
        _time(incident.noticed_at),
        _time(incident.reported_at),
        _time(incident.contained_at),
        _time(incident.resolved_at),
        incident.affected_people if incident.affected_people is not None else "",
        incident.personal_data,
        incident.sensitive_data,
    )


REGISTER = TableExport("incidents", HEADER, each(_row))


def export_queryset(queryset):
    return queryset.select_related("department", "use_case", "vendor").order_by("-reported_at", "-id")
