"""Reminders: which items are due, who is told, and how the outbox is sent.

The scan (``scan``) turns due items into outbox rows, one per (kind, subject, due date,
step, recipient), with ``bulk_create(ignore_conflicts=True)``: running it twice, or on
two hosts, adds nothing. Each step has a window of due dates ending at "today or
later", so a day without a scan is caught up by the next one, and an item whose
earlier step was missed gets only its current step, never a burst of stale ones.

The sender (``send_due``) claims a batch by a conditional UPDATE, sends, and records
the outcome of the batch in a few statements. Delivery is **at-least-once**: a row
stays claimed until its outcome is recorded, and a claim older than
``REMINDER_CLAIM_TIMEOUT`` is taken again, so a worker killed mid-batch loses nothing;
the price is that the messages of the batch in flight at the crash may go out a second
time (with the same Message-ID, so mail systems can fold them). A lost reminder is
worse than a rare duplicate: a forgotten review is what this feature exists to prevent.
In-app notifications are exactly-once (created with the row's outcome, unique per row).

Adding a kind: a ``ReminderKind`` value, a ``Kind`` subclass registered in ``KINDS``
(here, or by the app at start-up, as rules and education do), and its default
``ReminderSetting`` row (migration).
"""

import datetime
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from governance.choices import URGENT_STEPS, ReminderKind, ReminderStatus, ReminderStep
from governance.models import (
    ApprovalStage,
    Notification,
    PolicyException,
    Reminder,
    ReminderSetting,
)
from portal.mail import clean_subject, is_permanent
from portal.roles import Role
from usecases.choices import CLOSED_STATES, LIVE_STATES, REVIEW_STATES
from usecases.models import UseCase
from vendors.choices import ANSWERABLE_STATES, APPROVED_VENDOR_STATES, TemplateAudience
from vendors.models import Assessment, Vendor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    user_id: int | None = None
    email: str = ""
    language: str = ""

    @property
    def key(self):
        return f"user:{self.user_id}" if self.user_id else f"email:{self.email.lower()}"


def _users_in_role(role, **filters):
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
            admins = [Recipient(pk) for pk in _users_in_role(Role.GOVERNANCE_ADMIN).values_list("pk", flat=True)]
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
        reviewers = _users_in_role(Role.REVIEWER, department_id__in={uc.department_id for uc in objects})
        for department_id, user_id in reviewers.values_list("department_id", "pk"):
            by_department[department_id].append(Recipient(user_id))
        admins = [Recipient(pk) for pk in _users_in_role(Role.GOVERNANCE_ADMIN).values_list("pk", flat=True)]
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
        reviewers = [Recipient(pk) for pk in _users_in_role(Role.REVIEWER).values_list("pk", flat=True)]
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
KINDS = {
    spec.kind: spec
    for spec in (
        StageDueKind(),
        UseCaseReviewKind(),
        AssessmentUnansweredKind(),
        AssessmentExpiringKind(),
        ExceptionExpiringKind(),
    )
}


# --- The scan --------------------------------------------------------------------------------------


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def settings_for(kind):
    """(days before, escalation delay) of ``kind``, or None when switched off."""
    setting = ReminderSetting.objects.filter(kind=kind.kind).first()
    if setting is None:
        return sorted(kind.default_days, reverse=True), kind.default_escalation
    if not setting.is_active:
        return None
    return sorted({int(day) for day in setting.days_before}, reverse=True), setting.escalate_after_days


def windows(kind, days, escalate_after, today):
    """[(step, days_before, lower bound exclusive or None, upper bound inclusive)] of due dates.

    Each "before" step covers the days from its offset down to the next one; the last
    covers the due day itself. Windows end at the present, so a missed scan catches up.
    """
    result = []
    for index, day in enumerate(days):
        later = index + 1 < len(days)
        lower = today + datetime.timedelta(days=days[index + 1]) if later else today - datetime.timedelta(days=1)
        result.append((ReminderStep.BEFORE, day, lower, today + datetime.timedelta(days=day)))
    if kind.overdue:
        result.append((ReminderStep.OVERDUE, 0, None, today - datetime.timedelta(days=1)))
        if escalate_after is not None:
            delay = max(1, escalate_after)
            result.append((ReminderStep.ESCALATION, 0, None, today - datetime.timedelta(days=delay)))
    return result


