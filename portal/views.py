import logging
import sys

from csp import constants as CSP
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
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
from django.utils.translation import gettext_lazy
from django.views import View
from django.views import i18n as i18n_views
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from governance.education.services import pending_acknowledgements
from portal import adoption, services
from portal.choices import UserLanguage
from portal.exports import TableExport
from portal.forms import ApiTokenForm, add_errors
from portal.models import ApiToken
from portal.throttling import address_locked
from usecases import roadmap
from usecases.choices import UseCaseStatus
from usecases.models import UseCase

logger = logging.getLogger(__name__)


class QueryStringMixin:
    """Adds ``query_without_page`` so pagination links keep the filters."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        return context


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        visible = UseCase.objects.visible_to(user)
        counts = dict(visible.order_by().values_list("status").annotate(n=Count("id")))
        context["status_counts"] = [
            (status, label, counts.get(status, 0)) for status, label in UseCaseStatus.choices if counts.get(status)
        ]
        context["total"] = sum(counts.values())
        context["my_use_cases"] = visible.filter(owner=user).with_related()[:10]
        context["pending_acknowledgements"] = list(pending_acknowledgements(user)[:10])
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


def _without(query, name):
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


class DashboardView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The adoption figures of the API, with charts; every figure links to the inventory behind it."""

    template_name = "portal/dashboard.html"
    permission_required = "usecases.view_all_usecases"

    def get_context_data(self, **kwargs):
        request = self.request
        visible = UseCase.objects.visible_to(request.user)
        filterset = adoption.AdoptionFilterSet(request.GET, queryset=visible)
        valid = filterset.is_valid()
        use_cases = filterset.qs if valid else visible.none()
        # The inventory understands the same filters, so the figures' links keep them.
        query = request.GET.copy()
        for name in list(query):
            values = [value for value in query.getlist(name) if value]
            if name not in filterset.filters or not values:
                query.pop(name)
            else:
                query.setlist(name, values)
        summary = adoption.summary(use_cases)
        costs = adoption.cost_value(use_cases)
        trend = filterset.trend() if valid else []
        charts = {
            "status": [[row["label"], row["count"]] for row in summary["by_status"] if row["count"]],
            "step": [[row["label"], row["count"]] for row in summary["by_roadmap_step"]],
            "style": [[row["label"], row["count"]] for row in summary["by_style"]],
            "departments": [
                [row["department_name"], float(row["closed"]), float(row["self_hosted"])]
                for row in costs["by_department"]
            ],
            "trend": [
                [row["month"].strftime("%Y-%m"), row["created"], row["approved"], row["in_production"], row["retired"]]
                for row in trend
            ],
        }
        return super().get_context_data(
            filterset=filterset,
            base_query=query.urlencode(),
            # A step's figure counts use cases in progress; its link asks the inventory for the same.
            in_progress_query="&".join(f"status={status}" for status in roadmap.IN_PROGRESS_STATES),
            definitions=adoption.DEFINITIONS,
            definition_list=[(DEFINITION_TERMS[key], text) for key, text in adoption.DEFINITIONS.items()],
            # A department's (or category's) figure replaces that filter instead of adding to it.
            query_without={name: _without(query, name) for name in ("department", "category")},
            summary=summary,
            approvals=adoption.approvals(use_cases),
            vendors=adoption.vendors(),
            costs=costs,
            education=filterset.education() if valid else adoption.education_figures(),
            trend=trend,
            charts=charts,
            export_tables=EXPORT_LABELS,
            **kwargs,
        )


# The name each definition goes by on the page (the list under "How these figures are computed").
DEFINITION_TERMS = {
    "total": gettext_lazy("Use cases"),
    "by_status": gettext_lazy("By status"),
    "by_roadmap_step": gettext_lazy("By roadmap step"),
    "by_category": gettext_lazy("By category"),
    "by_department": gettext_lazy("By department"),
    "by_style": gettext_lazy("By style"),
    "by_risk_tier": gettext_lazy("By risk tier"),
    "pending": gettext_lazy("Waiting for a decision"),
    "ageing": gettext_lazy("Waiting time of the stages"),
    "median_days_to_decision": gettext_lazy("Median days from submission to decision"),
    "spend": gettext_lazy("Estimated spend a month"),
    "benefit": gettext_lazy("Benefit recorded"),
    "cost_over_months": gettext_lazy("Cost over the period"),
    "roi_percent": gettext_lazy("ROI over the period"),
    "roi_reason": gettext_lazy("No ROI"),
    "without_benefit": gettext_lazy("Without a recorded benefit"),
    "kpis": gettext_lazy("KPIs on target"),
    "vendors": gettext_lazy("Vendors"),
    "trend": gettext_lazy("Trend per month"),
    "education": gettext_lazy("Rules and education by department"),
}


def _count_rows(key):
    return lambda figures: ([row["label"], row["count"]] for row in figures["summary"][key])


