"""Values of the incident register: states, actions, severities, categories, clocks."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IncidentState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    TRIAGED = "triaged", _("Triaged")
    CONTAINED = "contained", _("Contained")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Not an incident")


OPEN_STATES = frozenset({IncidentState.REPORTED, IncidentState.TRIAGED, IncidentState.CONTAINED})
FINISHED_STATES = frozenset({IncidentState.RESOLVED, IncidentState.CLOSED, IncidentState.REJECTED})


class IncidentTransition(models.TextChoices):
    TRIAGE = "triage", _("Triage")
    CONTAIN = "contain", _("Mark contained")
    RESOLVE = "resolve", _("Mark resolved")
    CLOSE = "close", _("Close")
    REJECT = "reject", _("Not an incident")


class Severity(models.TextChoices):
    """Most severe last; ``HIGH`` and ``CRITICAL`` are serious incidents."""

    LOW = "low", _("Low: no harm to people, fixed in the normal course of work")
    MEDIUM = "medium", _("Medium: limited harm or exposure, contained within the team")
    HIGH = "high", _("High (serious): harm to people, their rights or data, or public exposure")
    CRITICAL = "critical", _("Critical (serious): widespread harm, a death or injury, or critical disruption")


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}
SERIOUS_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})


class Category(models.TextChoices):
    HARMFUL_OUTPUT = "harmful_output", _("Wrong or harmful output")
    DATA_LEAK = "data_leak", _("Data leak")
    IP_LICENCE = "ip_licence", _("Intellectual property or licence")
    BIAS = "bias", _("Bias or discrimination")
    SECURITY = "security", _("Security")
    VENDOR = "vendor", _("Vendor incident")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    CHATBOT = "chatbot", _("Chatbot or assistant")
    ADVERTISING = "advertising", _("Advertising or published content")
    EMAIL = "email", _("E-mail or message to customers")
    WEBSITE = "website", _("Website or app")
    INTERNAL = "internal", _("Internal tool or document")
    VENDOR = "vendor", _("Vendor's service")
    OTHER = "other", _("Other")


class ActionKind(models.TextChoices):
    CONTAINMENT = "containment", _("Containment")
    CORRECTIVE = "corrective", _("Corrective")
    PREVENTIVE = "preventive", _("Preventive")


class Clock(models.TextChoices):
    """A duty with a deadline that the facts of an incident start."""

    APPI_PRELIMINARY = "appi_preliminary", _("APPI preliminary report to the PPC")
    APPI_FINAL = "appi_final", _("APPI final report to the PPC")
    INFORM_PROVIDER = "inform_provider", _("Inform the AI system's provider (serious incident)")
    VENDOR_REPORT = "vendor_report", _("Obtain the vendor's incident report")
    NOTIFY_PEOPLE = "notify_people", _("Tell the people affected")


class ClockStart(models.TextChoices):
    NOTICED = "noticed_at", _("When the incident was noticed")
    REPORTED = "reported_at", _("When it was reported")
    TRIAGED = "triaged_at", _("When it was triaged")


class IncidentAuditAction(models.TextChoices):
    """Audit actions of the incident register (registered with portal's label registry)."""

    REPORT = "incident_report", pgettext_lazy("audit action", "reported an incident")
    TRIAGE = "incident_triage", pgettext_lazy("audit action", "triaged the incident")
    CONTAIN = "incident_contain", pgettext_lazy("audit action", "marked the incident contained")
    RESOLVE = "incident_resolve", pgettext_lazy("audit action", "marked the incident resolved")
    CLOSE = "incident_close", pgettext_lazy("audit action", "closed the incident")
    REJECT = "incident_reject", pgettext_lazy("audit action", "marked as not an incident")
    ASSIGN = "incident_assign", pgettext_lazy("audit action", "assigned the incident")
    ADD_ACTION = "incident_add_action", pgettext_lazy("audit action", "added an incident action")
    COMPLETE_ACTION = "incident_complete_action", pgettext_lazy("audit action", "completed an incident action")
    ADD_EVIDENCE = "incident_add_evidence", pgettext_lazy("audit action", "added incident evidence")
    START_CLOCK = "incident_start_clock", pgettext_lazy("audit action", "started an incident deadline")
    MEET_DEADLINE = "incident_meet_deadline", pgettext_lazy("audit action", "marked an incident deadline done")
    CHANGE_DEADLINE = "incident_change_deadline", pgettext_lazy("audit action", "changed an incident deadline")
    CHANGE_RULE = "incident_change_rule", pgettext_lazy("audit action", "changed a deadline rule")
    SUSPEND_USE_CASE = "incident_suspend", pgettext_lazy("audit action", "suspended the use case")
    REQUEST_REREVIEW = "incident_rereview", pgettext_lazy("audit action", "asked for a re-review after an incident")


TRANSITION_AUDIT = {
    IncidentTransition.TRIAGE: IncidentAuditAction.TRIAGE,
    IncidentTransition.CONTAIN: IncidentAuditAction.CONTAIN,
    IncidentTransition.RESOLVE: IncidentAuditAction.RESOLVE,
    IncidentTransition.CLOSE: IncidentAuditAction.CLOSE,
    IncidentTransition.REJECT: IncidentAuditAction.REJECT,
}
