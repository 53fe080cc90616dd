"""The identity provider's endpoints: explicit settings first, else its discovery document
(fetched once, kept for an hour)."""

import threading
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.urls import reverse

from portal.auth_sso.errors import Reason, SsoRefused

DISCOVERY_TTL_SECONDS = 3600
_cache = {}
_lock = threading.Lock()

EXPLICIT = {
    "authorization_endpoint": "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "token_endpoint": "OIDC_OP_TOKEN_ENDPOINT",
    "userinfo_endpoint": "OIDC_OP_USER_ENDPOINT",
    "jwks_uri": "OIDC_OP_JWKS_ENDPOINT",
    "end_session_endpoint": "SSO_END_SESSION_ENDPOINT",
}


def clear_cache():
    with _lock:
        _cache.clear()


def _discovery():
    url = settings.SSO_DISCOVERY_URL
    if not url:
        return {}
    with _lock:
        cached = _cache.get(url)
        if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
            return cached[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SsoRefused(Reason.PROVIDER_UNREACHABLE, detail=type(error).__name__) from error
    if not isinstance(document, dict):
        raise SsoRefused(Reason.PROVIDER_UNREACHABLE, detail="discovery document is not an object")
    if settings.SSO_ISSUER and document.get("issuer", "").rstrip("/") != settings.SSO_ISSUER:
        # A discovery document for another issuer: its tokens would fail the issuer check anyway.
        raise SsoRefused(Reason.PROVIDER_UNREACHABLE, detail="discovery issuer differs from SSO_ISSUER")
    with _lock:
        _cache[url] = (time.monotonic(), document)
    return document


def known_issuer():
    """The issuer, without asking the provider (for the audit of a refusal)."""
    if settings.SSO_ISSUER:
        return settings.SSO_ISSUER
    with _lock:
        cached = _cache.get(settings.SSO_DISCOVERY_URL)
    return cached[1].get("issuer", "") if cached else ""


def configuration():
    """``{issuer, authorization_endpoint, token_endpoint, userinfo_endpoint, jwks_uri,
    end_session_endpoint}``; explicit settings win over the discovery document."""
    explicit = {key: getattr(settings, name, "") for key, name in EXPLICIT.items()}
    needed = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    document = {} if settings.SSO_ISSUER and all(explicit[key] for key in needed) else _discovery()
    config = {key: explicit[key] or document.get(key, "") for key in EXPLICIT}
    config["issuer"] = settings.SSO_ISSUER or document.get("issuer", "").rstrip("/")
    return config


def endpoint(key):
    value = configuration().get(key)
    if not value:
        raise SsoRefused(Reason.PROVIDER_UNREACHABLE, detail=f"the provider names no {key}")
    return value


def logout_url(request):
    """Where to send the browser after the portal's logout: the provider's end-session endpoint
    (RP-initiated logout) back to the login page, or "" when there is none."""
    if not (settings.SSO_ENABLED and settings.SSO_PROVIDER_LOGOUT):
        return ""
    try:
        end_session = configuration().get("end_session_endpoint")
    except SsoRefused:
        return ""
    if not end_session:
        return ""
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL)),
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in end_session else "?"
    return f"{end_session}{separator}{urlencode(params)}"
