"""The dashboard's tables as API operations (``/api/v1/adoption/export/<table>.<fmt>``): the
files of the dashboard's download links, served by ``portal.api.exports.ExportView``."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound

from dashboard.api.adoption import FILTERS, AdoptionView
from dashboard.views import EXPORT_TABLES, dashboard_export
from portal.api.exports import ExportView, export_views


class DashboardExportView(ExportView):
    """One dashboard table (``table`` in the path) with the dashboard's filters."""

    read_permission = "usecases.view_all_usecases"  # as the dashboard: executives, reviewers, admins
    filter_backends = []  # the adoption filters are documented explicitly (dashboard.api.adoption.FILTERS)

    def get_export(self):
        if self.kwargs["table"] not in EXPORT_TABLES:
            raise NotFound
        return dashboard_export(self.kwargs["table"])

    def source(self, request):
        return AdoptionView.use_cases(self, request)


def dashboard_views():
    table = OpenApiParameter(
        "table",
        str,
        OpenApiParameter.PATH,
        enum=list(EXPORT_TABLES),
        description=gettext_lazy("The dashboard table."),
    )
    return export_views(
        "adoption_table",
        DashboardExportView,
        formats=("csv", "xlsx"),
        summary=gettext_lazy("Export a dashboard table"),
        description=gettext_lazy(
            "One table of the executive dashboard, as the dashboard shows it, with its filters "
            "(the dashboard's download links)."
        ),
        parameters=[table, *FILTERS],
    )
