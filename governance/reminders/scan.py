"""The scan: every item due today (or earlier and not yet covered) becomes outbox rows.

Idempotent: the rows' unique key makes a second scan, or one on another host, add nothing.
"""

import datetime
from itertools import islice

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from governance.choices import URGENT_STEPS, ReminderStep
from governance.models import Reminder, ReminderSetting
from governance.reminders.kinds import KINDS


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
