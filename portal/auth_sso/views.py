"""Sign-in pages: the login page (provider first when single sign-on is on), the start and the
callback of the OpenID Connect flow, the refusal page, and the logout that also ends the
provider's session."""

import logging
import time

import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from portal.auth_backends import local_login_open
from portal.auth_sso import provider
from portal.auth_sso.accounts import record_refusal
from portal.auth_sso.errors import ADVICE, Reason, SsoRefused
from portal.forms import LoginForm

logger = logging.getLogger(__name__)

SIGNED_IN_AT = "sso_signed_in_at"


def provider_label():
    return settings.SSO_PROVIDER_NAME or _("your organisation's account")


def refused(request, refusal):
    """The refusal page, in the reader's language, and its audit event. Never a 500."""
    record_refusal(refusal, issuer=provider.known_issuer())
    logger.warning("single sign-on refused: %s (%s)", refusal.reason.value, refusal.detail)
    context = {
        "reason": refusal.reason.label,
        "advice": ADVICE[refusal.reason],
        "provider_name": provider_label(),
        "local_login": local_login_open(),
    }
    return render(request, "portal/sso_error.html", context, status=refusal.status)


class SsoStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's sign-in page (state, nonce and PKCE in the session)."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not settings.SSO_ENABLED:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.endpoint("authorization_endpoint")
        except SsoRefused as refusal:
            return refused(request, refusal)
        return super().get(request)

    def get_extra_params(self, request):
        # The provider's page in the reader's language, where it has it.
        return {"ui_locales": request.LANGUAGE_CODE}


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: checked, then the person signed in or a refusal page."""

    def get(self, request):
        if not settings.SSO_ENABLED:
            raise Http404
        try:
            self.user = self._authenticate(request)
        except SsoRefused as refusal:
            return refused(request, refusal)
        auth.login(request, self.user)
        request.session[SIGNED_IN_AT] = time.time()
        request.session.set_expiry(settings.SSO_MAX_SESSION_SECONDS)
        return HttpResponseRedirect(self.success_url)

    def _authenticate(self, request):
        states = request.session.get("oidc_states") or {}
        state = request.GET.get("state", "")
        if request.GET.get("error"):
            if state in states:
                del states[state]
                request.session.modified = True
            error = request.GET.get("error", "")[:100]
            detail = f"{error}: {request.GET.get('error_description', '')[:200]}"
            raise SsoRefused(Reason.PROVIDER_REFUSED, detail=detail)
        code = request.GET.get("code", "")
        if not code or not state or state not in states:
            raise SsoRefused(Reason.STATE_INVALID, detail="state missing, unknown or already used")
        entry = states.pop(state)
        request.session.modified = True
        request.session.save()
        try:
            user = auth.authenticate(
                request=request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
            )
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            reason = Reason.PROVIDER_REFUSED if 400 <= status < 500 else Reason.PROVIDER_UNREACHABLE
            raise SsoRefused(reason, detail=f"the provider answered {status}") from error
        except requests.RequestException as error:
            raise SsoRefused(Reason.PROVIDER_UNREACHABLE, detail=type(error).__name__) from error
        except (ValueError, TypeError, KeyError) as error:
            # A token or userinfo answer that is not what the protocol says.
            raise SsoRefused(Reason.TOKEN_INVALID, detail=type(error).__name__) from error
        if user is None or not user.is_active:
            # Throttled (django-axes) or refused by a backend without a reason.
            raise SsoRefused(Reason.PROVIDER_REFUSED, user=user, detail="no account")
        return user


class PortalLoginView(auth_views.LoginView):
    """The login page: the provider's button first when single sign-on is on; the password form
    below it (folded away when only break-glass accounts may use it)."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sso_enabled=settings.SSO_ENABLED,
            sso_provider_name=provider_label(),
            local_login_open=local_login_open(),
        )
        return context


class PortalLogoutView(auth_views.LogoutView):
    """Ends the portal session and, after a single sign-on with a provider that offers it, the
    provider's (RP-initiated logout: the browser is sent to its end-session endpoint)."""

    def post(self, request, *args, **kwargs):
        provider_logout = provider.logout_url(request) if request.session.get(SIGNED_IN_AT) else ""
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider_logout) if provider_logout else response
