"""The incident events, as data the notification outbox can register.

``portal.events.publish`` is called by ``incidents.services`` with these names. The outbox
(built apart) keeps a table of event types (name -> texts, default recipients); until it is
merged this module only describes them, and ``register_event_types(registry)`` adds them to
whatever table the outbox offers (an object with ``add(key, value)``, e.g. a ``Registry``).
Every event of this app names its recipients explicitly."""

import datetime
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from governance.notify.registry import EventType
from incidents.choices import Clock, IncidentState


@dataclass(frozen=True)
class IncidentEventType:
    name: str
    title: object  # lazy text, with %(reference)s and the event's params
    message: object
    recipients: object  # who ``services`` sends it to (documentation)
    urgent: bool = False


EVENT_TYPES = (
    IncidentEventType(
        "incident.reported",
        _("New incident reported: %(reference)s %(title)s"),
        _("An AI incident was reported: %(reference)s “%(title)s”. Please triage it."),
        _("The incident managers"),
        urgent=True,
    ),
    IncidentEventType(
        "incident.triaged",
        _("Incident triaged: %(reference)s"),
        _("Incident %(reference)s was triaged; its severity, category and deadlines are on its page."),
        _("Reporter, assignee and the use case's owner"),
    ),
    IncidentEventType(
        "incident.state_changed",
        _("Incident %(reference)s is now %(to_state)s"),
        _("Incident %(reference)s moved from %(from_state)s to %(to_state)s."),
        _("Reporter, assignee and the use case's owner"),
    ),
    IncidentEventType(
        "incident.assigned",
        _("Incident assigned to you: %(reference)s"),
        _("You were assigned incident %(reference)s. Contain it and meet its deadlines."),
        _("The assignee"),
        urgent=True,
    ),
    IncidentEventType(
        "incident.deadline_due",
        _("Incident deadline started: %(reference)s"),
        _("A deadline of incident %(reference)s started running (%(clock)s, due %(due_at)s)."),
        _("Reporter, assignee, the use case's owner and the incident managers"),
        urgent=True,
    ),
)


def _both_languages(label):
    return {language: str(_translated(label, language)) for language in ("ja", "en")}


def _translated(label, language):
    with translation.override(language):
        return str(label)


class IncidentNotice(EventType):
    """An incident event as the outbox sends it: explicit recipients, codes shown as labels."""

    LABELS = {"from_state": IncidentState, "to_state": IncidentState, "clock": Clock}

    def __init__(self, spec):
        self.spec = spec
        self.title = spec.title
        self.message = spec.message
        self.decision_waiting = spec.urgent  # triage, assignment and running clocks: always at once

    def describe(self, subject):
        incident = getattr(subject, "incident", subject)
        return f"{incident.reference} {incident.title}"[:200], incident.get_absolute_url()

    def prepare(self, event):
        params = dict(event.params)
        for name, choices in self.LABELS.items():
            if params.get(name) in choices.values:
                params[name] = _both_languages(choices(params[name]).label)
        if params.get("due_at"):
            due = timezone.localtime(datetime.datetime.fromisoformat(params["due_at"]))
            params["due_at"] = due.strftime("%Y-%m-%d %H:%M")
        return params


def register_event_types(registry):
    """Add the incident event types to the outbox's table (``wiring.install``)."""
    for event_type in EVENT_TYPES:
        registry.add(event_type.name, IncidentNotice(event_type))