def scan(today=None, chunk_size=None, now=None):
    """Create the outbox rows of every item due today (or earlier and not yet covered).

    Queries grow with the number of chunks, not of rows. Returns {kind: rows offered}.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    chunk_size = chunk_size or settings.REMINDER_SCAN_CHUNK
    offered = {}
    for kind in KINDS.values():
        config = settings_for(kind)
        if config is None:
            continue
        content_type = ContentType.objects.get_for_model(kind.model)
        count = 0
        for step, days_before, lower, upper in windows(kind, *config, today):
            window = {f"{kind.due_field}__lte": upper}
            if lower is not None:
                window[f"{kind.due_field}__gt"] = lower
            items = kind.items().filter(**window).order_by("pk")
            for chunk in _chunks(items.iterator(chunk_size=chunk_size), chunk_size):
                recipients = kind.recipients(chunk, step)
                rows = []
                for obj in chunk:
                    object_repr, url, params = kind.describe(obj)
                    for recipient in recipients.get(obj.pk, ()):
                        rows.append(
                            Reminder(
                                kind=kind.kind,
                                step=step,
                                days_before=days_before,
                                content_type=content_type,
                                object_id=obj.pk,
                                object_repr=object_repr,
                                due_on=kind.due_date(obj),
                                recipient_id=recipient.user_id,
                                email=recipient.email,
                                language=recipient.language,
                                recipient_key=recipient.key,
                                urgent=step in URGENT_STEPS,
                                url=url,
                                params=params,
                                created_at=now,
                                next_attempt_at=now,
                            )
                        )
                Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
                count += len(rows)
        offered[kind.kind] = count
    return offered


# --- The sender ------------------------------------------------------------------------------------


def _claimable(now):
    stale = now - datetime.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)
    return Q(status=ReminderStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=ReminderStatus.SENDING, claimed_at__lt=stale
    )


def claim(now, size):
    """Claim up to ``size`` due rows for this sender; concurrent senders get disjoint rows.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so a second sender takes the
    next rows instead of waiting; the conditional UPDATE keeps it safe everywhere else.
    A sender that still loses a race for every row it picked tries again.
    """
    for _attempt in range(5):
        with transaction.atomic():
            ids = list(
                Reminder.objects.select_for_update(skip_locked=True)
                .filter(_claimable(now))
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:size]
            )
            if not ids:
                return None, []
            token = uuid.uuid4()
            claimed = Reminder.objects.filter(_claimable(now), pk__in=ids).update(
                status=ReminderStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
            )
        if claimed:
            # pk__in first: claim_token has no index, and the outbox keeps its history.
            rows = Reminder.objects.filter(pk__in=ids, claim_token=token).select_related("recipient").order_by("pk")
            return token, list(rows)
    return None, []


def _backoff(attempts):
    return datetime.timedelta(seconds=min(settings.REMINDER_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def _address(row):
    return row.recipient.email if row.recipient_id else row.email


def _language(row):
    return (row.recipient.language if row.recipient_id else row.language) or settings.LANGUAGE_CODE


def _message_id(row):
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<reminder-{row.pk}@{domain}>"


def display_name(user):
    """A user's name as the current language writes it (family name first in Japanese)."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if not (first or last):
        return user.username
    if (translation.get_language() or "").startswith("ja"):
        return f"{last} {first}".strip()
    return f"{first} {last}".strip()


