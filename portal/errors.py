"""The portal's error pages: 400, 403, 404 and the CSRF failure page in the portal's layout and
the reader's language, each with a way back. The 500 page is ``portal.views.server_error`` (it
renders ``portal/error.html`` without a request context, so it touches no database).

Paths under /api/ answer in JSON, as the API does everywhere else.
"""

import logging

from django.contrib.auth.mixins import PermissionRequiredMixin as DjangoPermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, pgettext

from portal.roles import ROLE_PERMISSIONS, Role

logger = logging.getLogger(__name__)


class RoleRequired(PermissionDenied):
    """A page refused because the user's role lacks a permission; ``roles`` are the role labels
    that would grant it (empty when no role does)."""

    def __init__(self, roles=()):
        self.roles = list(roles)
        super().__init__(", ".join(str(role) for role in self.roles))


def roles_granting(permissions):
    """The labels of the roles holding every one of ``permissions`` (``portal.roles.ROLE_PERMISSIONS``)."""
    wanted = set(permissions)
    return [Role(name).label for name, granted in ROLE_PERMISSIONS.items() if wanted <= set(granted)]


class PermissionRequiredMixin(DjangoPermissionRequiredMixin):
    """Django's mixin, whose refusal names the roles that may open the page (the 403 page shows them).
    A visitor who is not signed in is still sent to the sign-in page."""

    def handle_no_permission(self):
        user = self.request.user
        if user.is_authenticated and not self.raise_exception:
            permissions = self.get_permission_required()
            # A view whose own rule refused a user holding the permissions (an owner check, say)
            # would otherwise name the user's own role: say nothing about roles then.
            raise RoleRequired([] if user.has_perms(permissions) else roles_granting(permissions))
        return super().handle_no_permission()


def safe_back_url(request):
    """The page the reader came from (the Referer), when it is on this site; else None."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        allowed = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    except Exception:  # noqa: BLE001 - a disallowed Host header (the 400 page) has no safe referer
        return None
    if allowed and referer != request.build_absolute_uri():
        return referer
    return None


def _render(request, status, title, message, **extra):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(message)}, status=status)
    context = {"status": status, "title": title, "message": message, "back_url": safe_back_url(request), **extra}
    try:
        return render(request, "portal/errors/page.html", context, status=status)
    except Exception:  # noqa: BLE001 - an error page must not fail too (e.g. a middleware refused early)
        logger.warning("error page %s rendered without the layout", status, exc_info=True)
        try:
            html = loader.render_to_string("portal/error.html", {"status": status, "message": message, **context})
        except Exception:  # noqa: BLE001
            html = f"<!doctype html><title>{status}</title><p>{escape(message)}</p>"
        return HttpResponse(html, status=status)


def bad_request(request, exception=None):
    """handler400."""
    return _render(
        request,
        400,
        gettext_lazy("The request could not be understood"),
        gettext_lazy("The address or the form sent was not valid. Go back and try again."),
    )


def permission_denied(request, exception=None):
    """handler403: names the roles that may open the page when the view said so (``RoleRequired``),
    else who to ask."""
    roles = getattr(exception, "roles", None)
    if roles:
        names = pgettext("list separator", ", ").join(str(role) for role in roles)
        message = format_lazy(gettext_lazy("This page needs one of these roles: {roles}."), roles=names)
    else:
        message = gettext_lazy("Your role does not allow this page.")
    return _render(
        request,
        403,
        gettext_lazy("You do not have access to this page"),
        message,
        roles=roles or [],
        ask_admin=True,
    )


def page_not_found(request, exception=None):
    """handler404."""
    return _render(
        request,
        404,
        gettext_lazy("Page not found"),
        gettext_lazy("The page does not exist, was moved, or is not visible to you."),
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form's security check failed (usually an expired page or blocked cookies)."""
    return _render(
        request,
        403,
        gettext_lazy("The form has expired"),
        gettext_lazy(
            "The form could not be sent because its security check failed. This happens when the page "
            "was open for a long time or cookies are blocked. Reload the page and send it again."
        ),
        csrf=True,
    )
