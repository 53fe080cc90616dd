from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The roof: pages and figures that look across every domain app (home page, executive
    dashboard, adoption API, the API's root routes, navigation, demo data)."""

    name = "dashboard"
    verbose_name = _("Dashboard")