def build_email(row):
    """The e-mail of one reminder, in the recipient's language, with a link to the object."""
    with translation.override(_language(row)):
        context = {
            "reminder": row,
            "title": row.title,
            "message": row.message,
            "link": row.absolute_url if row.url else "",
            "inbox": settings.SITE_URL.rstrip("/") + reverse("governance:inbox") if row.recipient_id else "",
            "name": display_name(row.recipient) if row.recipient_id else "",
            "language": _language(row),
        }
        subject = clean_subject(row.title)
        text = render_to_string("governance/email/reminder.txt", context)
        html = render_to_string("governance/email/reminder.html", context)
    reply_to = [row.params["reply_to"]] if row.params.get("reply_to") else None
    message = EmailMultiAlternatives(
        subject, text, None, [_address(row)], reply_to=reply_to, headers={"Message-ID": _message_id(row)}
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass
class Outcome:
    sent: list
    digest: list
    cancelled: list
    retry: list
    failed: list


def _deliver(rows, now, connection, outcome, build=build_email):
    if not rows:
        return
    try:
        connection.open()
    except Exception as error:  # noqa: BLE001 - every row of the batch waits for a retry
        for row in rows:
            _record_failure(row, error, now, outcome)
        return
    try:
        for row in rows:
            try:
                connection.send_messages([build(row)])
            except Exception as error:  # noqa: BLE001 - recorded on the row, never lost
                _record_failure(row, error, now, outcome)
            else:
                outcome.sent.append(row)
    finally:
        connection.close()


def _record_failure(row, error, now, outcome, digest=False):
    row.error = f"{type(error).__name__}: {error}"[:2000]
    if is_permanent(error) or row.attempts >= settings.REMINDER_MAX_ATTEMPTS:
        row.status = ReminderStatus.FAILED
        outcome.failed.append(row)
        logger.warning("Reminder %s failed for good: %s", row.pk, row.error)
    else:
        row.status = ReminderStatus.DIGEST if digest else ReminderStatus.PENDING
        row.next_attempt_at = now + _backoff(row.attempts)
        outcome.retry.append(row)


def _record(token, outcome, now, notify):
    """Write a batch's outcome: a few statements, only on rows this claim still holds."""
    mine = Reminder.objects.filter(claim_token=token)  # each use below also filters by pk
    with transaction.atomic():
        Notification.objects.bulk_create(
            [Notification(user_id=row.recipient_id, reminder_id=row.pk, created_at=now) for row in notify],
            ignore_conflicts=True,
        )
        if outcome.sent:
            mine.filter(pk__in=[row.pk for row in outcome.sent]).update(
                status=ReminderStatus.SENT, sent_at=now, error="", claim_token=None
            )
        if outcome.digest:
            mine.filter(pk__in=[row.pk for row in outcome.digest]).update(
                status=ReminderStatus.DIGEST, claim_token=None
            )
        if outcome.cancelled:
            mine.filter(pk__in=[row.pk for row in outcome.cancelled]).update(
                status=ReminderStatus.CANCELLED, claim_token=None
            )
        changed = outcome.retry + outcome.failed
        for row in changed:
            row.claim_token = None
        if changed:
            Reminder.objects.bulk_update(changed, ["status", "next_attempt_at", "error", "claim_token"], batch_size=500)


def _still_due(rows):
    by_kind = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    due = set()
    for kind, kind_rows in by_kind.items():
        current = KINDS[kind].current_due_dates({row.object_id for row in kind_rows})
        settled = KINDS[kind].settled(kind_rows)
        due.update(row.pk for row in kind_rows if current.get(row.object_id) == row.due_on and row.pk not in settled)
    return due


def send_batch(now=None, size=None, connection=None):
    """Claim and send one batch; returns the Outcome (None when nothing was due)."""
    now = now or timezone.now()
    token, rows = claim(now, size or settings.REMINDER_SEND_BATCH)
    if not rows:
        return None
    outcome = Outcome([], [], [], [], [])
    due = _still_due(rows)
    to_mail, notify = [], []
    for row in rows:
        if row.pk not in due or (row.recipient_id and not row.recipient.is_active):
            outcome.cancelled.append(row)
            continue
        if row.recipient_id:
            notify.append(row)
            if not row.recipient.email:
                outcome.sent.append(row)  # in-app only
                continue
            if row.recipient.notification_digest and not row.urgent:
                outcome.digest.append(row)
                continue
        to_mail.append(row)
    _deliver(to_mail, now, connection or get_connection(), outcome)
    _record(token, outcome, now, notify)
    return outcome


def send_due(now=None, size=None, max_seconds=None, connection=None):
    """Send batches until nothing is due (or the time budget is spent). Returns counts."""
    started = timezone.now()
    totals = defaultdict(int)
    budget = datetime.timedelta(seconds=max_seconds or settings.REMINDER_SEND_SECONDS)
    while timezone.now() - started < budget:
        outcome = send_batch(now, size, connection)
        if outcome is None:
            break
        for name in ("sent", "digest", "cancelled", "retry", "failed"):
            totals[name] += len(getattr(outcome, name))
    return dict(totals)


# --- The daily digest ------------------------------------------------------------------------------


def build_digest(user, rows):
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "name": display_name(user),
            "language": user.language or settings.LANGUAGE_CODE,
            "items": [(row.title, row.message, row.absolute_url if row.url else "") for row in rows],
            "inbox": settings.SITE_URL.rstrip("/") + reverse("governance:inbox"),
        }
        subject = clean_subject(_("Your reminders for today (%(count)s)") % {"count": len(rows)})
        text = render_to_string("governance/email/digest.txt", context)
        html = render_to_string("governance/email/digest.html", context)
    message = EmailMultiAlternatives(subject, text, None, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def send_digests(now=None, users_per_batch=50, connection=None):
    """One e-mail per user listing their non-urgent reminders waiting for the digest."""
    now = now or timezone.now()
    connection = connection or get_connection()
    sent_users = 0
    while True:
        user_ids = list(
            Reminder.objects.filter(status=ReminderStatus.DIGEST, next_attempt_at__lte=now)
            .order_by("recipient_id")
            .values_list("recipient_id", flat=True)
            .distinct()[:users_per_batch]
        )
        if not user_ids:
            return sent_users
        token = uuid.uuid4()
        Reminder.objects.filter(
            status=ReminderStatus.DIGEST, next_attempt_at__lte=now, recipient_id__in=user_ids
        ).update(status=ReminderStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
        rows = list(
            Reminder.objects.filter(recipient_id__in=user_ids, claim_token=token)
            .select_related("recipient")
            .order_by("due_on", "pk")
        )
        by_user = defaultdict(list)
        for row in rows:
            by_user[row.recipient_id].append(row)
        outcome = Outcome([], [], [], [], [])
        try:
            connection.open()
        except Exception as error:  # noqa: BLE001 - the rows wait for the next digest run
            for row in rows:
                _record_failure(row, error, now, outcome, digest=True)
            _record(token, outcome, now, [])
            return sent_users
        try:
            for user_rows in by_user.values():
                try:
                    connection.send_messages([build_digest(user_rows[0].recipient, user_rows)])
                except Exception as error:  # noqa: BLE001 - recorded on the rows
                    for row in user_rows:
                        _record_failure(row, error, now, outcome, digest=True)
                else:
                    outcome.sent.extend(user_rows)
                    sent_users += 1
        finally:
            connection.close()
        _record(token, outcome, now, [])


def reminders_sent_again(count):
    return ngettext("%(count)s reminder will be sent again.", "%(count)s reminders will be sent again.", count) % {
        "count": count
    }


def enqueue_sending():
    """Have a worker send the outbox once the current transaction commits."""
    from governance.tasks import send_due_reminders

    transaction.on_commit(send_due_reminders.delay)


def retry_failed(reminder_ids, now=None):
    """An admin sends failed reminders again (after fixing the mail server or address)."""
    count = Reminder.objects.filter(pk__in=reminder_ids, status=ReminderStatus.FAILED).update(
        status=ReminderStatus.PENDING, attempts=0, next_attempt_at=now or timezone.now(), claim_token=None
    )
    if count:
        enqueue_sending()
    return count
