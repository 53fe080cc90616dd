"""Reminder kinds of rules and education, added to ``governance.reminders.kinds.KINDS`` at start-up."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from governance.choices import ReminderKind, ReminderStep
from governance.education.choices import PolicyVersionStatus
from governance.models import PolicyAcknowledgement, PolicyVersion, TrainingCompletion
from governance.reminders.kinds import Kind, Recipient, users_in_role
from portal.roles import Role


class PolicyAcknowledgementKind(Kind):
    """A policy version in force that people it applies to have not acknowledged yet."""

    kind = ReminderKind.POLICY_ACKNOWLEDGEMENT
    model = PolicyVersion
    due_field = "acknowledge_by"
    default_days = (7, 1)
    default_escalation = 7
    overdue = True
    titles = {
        ReminderStep.BEFORE: _("Please acknowledge by %(due_on)s: %(object)s"),
        ReminderStep.OVERDUE: _("Acknowledgement overdue since %(due_on)s: %(object)s"),
        ReminderStep.ESCALATION: _("Escalation: %(object)s is still not acknowledged by everyone"),
    }
    messages = {
        ReminderStep.BEFORE: _(
            "A new version of %(object)s is in force. Please read it and acknowledge it by %(due_on)s."
        ),
        ReminderStep.OVERDUE: _(
            "%(object)s was to be acknowledged by %(due_on)s. Please read it and acknowledge it now."
        ),
        ReminderStep.ESCALATION: _(
            "%(object)s was to be acknowledged by %(due_on)s and some of the people it applies to have not done "
            "so. As a governance admin, see who is missing on the policy's acknowledgement page."
        ),
    }

    def items(self):
        return PolicyVersion.objects.filter(
            status=PolicyVersionStatus.PUBLISHED,
            acknowledge_by__isnull=False,
            document__is_active=True,
            document__requires_acknowledgement=True,
        ).select_related("document")

    def recipients(self, objects, step):
        missing = {version.pk: self._missing(version) for version in objects}
        if step == ReminderStep.ESCALATION:
            admins = [Recipient(pk) for pk in users_in_role(Role.GOVERNANCE_ADMIN).values_list("pk", flat=True)]
            # Only while someone is still missing.
            return {version.pk: admins if missing[version.pk].exists() else [] for version in objects}
        return {
            version.pk: [Recipient(pk) for pk in missing[version.pk].values_list("pk", flat=True)]
            for version in objects
        }

    @staticmethod
    def _missing(version):
        return version.document.audience_users().exclude(acknowledgements__version=version)

    def settled(self, rows):
        asked = [row for row in rows if row.step != ReminderStep.ESCALATION and row.recipient_id]
        done = set(
            PolicyAcknowledgement.objects.filter(
                version_id__in={row.object_id for row in asked}, user_id__in={row.recipient_id for row in asked}
            ).values_list("version_id", "user_id")
        )
        settled = {row.pk for row in asked if (int(row.object_id), row.recipient_id) in done}
        escalations = [row for row in rows if row.step == ReminderStep.ESCALATION]
        if escalations:
            versions = PolicyVersion.objects.filter(pk__in={row.object_id for row in escalations}).select_related(
                "document"
            )
            complete = {version.pk for version in versions if not self._missing(version).exists()}
            settled |= {row.pk for row in escalations if int(row.object_id) in complete}
        return settled

    def describe(self, version):
        document = version.document
        title = {"ja": document.title_ja, "en": document.title_en or document.title_ja}
        return f"{document.title_ja} v{version.number}"[:200], document.get_absolute_url(), {"policy": title}


class TrainingExpiringKind(Kind):
    """A person's training that runs out, unless they have completed the course again since."""

    kind = ReminderKind.TRAINING_EXPIRING
    model = TrainingCompletion
    due_field = "expires_on"
    default_days = (30, 7)
    titles = {ReminderStep.BEFORE: _("Your training expires on %(due_on)s: %(object)s")}
    messages = {
        ReminderStep.BEFORE: _(
            "Your completion of %(object)s is valid until %(due_on)s. Take the course again and record it, "
            "so that the use cases you work on stay cleared for rules and education."
        )
    }

    def items(self):
        newer = TrainingCompletion.objects.filter(
            course=OuterRef("course"), user=OuterRef("user"), completed_on__gt=OuterRef("completed_on")
        )
        return (
            TrainingCompletion.objects.filter(expires_on__isnull=False, course__is_active=True, user__is_active=True)
            .exclude(Exists(newer))
            .select_related("course")
        )

    def recipients(self, objects, step):
        return {completion.pk: [Recipient(completion.user_id)] for completion in objects}

    def describe(self, completion):
        course = completion.course
        return course.title_ja[:200], course.get_absolute_url(), {}


KINDS = {spec.kind: spec for spec in (PolicyAcknowledgementKind(), TrainingExpiringKind())}
