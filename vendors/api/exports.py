"""The vendor registry export for API clients: /api/v1/vendors/export.csv and .xlsx."""

from django.utils.translation import gettext_lazy

from portal.api.exports import ExportView, export_views
from vendors.exports import VENDORS, export_queryset
from vendors.filters import VendorFilterSet
from vendors.models import Vendor


class VendorExportView(ExportView):
    export = VENDORS
    read_permission = "vendors.view_vendor"
    filterset_class = VendorFilterSet

    def get_queryset(self):
        return export_queryset(Vendor.objects.visible_to(self.request.user))


VIEWS = export_views(
    "vendors",
    VendorExportView,
    formats=VENDORS.formats,
    summary=gettext_lazy("Export the vendor registry"),
    description=gettext_lazy("The vendors, with the registry's filters, one row each (the page's export)."),
)
