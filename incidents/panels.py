"""Incident panels of the use-case and vendor pages (registered from ``wiring``)."""

import datetime

from django.utils import timezone

from incidents.choices import OPEN_STATES, SERIOUS_SEVERITIES, IncidentState
from incidents.models import Incident, Suspension
from incidents.suspension import RESUME_ACTIONS
from usecases import services as usecase_services


class UseCaseIncidentsPanel:
    """The use case's incidents the reader may see, a link to report one, and the suspension."""

    template_name = "incidents/panels/use_case.html"

    def get_context(self, request, use_case):
        user = request.user
        suspension = (
            Suspension.objects.filter(use_case=use_case, lifted_at__isnull=True).select_related("incident").first()
        )
        may_lift = suspension is not None and RESUME_ACTIONS.get(suspension.previous_status) in (
            usecase_services.allowed_actions(use_case, user)
        )
        return {
            "incidents": list(Incident.objects.visible_to(user).filter(use_case=use_case)[:20]),
            "suspension": suspension,
            "may_lift": may_lift,
            "link": "use_case",
            "object": use_case,
        }


class VendorIncidentsPanel:
    """A vendor's incidents: counts for everyone who sees the vendor, rows for those who may read them."""

    template_name = "incidents/panels/vendor.html"

    def get_context(self, request, vendor):
        rows = Incident.objects.filter(vendor=vendor)
        return {
            "total": rows.count(),
            "open": rows.filter(state__in=OPEN_STATES).count(),
            "incidents": list(Incident.objects.visible_to(request.user).filter(vendor=vendor)[:20]),
            "link": "vendor",
            "object": vendor,
        }


class ReassessmentIncidentsPanel:
    """Beside an assessment's decision: the vendor's incidents (all, and of the last 12 months;
    counts only, so the reviewer weighs them without reading incidents they may not see)."""

    template_name = "incidents/panels/reassessment.html"

    def get_context(self, request, vendor):
        rows = Incident.objects.filter(vendor=vendor).exclude(state=IncidentState.REJECTED)
        recent = rows.filter(reported_at__gte=timezone.now() - datetime.timedelta(days=365))
        return {
            "total": rows.count(),
            "recent": recent.count(),
            "serious": recent.filter(severity__in=SERIOUS_SEVERITIES).count(),
            "open": rows.filter(state__in=OPEN_STATES).count(),
        }
