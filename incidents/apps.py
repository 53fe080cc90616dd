from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("AI incidents")

    def ready(self):
        from incidents import wiring  # models load first, so not at module level

        wiring.install()
