"""The reminder kind of incident deadlines, added to the governance reminder kinds at start-up.

Before the due day the assignee (or, with nobody assigned, the incident managers) is
reminded; the day after, an overdue reminder; a day later still the incident managers and the
governance admins get the escalation. The outbox's unique key sends each step once."""

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from governance.choices import ReminderKind, ReminderStep
from governance.reminders.kinds import Kind, Recipient, users_in_role
from incidents.choices import FINISHED_STATES, Clock
from incidents.models import Deadline
from incidents.querysets import manager_group_name
from portal.roles import Role


def _both_languages(label):
    texts = {}
    for language in ("ja", "en"):
        with translation.override(language):
            texts[language] = str(label)
    return texts


class IncidentDeadlineKind(Kind):
    kind = ReminderKind.INCIDENT_DEADLINE
    model = Deadline
    due_field = "due_at__date"
    default_days = (1,)
    default_escalation = 2  # overdue the day after, escalated the day after that
    overdue = True
    titles = {
        ReminderStep.BEFORE: _("Incident deadline on %(due_on)s: %(clock)s, %(object)s"),
        ReminderStep.OVERDUE: _("Incident deadline missed on %(due_on)s: %(clock)s, %(object)s"),
        ReminderStep.ESCALATION: _("Escalation: %(clock)s of %(object)s is overdue since %(due_on)s"),
    }
    messages = {
        ReminderStep.BEFORE: _(
            "%(clock)s for incident %(object)s is due on %(due_on)s. Do it and mark the deadline done on the "
            "incident's page."
        ),
        ReminderStep.OVERDUE: _(
            "%(clock)s for incident %(object)s was due on %(due_on)s and is not marked done. Please do it now."
        ),
        ReminderStep.ESCALATION: _(
            "%(clock)s for incident %(object)s was due on %(due_on)s and is still not done. As an incident "
            "manager or governance admin, please follow it up."
        ),
    }

    def items(self):
        return Deadline.objects.open().exclude(incident__state__in=FINISHED_STATES).select_related("incident")

    def due_date(self, deadline):
        return timezone.localdate(deadline.due_at)

    def current_due_dates(self, object_ids):
        rows = self.items().filter(pk__in=object_ids).values_list("pk", "due_at")
        return {pk: timezone.localdate(due) for pk, due in rows}

    def recipients(self, objects, step):
        managers = [Recipient(pk) for pk in users_in_role(manager_group_name()).values_list("pk", flat=True)]
        if step == ReminderStep.ESCALATION:
            admins = [Recipient(pk) for pk in users_in_role(Role.GOVERNANCE_ADMIN).values_list("pk", flat=True)]
            everyone = list({recipient.key: recipient for recipient in [*managers, *admins]}.values())
            return {deadline.pk: everyone for deadline in objects}
        return {
            deadline.pk: [Recipient(deadline.incident.assignee_id)] if deadline.incident.assignee_id else managers
            for deadline in objects
        }

    def describe(self, deadline):
        incident = deadline.incident
        params = {"clock": _both_languages(Clock(deadline.clock).label)}
        return f"{incident.reference} {incident.title}"[:200], incident.get_absolute_url(), params


KINDS = {IncidentDeadlineKind.kind: IncidentDeadlineKind()}
