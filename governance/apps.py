from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self):
        # signals connects the receivers; tasks registers the Celery tasks that services and the
        # reminders' outbox enqueue by name (so eager mode runs them in-process).
        from governance import costs, panels, services, signals, tasks  # noqa: F401
        from governance.choices import GovernanceAuditAction
        from governance.education.choices import EducationAuditAction
        from portal.choices import register_audit_actions

        register_audit_actions(GovernanceAuditAction)
        register_audit_actions(EducationAuditAction)
        services.install()
        panels.install()
        costs.install()
