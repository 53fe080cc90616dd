"""The audit trail export for API clients: /api/v1/audit-events/export.csv."""

from django.utils.translation import gettext_lazy

from governance.exports import AUDIT
from governance.filters import AuditEventFilterSet
from portal.api.exports import ExportView, export_views
from portal.models import AuditEvent


class AuditExportView(ExportView):
    export = AUDIT
    read_permission = "portal.view_auditevent"
    filterset_class = AuditEventFilterSet

    def get_queryset(self):
        return AuditEvent.objects.select_related("content_type")


VIEWS = export_views(
    "audit_events",
    AuditExportView,
    formats=AUDIT.formats,
    summary=gettext_lazy("Export the audit trail"),
    description=gettext_lazy("The audit events, with the audit trail's filters, one row each (the page's export)."),
)
