from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from portal import views
from portal.api.views import not_found
from portal.forms import LoginForm

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("health/", views.health, name="health"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin, the API reference).
    path("favicon.ico", views.favicon, name="favicon"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path(
        "dashboard/export/<slug:table>.<str:fmt>",
        views.DashboardExportView.as_view(),
        name="dashboard-export",
    ),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", views.ApiTokenView.as_view(), name="api-tokens"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("usecases/", include("usecases.urls")),
    path("vendors/", include("vendors.urls")),
    path("governance/", include("governance.urls")),
    path("vendor/", include("vendors.vendor_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", views.ApiRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Any other path under /api/ (a line break included) is the API's JSON 404.
    re_path(r"^api/[\s\S]*/$", not_found),
]

handler500 = "portal.views.server_error"
