"""The ground floor's routes: sign-in, personal tokens, language, health, the admin and the API
reference. The root URLconf (dashboard.urls) includes them after the apps' routes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from portal import views
from portal.api.views import not_found
from portal.forms import LoginForm

urlpatterns = [
    path("health/", views.health, name="health"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin, the API reference).
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", views.ApiTokenView.as_view(), name="api-tokens"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", views.ApiRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Any other path under /api/ (a line break included) is the API's JSON 404; last, so the
    # API's own routes (included before these) answer first.
    re_path(r"^api/[\s\S]*/$", not_found),
]
