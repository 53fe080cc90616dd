from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsecasesConfig(AppConfig):
    name = "usecases"
    verbose_name = _("Use cases")

    def ready(self):
        from portal.choices import register_audit_actions
        from usecases import signals  # noqa: F401 - connects the receivers
        from usecases.choices import RoadmapAuditAction

        register_audit_actions(RoadmapAuditAction)