# table -> (header, figures needed, rows); each dashboard table, as the page shows it.
EXPORT_TABLES = {
    "status": ((gettext_lazy("Status"), gettext_lazy("Use cases")), "summary", _count_rows("by_status")),
    "roadmap-step": (
        (gettext_lazy("Roadmap step"), gettext_lazy("Use cases")),
        "summary",
        _count_rows("by_roadmap_step"),
    ),
    "category": ((gettext_lazy("Category"), gettext_lazy("Use cases")), "summary", _count_rows("by_category")),
    "department": ((gettext_lazy("Department"), gettext_lazy("Use cases")), "summary", _count_rows("by_department")),
    "style": ((gettext_lazy("Style"), gettext_lazy("Use cases")), "summary", _count_rows("by_style")),
    "risk-tier": ((gettext_lazy("Risk tier"), gettext_lazy("Use cases")), "summary", _count_rows("by_risk_tier")),
    "approvals": (
        (gettext_lazy("Review group"), gettext_lazy("Waiting"), gettext_lazy("Overdue")),
        "approvals",
        lambda f: ([row["group"], row["pending"], row["overdue"]] for row in f["approvals"]["by_group"]),
    ),
    "vendors": (
        (gettext_lazy("Status"), gettext_lazy("Vendors")),
        "vendors",
        lambda f: ([row["label"], row["count"]] for row in f["vendors"]["by_status"]),
    ),
    "cost-value": (
        (
            gettext_lazy("Department"),
            gettext_lazy("Closed AI"),
            gettext_lazy("Self-hosted"),
            gettext_lazy("Other"),
            gettext_lazy("Total a month"),
            gettext_lazy("Benefit recorded"),
            gettext_lazy("Cost over the period"),
            gettext_lazy("ROI (%)"),
        ),
        "costs",
        lambda f: (
            [
                row["department_name"],
                row["closed"],
                row["self_hosted"],
                row["other"],
                row["monthly_total"],
                row["benefit"],
                row["cost_over_months"],
                row["roi_percent"],
            ]
            for row in f["costs"]["by_department"]
        ),
    ),
    "education": (
        (
            gettext_lazy("Policy or course"),
            gettext_lazy("Department"),
            gettext_lazy("People"),
            gettext_lazy("Done"),
            gettext_lazy("Rate (%)"),
        ),
        "education",
        lambda f: (
            [item["title"], row["department"], row["total"], row["done"], row["rate"]]
            for item in [*f["education"]["policies"], *f["education"]["courses"]]
            for row in item["by_department"]
        ),
    ),
    "trend": (
        (
            gettext_lazy("Month"),
            gettext_lazy("Created"),
            gettext_lazy("Approved"),
            gettext_lazy("In production"),
            gettext_lazy("Retired"),
        ),
        "trend",
        lambda f: (
            [row["month"].strftime("%Y-%m"), row["created"], row["approved"], row["in_production"], row["retired"]]
            for row in f["trend"]
        ),
    ),
}


EXPORT_LABELS = [
    ("status", gettext_lazy("By status")),
    ("roadmap-step", gettext_lazy("By roadmap step")),
    ("category", gettext_lazy("By category")),
    ("department", gettext_lazy("By department")),
    ("style", gettext_lazy("By style")),
    ("risk-tier", gettext_lazy("By risk tier")),
    ("approvals", gettext_lazy("Approvals")),
    ("vendors", gettext_lazy("Vendors")),
    ("cost-value", gettext_lazy("Spend and return")),
    ("education", gettext_lazy("Rules and education")),
    ("trend", gettext_lazy("Trend per month")),
]


class DashboardExportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """One dashboard table, with the dashboard's filters, as CSV or Excel."""

    permission_required = "usecases.view_all_usecases"

    def get(self, request, table, fmt):
        if table not in EXPORT_TABLES:
            raise Http404
        filterset = adoption.AdoptionFilterSet(request.GET, queryset=UseCase.objects.visible_to(request.user))
        if not filterset.is_valid():
            return HttpResponseBadRequest("; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()))
        return dashboard_export(table).response(filterset, fmt)


def dashboard_export(table):
    """One dashboard table as a TableExport: its rows are figures of a valid AdoptionFilterSet.
    Served by the dashboard's links and by ``/api/v1/adoption/export/<table>.<fmt>``."""
    header, needed, rows = EXPORT_TABLES[table]

    def figures(filterset):
        compute = {
            "summary": lambda: adoption.summary(filterset.qs),
            "approvals": lambda: adoption.approvals(filterset.qs),
            "vendors": adoption.vendors,
            "costs": lambda: adoption.cost_value(filterset.qs),
            "education": filterset.education,
            "trend": filterset.trend,
        }
        return rows({needed: compute[needed]()})

    return TableExport(f"adoption-{table}", header, figures)


HEALTH_BROKER_TIMEOUT = 3  # seconds: a load balancer's probe must answer quickly


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _broker_ok():
    from portal.celery import app

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
    from django.contrib.auth.models import AnonymousUser

    from portal.forms import LoginForm

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
            html = loader.render_to_string("portal/error.html", {"status": status, "message": message})
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
