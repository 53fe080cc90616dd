from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = _("Vendors and AI models")

    def ready(self):
        from portal.choices import register_audit_actions
        from vendors.choices import VendorAuditAction

        register_audit_actions(VendorAuditAction)
