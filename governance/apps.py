from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self):
        from governance import costs, panels, services, signals  # noqa: F401 - signals connects the receivers
        from governance.choices import EducationAuditAction, GovernanceAuditAction
        from portal.choices import register_audit_actions

        register_audit_actions(GovernanceAuditAction)
        register_audit_actions(EducationAuditAction)
        services.install()
        panels.install()
        costs.install()
