"""What each kind of reminder chases: its items, their due date, recipients and texts.

The base kinds are added to ``KINDS`` here; rules and education add theirs at start-up.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from governance.choices import ReminderKind, ReminderStep
from governance.models import ApprovalStage, PolicyException
from governance.reminders.registry import KINDS
from portal.roles import Role
from usecases.choices import CLOSED_STATES, LIVE_STATES, REVIEW_STATES
from usecases.models import UseCase
from vendors.choices import ANSWERABLE_STATES, APPROVED_VENDOR_STATES, TemplateAudience
from vendors.models import Assessment, Vendor

__all__ = ["KINDS", "Kind", "Recipient", "users_in_role"]


@dataclass(frozen=True)
class Recipient:
    user_id: int | None = None
    email: str = ""
    language: str = ""

    @property
    def key(self):
        return f"user:{self.user_id}" if self.user_id else f"email:{self.email.lower()}"


def users_in_role(role, **filters):
    return get_user_model().objects.filter(groups__name=role, is_active=True, **filters).distinct()


class Kind:
    """One kind of reminder: the items it chases, their due date, recipients and texts."""

    kind = None
    model = None
    due_field = "due_on"  # a date field of ``model`` (``__date`` of a datetime works too)
    default_days = ()
    default_escalation = None
    overdue = False  # items stay due after their date (overdue and escalation steps)
    titles = {}  # {step: lazy text}
    messages = {}

    def items(self):
        """Objects of ``model`` still due, with what ``recipients`` and ``describe`` read."""
        raise NotImplementedError

    def due_date(self, obj):
        return getattr(obj, self.due_field)

    def recipients(self, objects, step):
        """{object pk: [Recipient, ...]} for a chunk of ``items()``."""
        raise NotImplementedError

    def describe(self, obj):
        """(object_repr, url, params) of an item."""
        raise NotImplementedError

    def settled(self, rows):
        """Pks of outbox ``rows`` whose recipient has done what was asked meanwhile (not sent)."""
        return set()

    def current_due_dates(self, object_ids):
        """{pk: due date} of the given objects that are still due: a row whose item was
        decided, withdrawn or moved to another date meanwhile is not sent."""
        field = self.due_field
        rows = self.items().filter(pk__in=object_ids).values_list("pk", field)
        return {pk: (due.date() if isinstance(due, datetime.datetime) else due) for pk, due in rows}

    # --- texts, rendered in the reader's language ---

    def _format(self, reminder):
        params = {}
        language = translation.get_language() or settings.LANGUAGE_CODE
        for name, value in (reminder.params or {}).items():
            if isinstance(value, dict):  # {"ja": ..., "en": ...}
                value = value.get(language[:2]) or value.get("en") or next(iter(value.values()), "")
            params[name] = value
        return {
            **params,
            "object": reminder.object_repr,
            "due_on": formats.date_format(reminder.due_on, "Y-m-d"),
            "days": reminder.days_before,
        }

    def title(self, reminder):
        return str(self.titles[reminder.step]) % self._format(reminder)

    def message(self, reminder):
        return str(self.messages[reminder.step]) % self._format(reminder)


def _use_case_repr(use_case):
    return f"{use_case.reference} {use_case.title}"[:200]


class StageDueKind(Kind):
    kind = ReminderKind.STAGE_DUE
    model = ApprovalStage
    default_days = (1,)
    default_escalation = 3
    overdue = True
    titles = {
        ReminderStep.BEFORE: _("Decision due on %(due_on)s: %(stage)s, %(object)s"),
        ReminderStep.OVERDUE: _("Overdue since %(due_on)s: %(stage)s, %(object)s"),
        ReminderStep.ESCALATION: _("Escalation: %(stage)s of %(object)s is overdue since %(due_on)s"),
    }
    messages = {
        ReminderStep.BEFORE: _(
            "The approval stage “%(stage)s” of %(object)s waits for your group's decision by %(due_on)s."
        ),
        ReminderStep.OVERDUE: _(
            "The approval stage “%(stage)s” of %(object)s was due on %(due_on)s and is still waiting for "
            "your group's decision."
        ),
        ReminderStep.ESCALATION: _(
            "The approval stage “%(stage)s” of %(object)s (group %(group)s) was due on %(due_on)s and nobody "
            "has decided it yet. As a governance admin, please follow it up."
        ),
    }

    def items(self):
        return (
            ApprovalStage.objects.active()
            .filter(use_case__status__in=REVIEW_STATES, due_on__isnull=False)
            .select_related("use_case", "definition", "group")
        )

    def recipients(self, objects, step):
        if step == ReminderStep.ESCALATION:
            admins = [Recipient(pk) for pk in users_in_role(Role.GOVERNANCE_ADMIN).values_list("pk", flat=True)]
            return {stage.pk: [r for r in admins if r.user_id != stage.use_case.owner_id] for stage in objects}
        members = defaultdict(list)
        memberships = get_user_model().groups.through.objects.filter(
            group_id__in={stage.group_id for stage in objects}, user__is_active=True
        )
        for group_id, user_id in memberships.values_list("group_id", "user_id"):
            members[group_id].append(user_id)
        return {
            stage.pk: [Recipient(pk) for pk in members[stage.group_id] if pk != stage.use_case.owner_id]
            for stage in objects
        }

    def describe(self, stage):
        params = {
            "stage": {"ja": stage.definition.name_ja, "en": stage.definition.name_en},
            "group": stage.group.name,
        }
        return _use_case_repr(stage.use_case), stage.use_case.get_absolute_url(), params


class UseCaseReviewKind(Kind):
    kind = ReminderKind.USE_CASE_REVIEW
    model = UseCase
    due_field = "next_review_on"
    default_days = (30, 7, 1)
    default_escalation = 14
    overdue = True
    titles = {
        ReminderStep.BEFORE: _("Re-review due on %(due_on)s: %(object)s"),
        ReminderStep.OVERDUE: _("Re-review overdue since %(due_on)s: %(object)s"),
        ReminderStep.ESCALATION: _("Escalation: the re-review of %(object)s is overdue since %(due_on)s"),
    }
    messages = {
        ReminderStep.BEFORE: _(
            "%(object)s is due for its periodic review on %(due_on)s. Check that its data, models and "
            "vendors are still as approved, update the use case and submit it again if anything changed."
        ),
        ReminderStep.OVERDUE: _(
            "The periodic review of %(object)s was due on %(due_on)s. Please review the use case now."
        ),
        ReminderStep.ESCALATION: _(
            "The periodic review of %(object)s (owner %(owner)s) was due on %(due_on)s and has not been done. "
            "As a reviewer of the department, please follow it up."
        ),
    }

    def items(self):
        return UseCase.objects.filter(status__in=LIVE_STATES, next_review_on__isnull=False).select_related(
            "owner", "department"
        )

    def recipients(self, objects, step):
        if step != ReminderStep.ESCALATION:
            return {uc.pk: [Recipient(uc.owner_id)] if uc.owner.is_active else [] for uc in objects}
        by_department = defaultdict(list)
        reviewers = users_in_role(Role.REVIEWER, department_id__in={uc.department_id for uc in objects})
        for department_id, user_id in reviewers.values_list("department_id", "pk"):
            by_department[department_id].append(Recipient(user_id))
        admins = [Recipient(pk) for pk in users_in_role(Role.GOVERNANCE_ADMIN).values_list("pk", flat=True)]
        # A department without reviewers escalates to the governance admins.
        return {
            uc.pk: [r for r in (by_department[uc.department_id] or admins) if r.user_id != uc.owner_id]
            for uc in objects
        }

    def describe(self, use_case):
        return _use_case_repr(use_case), use_case.get_absolute_url(), {"owner": str(use_case.owner)}


class AssessmentUnansweredKind(Kind):
    kind = ReminderKind.ASSESSMENT_UNANSWERED
    model = Assessment
    due_field = "link_expires_at__date"
    default_days = (7, 2)
    titles = {ReminderStep.BEFORE: _("Reminder: please answer our questionnaire by %(due_on)s")}
    messages = {
        ReminderStep.BEFORE: _(
            "We are still waiting for %(vendor)s's answers to our questionnaire “%(template)s” "
            "(%(reference)s). The link in our e-mail of %(sent_on)s works until %(due_on)s. "
            "If you cannot find it, reply to this e-mail and we will send a new one."
        )
    }

    def items(self):
        return Assessment.objects.filter(
            status__in=ANSWERABLE_STATES, template_version__template__audience=TemplateAudience.VENDOR
        ).select_related("contact", "vendor", "sent_by", "template_version__template")

    def due_date(self, assessment):
        return timezone.localdate(assessment.link_expires_at)

    def current_due_dates(self, object_ids):
        rows = self.items().filter(pk__in=object_ids).values_list("pk", "link_expires_at")
        return {pk: timezone.localdate(expires) for pk, expires in rows}

    def recipients(self, objects, step):
        return {a.pk: [Recipient(None, a.contact.email, a.contact.language)] for a in objects}

    def describe(self, assessment):
        template = assessment.template_version.template
        params = {
            "vendor": assessment.vendor.name,
            "template": {"ja": template.name_ja, "en": template.name_en},
            "reference": assessment.reference,
            "sent_on": timezone.localdate(assessment.sent_at).isoformat(),
            "reply_to": assessment.sent_by.email,
        }
        return f"{assessment.reference} {assessment.vendor.name}"[:200], "", params


class AssessmentExpiringKind(Kind):
    kind = ReminderKind.ASSESSMENT_EXPIRING
    model = Vendor
    due_field = "next_reassessment_on"
    default_days = (30,)
    titles = {ReminderStep.BEFORE: _("Vendor approval expires on %(due_on)s: %(object)s")}
    messages = {
        ReminderStep.BEFORE: _(
            "The approval of %(object)s is valid until %(due_on)s; the vendor is now due for reassessment. "
            "Send it a new questionnaire so that the use cases relying on it are not blocked."
        )
    }

    def items(self):
        return Vendor.objects.filter(status__in=APPROVED_VENDOR_STATES, next_reassessment_on__isnull=False)

    def recipients(self, objects, step):
        reviewers = [Recipient(pk) for pk in users_in_role(Role.REVIEWER).values_list("pk", flat=True)]
        return {vendor.pk: reviewers for vendor in objects}

    def describe(self, vendor):
        return vendor.name[:200], vendor.get_absolute_url(), {}


class ExceptionExpiringKind(Kind):
    kind = ReminderKind.EXCEPTION_EXPIRING
    model = PolicyException
    due_field = "expires_on"
    default_days = (7, 1)
    titles = {ReminderStep.BEFORE: _("Policy exception expires on %(due_on)s: %(object)s")}
    messages = {
        ReminderStep.BEFORE: _(
            "The exception to rule %(rule)s granted for %(object)s expires on %(due_on)s. After that the "
            "finding blocks the use case again: resolve it, or grant a new exception with a justification."
        )
    }

    def items(self):
        return PolicyException.objects.exclude(use_case__status__in=CLOSED_STATES).select_related(
            "use_case__owner", "granted_by"
        )

    def recipients(self, objects, step):
        return {
            exception.pk: [
                Recipient(user.pk) for user in {exception.granted_by, exception.use_case.owner} if user.is_active
            ]
            for exception in objects
        }

    def describe(self, exception):
        use_case = exception.use_case
        return _use_case_repr(use_case), use_case.get_absolute_url(), {"rule": exception.rule_id}


# Rules and education add theirs (governance/education/reminders.py) at start-up.
KINDS.update(
    (spec.kind, spec)
    for spec in (
        StageDueKind(),
        UseCaseReviewKind(),
        AssessmentUnansweredKind(),
        AssessmentExpiringKind(),
        ExceptionExpiringKind(),
    )
)
