from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsecasesConfig(AppConfig):
    name = "usecases"
    verbose_name = _("Use cases")

    def ready(self):
        from usecases import wiring  # models load first, so not at module level

        wiring.install()
