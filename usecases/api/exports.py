"""The inventory export for API clients: /api/v1/use-cases/export.csv and .xlsx."""

from django.utils.translation import gettext_lazy

from portal.api.exports import ExportView, export_views
from usecases.exports import INVENTORY
from usecases.filters import UseCaseFilterSet
from usecases.models import UseCase


class UseCaseExportView(ExportView):
    export = INVENTORY
    read_permission = "usecases.view_usecase"
    filterset_class = UseCaseFilterSet

    def get_queryset(self):
        return UseCase.objects.visible_to(self.request.user).with_related()


VIEWS = export_views(
    "use_cases",
    UseCaseExportView,
    formats=INVENTORY.formats,
    summary=gettext_lazy("Export the use-case inventory"),
    description=gettext_lazy(
        "The use cases visible to the user, with the inventory's filters, one row each (the page's "
        "export): reference, title, status, department, owner, category, audience, data "
        "classification, personal data, risk tier (a reviewer's override where there is one), "
        "intended style, roadmap step, volume, submitted and updated times."
    ),
)
