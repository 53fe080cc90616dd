"""The roof pages: the home page and the executive dashboard, with its tables as files.
They read every domain app, so they live above all of them."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.http import Http404, HttpResponseBadRequest
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from dashboard import adoption, worklist
from governance.education.services import pending_acknowledgements
from incidents import figures as incident_figures
from portal.errors import PermissionRequiredMixin
from portal.exports import TableExport
from portal.roles import Role, has_role
from usecases import roadmap
from usecases.choices import UseCaseStatus
from usecases.models import UseCase


class HomeView(LoginRequiredMixin, TemplateView):
    """My tasks first (the same builder as the API and the navigation's count), then what
    each of my roles needs: the executive's headline figures, my use cases."""

    template_name = "dashboard/home.html"
    MY_USE_CASES_SHOWN = 10

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        visible = UseCase.objects.visible_to(user)
        counts = dict(visible.order_by().values_list("status").annotate(n=Count("id")))
        context["status_counts"] = [
            (status, label, counts.get(status, 0)) for status, label in UseCaseStatus.choices if counts.get(status)
        ]
        context["total"] = sum(counts.values())
        mine = visible.filter(owner=user)
        context["my_use_cases"] = list(mine.with_related().order_by("-updated_at", "-id")[: self.MY_USE_CASES_SHOWN])
        context["my_use_case_count"] = mine.order_by().count()
        context["tasks"] = worklist.build(user)
        context["pending_acknowledgements"] = list(pending_acknowledgements(user)[:10])
        context["roles"] = home_roles(user)
        if context["roles"]["executive"]:
            summary = adoption.summary(visible)
            approvals = adoption.approvals(visible)
            in_production = next(row["count"] for row in summary["by_status"] if row["key"] == "in_production")
            context["headline"] = {
                "total": summary["total"],
                "in_production": in_production,
                "pending": approvals["pending"],
                "overdue": approvals["overdue"],
            }
        return context


def home_roles(user):
    """Which of the home page's role sections (and empty states) apply: a person with several
    roles gets each of them."""
    return {name: has_role(user, role) for name, role in HOME_ROLES}


HOME_ROLES = [
    ("reviewer", Role.REVIEWER),
    ("executive", Role.EXECUTIVE),
    ("admin", Role.GOVERNANCE_ADMIN),
    ("requester", Role.REQUESTER),
]


def _without(query, name):
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


class DashboardView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The adoption figures of the API, with charts; every figure links to the inventory behind it."""

    template_name = "dashboard/dashboard.html"
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
            incidents=incident_figures.incident_figures(
                filterset.department_ids() if valid else None,
                filterset.form.cleaned_data.get("since") if valid else None,
                filterset.form.cleaned_data.get("until") if valid else None,
            ),
            incident_definition=incident_figures.DEFINITION,
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
