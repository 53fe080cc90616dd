"""The sink of ``portal.events.publish``: an event becomes outbox rows, in the change's transaction.

Recipients: those the publisher named (user ids, or e-mail addresses of outsiders), else the
event type's defaults; the actor is dropped, and people away are replaced by their delegate
(``governance.delegation.route``). Each user gets an in-app row and an e-mail row (the sender
applies their preference); an address gets an e-mail row; each active chat destination of the
event's review groups or department gets a chat row. ``bulk_create(ignore_conflicts=True)`` on
the unique (event key, recipient, channel): publishing the same key again adds nothing.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation

from governance.choices import NotificationChannel, ReminderKind, ReminderStep
from governance.delegation import route
from governance.models import ChatDestination, Reminder
from governance.notify.registry import EVENT_TYPES
from governance.reminders.outbox import display_name, enqueue_sending


def event_type(name):
    spec = EVENT_TYPES.get(name)
    if spec is None:
        raise ImproperlyConfigured(f"Unknown event {name!r}: add its EventType to governance.notify.EVENT_TYPES.")
    return spec


def _people(event, spec):
    named = event.recipients or tuple(spec.recipients(event))
    user_ids = [value for value in named if isinstance(value, int) and not isinstance(value, bool)]
    emails = list(dict.fromkeys(value.strip() for value in named if isinstance(value, str) and value.strip()))
    actor_id = getattr(event.actor, "pk", None)
    user_ids = [pk for pk in route([pk for pk in dict.fromkeys(user_ids) if pk != actor_id]) if pk != actor_id]
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).only("pk", "email", "language")
    return list(users), emails


def destinations(event, spec):
    if spec.chat == "group":
        groups = spec.chat_groups(event)
        return list(ChatDestination.objects.filter(is_active=True, group_id__in=groups)) if groups else []
    if spec.chat == "department":
        department = spec.chat_department(event)
        return list(ChatDestination.objects.filter(is_active=True, department_id=department)) if department else []
    return []


def sink(event):
    """Write the outbox rows of ``event`` (see the module docstring); returns them."""
    spec = event_type(event.name)
    now = timezone.now()
    users, emails = _people(event, spec)
    object_repr, url = spec.describe(event.subject)
    params = spec.prepare(event)
    if event.actor is not None and not params.get("actor"):
        # In each reader's name order (family name first in Japanese).
        params["actor"] = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                params["actor"][language] = display_name(event.actor)
    common = {
        "kind": ReminderKind.EVENT,
        "step": ReminderStep.BEFORE,
        "content_type": ContentType.objects.get_for_model(type(event.subject)),
        "object_id": event.subject.pk,
        "object_repr": object_repr,
        "due_on": timezone.localdate(now),
        "urgent": spec.decision_waiting,
        "url": url,
        "params": params,
        "event": event.name,
        "event_key": event.key,
        "created_at": now,
        "next_attempt_at": now,
    }
    rows = []
    for user in users:
        key = f"user:{user.pk}"
        if spec.in_app:
            rows.append(Reminder(recipient=user, recipient_key=key, channel=NotificationChannel.IN_APP, **common))
        if user.email:
            rows.append(Reminder(recipient=user, recipient_key=key, channel=NotificationChannel.EMAIL, **common))
    language = params.get("language", "")
    for email in emails:
        rows.append(
            Reminder(
                email=email,
                language=language,
                recipient_key=f"email:{email.lower()}",
                channel=NotificationChannel.EMAIL,
                **common,
            )
        )
    for destination in destinations(event, spec):
        rows.append(
            Reminder(
                destination=destination,
                language=destination.language,
                recipient_key=f"chat:{destination.pk}",
                channel=NotificationChannel.CHAT,
                **common,
            )
        )
    if rows:
        Reminder.objects.bulk_create(rows, ignore_conflicts=True)
        enqueue_sending()
    return rows
