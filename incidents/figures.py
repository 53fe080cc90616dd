"""Incident figures for the dashboard and ``/api/v1/adoption/incidents/``: counts by severity,
category, state and department, and the time from noticing an incident to containing it.
Aggregated in SQL: three queries whatever the number of incidents."""

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import Category, IncidentState, Severity
from incidents.models import Deadline, Incident
from portal.models import department_name

DEFINITION = _(
    "Incidents reported (organisation-wide, or of the chosen departments: the reporter's department), by "
    "severity (blank until triaged), category, state and department. Time to contain: the average hours from "
    "when an incident was noticed to when it was marked contained, over the incidents contained. Overdue "
    "deadlines: reporting duties past their due time and not marked done. Counts only: the incidents "
    "themselves are shown to the people who may see them."
)
NOT_TRIAGED = _("Not triaged yet")


def _rows(figures, prefix, choices):
    return [
        {"key": str(key), "label": str(label), "count": figures[f"{prefix}{index}"]}
        for index, (key, label) in enumerate(choices)
    ]


def incident_figures(departments=None, since=None, until=None):
    incidents = Incident.objects.all()
    if departments:
        incidents = incidents.filter(department_id__in=departments)
    if since:
        incidents = incidents.filter(reported_at__date__gte=since)
    if until:
        incidents = incidents.filter(reported_at__date__lte=until)
    breakdowns = {
        "severity": ("severity", [("", NOT_TRIAGED), *Severity.choices]),
        "category": ("category", Category.choices),
        "state": ("state", IncidentState.choices),
    }
    contain_time = ExpressionWrapper(F("contained_at") - F("noticed_at"), output_field=DurationField())
    figures = incidents.order_by().aggregate(
        total=Count("id"),
        contained=Count("id", filter=Q(contained_at__isnull=False)),
        average_to_contain=Avg(contain_time, filter=Q(contained_at__isnull=False)),
        **{
            f"{name}{index}": Count("id", filter=Q(**{field: key}))
            for name, (field, choices) in breakdowns.items()
            for index, (key, _label) in enumerate(choices)
        },
    )
    departments_rows = (
        incidents.order_by()
        .values("department_id", "department__name", "department__name_en")
        .annotate(n=Count("id"))
        .order_by("department__name")
    )
    average = figures["average_to_contain"]
    return {
        "total": figures["total"],
        "by_severity": _rows(figures, "severity", breakdowns["severity"][1]),
        "by_category": _rows(figures, "category", breakdowns["category"][1]),
        "by_state": _rows(figures, "state", breakdowns["state"][1]),
        "by_department": [
            {
                "department": row["department_id"],
                "department_name": department_name(row["department__name"], row["department__name_en"]),
                "count": row["n"],
            }
            for row in departments_rows
        ],
        "contained": figures["contained"],
        "average_hours_to_contain": round(average.total_seconds() / 3600, 1) if average is not None else None,
        "overdue_deadlines": overdue_deadlines().filter(incident__in=incidents).count(),
    }


def overdue_deadlines():
    return Deadline.objects.overdue(timezone.now()).exclude(
        incident__state__in=[IncidentState.REJECTED, IncidentState.CLOSED]
    )
