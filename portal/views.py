import logging
import sys

from csp import constants as CSP
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from portal import services
from portal.celery import app
from portal.choices import UserLanguage
from portal.errors import safe_back_url
from portal.forms import ApiTokenForm, LoginForm, add_errors
from portal.models import ApiToken
from portal.throttling import address_locked

logger = logging.getLogger(__name__)


class QueryStringMixin:
    """Adds ``query_without_page`` so pagination links keep the filters."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        return context


def set_language(request):
    """Django's language switch, remembered on the user too (e-mails use it)."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in UserLanguage.values
        and request.user.language != language
    ):
        get_user_model().objects.filter(pk=request.user.pk).update(language=language)
    return response


class ApiTokenView(LoginRequiredMixin, TemplateView):
    """Your personal API tokens: create one (its key is shown once, here), see when each was
    last used, revoke."""

    template_name = "portal/tokens.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.may_use_tokens(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        tokens = ApiToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")
        return super().get_context_data(tokens=tokens, form=kwargs.pop("form", None) or ApiTokenForm(), **kwargs)

    def post(self, request, *args, **kwargs):
        if "revoke" in request.POST:
            token_id = request.POST.get("revoke", "")
            if not token_id.isdigit():
                raise Http404
            token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
            services.revoke_api_token(token, request.user)
            messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
            return redirect("api-tokens")
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, key = services.create_api_token(request.user, form.cleaned_data["name"], check=True)
            except ValidationError as error:
                add_errors(form, error)
            else:
                # The key is shown in this response only (no redirect: it must not travel in a URL or session).
                return self.render_to_response(self.get_context_data(new_token=token, new_key=key))
        return self.render_to_response(self.get_context_data(form=form), status=400)


HEALTH_BROKER_TIMEOUT = 3  # seconds: a load balancer's probe must answer quickly


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _broker_ok():
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=HEALTH_BROKER_TIMEOUT)
        return True
    except Exception:  # noqa: BLE001 - any failure to reach the broker is "not healthy"
        return False


def _pages_ok():
    """Whether pages can be rendered: the login page (the base template, its static files named
    through the storage in use, a crispy form) for an anonymous visitor, so no database is read.
    A missing or stale static manifest (collectstatic not run, or failed) fails every page."""
    probe = HttpRequest()
    probe.method, probe.path = "GET", reverse("login")
    probe.user = AnonymousUser()
    try:
        loader.render_to_string("registration/login.html", {"form": LoginForm(probe)}, request=probe)
        return True
    except Exception:  # noqa: BLE001 - whatever stops a page from rendering makes the host unhealthy
        logger.exception("Health check: the login page cannot be rendered")
        return False


@transaction.non_atomic_requests  # must answer (503) even when no transaction can be opened
def health(request):
    """For load balancers: 200 when the database and the Celery broker answer and pages can be
    rendered, else 503. No login and no details beyond ok/error per check."""
    checks = {"database": _database_ok(), "broker": _broker_ok(), "pages": _pages_ok()}
    body = {name: "ok" if healthy else "error" for name, healthy in checks.items()}
    response = JsonResponse(body, status=200 if all(checks.values()) else 503)
    response["Cache-Control"] = "no-store"
    return response


# Errors that mean "the database cannot be reached right now" (restart, failover, network):
# the request did nothing durable, so the client may simply try again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def favicon(request):
    # Resolved per request: the hashed name exists only once collectstatic has run.
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))


def server_error(request):
    """handler500: 503 with Retry-After while the database is unreachable, else a plain 500.

    Rendered without a request context, so it touches neither the database nor the session.
    """
    error = sys.exc_info()[1]
    unavailable = isinstance(error, DATABASE_UNAVAILABLE)
    status = 503 if unavailable else 500
    if unavailable:
        message = _("The service is briefly unavailable. Please try again in a few seconds.")
    else:
        message = _("Something went wrong on our side. The error has been logged.")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=status)
    else:
        try:
            context = {"status": status, "message": message, "back_url": safe_back_url(request)}
            html = loader.render_to_string("portal/error.html", context)
        except Exception:  # noqa: BLE001 - the error page must not fail too (e.g. no static manifest)
            html = f"<!doctype html><title>{status}</title><p>{escape(message)}</p>"
        response = HttpResponse(html, status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@method_decorator(csp_update({"style-src": [CSP.UNSAFE_INLINE]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file, so the page needs no inline script."""


@method_decorator(
    # Redoc injects its own <style> elements and runs its search index in a blob: worker.
    csp_update({"script-src": [CSP.NONCE], "style-src": [CSP.UNSAFE_INLINE], "worker-src": ["blob:"]}),
    name="dispatch",
)
class ApiRedocView(SpectacularRedocView):
    """Redoc from the sidecar, started by a script that carries the request's CSP nonce."""

    template_name = "portal/redoc.html"


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes lockout page: 429, in the reader's language, saying how long the lock lasts."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"cooloff_minutes": minutes, "address_locked": address_locked(request, credentials)}
    return render(request, "portal/lockout.html", context, status=429)
