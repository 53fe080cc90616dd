"""The cap on a single sign-on session's age (SSO_MAX_SESSION_HOURS, 8 by default)."""

import time

from django.conf import settings
from django.contrib import auth

from portal.auth_sso.views import SIGNED_IN_AT


class SessionAgeMiddleware:
    """Signs out a person whose single sign-on is older than the cap, whatever they did since:
    they go through the provider again, which refuses them if they were disabled there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT)
            if signed_in_at is not None and time.time() - signed_in_at > settings.SSO_MAX_SESSION_SECONDS:
                auth.logout(request)
        return self.get_response(request)
