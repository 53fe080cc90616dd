"""The outbox sender: claim a batch of due rows, send them, record the outcome; the daily
digest; sending failed rows again. At-least-once delivery, see the package docstring.
"""

import datetime
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from governance.choices import NotificationChannel, ReminderStatus
from governance.models import Notification, Reminder
from governance.notify import chat
from governance.reminders.kinds import KINDS
from portal.choices import NotificationFrequency
from portal.mail import clean_subject, is_permanent

logger = logging.getLogger(__name__)

# The tasks call this module, so it names the task rather than importing it.
SEND_TASK = "governance.tasks.send_due_reminders"


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
            rows = (
                Reminder.objects.filter(pk__in=ids, claim_token=token)
                .select_related("recipient", "destination")
                .order_by("pk")
            )
            return token, list(rows)
    return None, []


def _backoff(attempts):
    return datetime.timedelta(seconds=min(settings.REMINDER_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def _address(row):
    return row.recipient.email if row.recipient_id else row.email


def _link(row):
    """The absolute link of a row: its event type's (a vendor's questionnaire link) or its page."""
    if row.event:
        return row.spec.link(row)
    return row.absolute_url if row.url else ""


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
    """The e-mail of one reminder or notice, in the recipient's language, with a link to the object."""
    custom = row.spec.email(row) if row.event else None
    if custom:
        with translation.override(_language(row)):
            subject, text = row.spec.email(row)
        reply_to = [row.params["reply_to"]] if row.params.get("reply_to") else None
        return EmailMultiAlternatives(
            subject, text, None, [_address(row)], reply_to=reply_to, headers={"Message-ID": _message_id(row)}
        )
    with translation.override(_language(row)):
        context = {
            "reminder": row,
            "title": row.title,
            "message": row.message,
            "link": _link(row),
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


def _deliver_chat(rows, now, outcome):
    for row in rows:
        try:
            with translation.override(_language(row)):
                chat.post(row.destination, row.title, row.message, _link(row))
        except Exception as error:  # noqa: BLE001 - recorded on the row (scrubbed of the URL), never lost
            _record_failure(row, error, now, outcome)
        else:
            outcome.sent.append(row)


def _record_failure(row, error, now, outcome, digest=False):
    row.error = f"{type(error).__name__}: {error}"[:2000]
    if is_permanent(error) or getattr(error, "permanent", False) or row.attempts >= settings.REMINDER_MAX_ATTEMPTS:
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
    due = set()
    for row in rows:
        if row.event:
            due.add(row.pk)  # a workflow notice never goes stale
        else:
            by_kind[row.kind].append(row)
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
    to_mail, to_chat, notify = [], [], []
    for row in rows:
        if row.pk not in due or (row.recipient_id and not row.recipient.is_active):
            outcome.cancelled.append(row)
        elif row.channel == NotificationChannel.CHAT:
            to_chat.append(row)
        elif row.channel == NotificationChannel.IN_APP:
            notify.append(row)
            outcome.sent.append(row)
        elif row.recipient_id:
            _sort_personal(row, notify, to_mail, outcome)
        else:
            to_mail.append(row)
    _deliver_chat(to_chat, now, outcome)
    _deliver(to_mail, now, connection or get_connection(), outcome)
    _record(token, outcome, now, notify)
    _report(outcome)
    return outcome


def _sort_personal(row, notify, to_mail, outcome):
    """A user's e-mail row: their preference decides (a notice that waits for their decision,
    or an overdue item, is always e-mailed at once). A reminder row is also its inbox entry;
    an event's inbox entry is its own in-app row."""
    if not row.event:
        notify.append(row)
    preference = row.recipient.email_notifications
    if not row.recipient.email or (preference == NotificationFrequency.OFF and not row.urgent):
        (outcome.cancelled if row.event else outcome.sent).append(row)  # in-app only
    elif preference == NotificationFrequency.DIGEST and not row.urgent:
        outcome.digest.append(row)
    else:
        to_mail.append(row)


def _report(outcome):
    """Tell the event types the final outcome of their e-mails (e.g. the vendor invitation's)."""
    for rows, method in ((outcome.sent, "delivered"), (outcome.failed, "failed")):
        for row in rows:
            if row.event and row.channel == NotificationChannel.EMAIL:
                try:
                    getattr(row.spec, method)(row)
                except Exception:  # noqa: BLE001 - the notice's own outcome is already recorded
                    logger.exception("Recording the outcome of outbox row %s failed", row.pk)


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
            "items": [(row.title, row.message, _link(row)) for row in rows],
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
    """Have a worker send the outbox once the current transaction commits (run in-process
    when tasks are eager, as in tests: the registered task is called, not a bare send)."""
    transaction.on_commit(lambda: current_app.tasks[SEND_TASK].delay(), robust=True)


def retry_failed(reminder_ids, now=None):
    """An admin sends failed reminders again (after fixing the mail server or address)."""
    count = Reminder.objects.filter(pk__in=reminder_ids, status=ReminderStatus.FAILED).update(
        status=ReminderStatus.PENDING, attempts=0, next_attempt_at=now or timezone.now(), claim_token=None
    )
    if count:
        enqueue_sending()
    return count
