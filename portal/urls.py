"""The ground floor's routes: sign-in, personal tokens, language, health, the admin and the API
reference. The root URLconf (dashboard.urls) includes them after the apps' routes."""

from django.contrib import admin
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from portal import auth_password, views
from portal.api.views import not_found
from portal.auth_sso import views as sso_views

urlpatterns = [
    path("health/", views.health, name="health"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin, the API reference).
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", sso_views.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", sso_views.PortalLogoutView.as_view(), name="logout"),
    # Password reset by e-mail (local accounts; portal/auth_password.py).
    path("accounts/password-reset/", auth_password.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_password.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_password.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_password.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # Single sign-on (OpenID Connect): 404 unless SSO_ENABLED. Register <SITE_URL>/oidc/callback/.
    path("oidc/authenticate/", sso_views.SsoStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", sso_views.SsoCallbackView.as_view(), name="oidc_authentication_callback"),
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
