"""The root URLconf: the roof's pages, every app's routes, the API, then the ground floor's."""

from django.urls import include, path

from dashboard import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path(
        "dashboard/export/<slug:table>.<str:fmt>",
        views.DashboardExportView.as_view(),
        name="dashboard-export",
    ),
    path("usecases/", include("usecases.urls")),
    path("vendors/", include("vendors.urls")),
    path("governance/", include("governance.urls")),
    path("imports/", include("imports.urls")),
    path("incidents/", include("incidents.urls")),
    path("vendor/", include("vendors.vendor_urls")),
    path("api/v1/", include("dashboard.api.urls")),
    path("", include("portal.urls")),
]

# Error pages in the portal's layout (portal/errors.py); the 500 page renders without the database.
handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.views.server_error"
