from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from portal.schedule import sync_periodic_tasks


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from portal import checks  # noqa: F401  (registers the deployment checks)
        from portal.dates import bound_date_inputs

        bound_date_inputs()
        # Sent once per migrate (sender: this app), after every app's migrations.
        post_migrate.connect(sync_periodic_tasks, sender=self, dispatch_uid="portal.sync_periodic_tasks")
