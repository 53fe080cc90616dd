"""Workflow events: an app says what happened; the outbox turns it into notices.

Any app, at any floor, announces an event with ``publish()`` inside the transaction that
makes the change. The notification outbox (installed by a higher app from its
``AppConfig.ready()``) is a sink in ``EVENT_SINKS``: it writes one outbox row per recipient
and channel in that same transaction, so a rolled-back change notifies nobody, and the
event's ``key`` makes a second ``publish()`` of the same occurrence add nothing.

This module imports no domain app: the lower apps (vendors, use cases) notify through it
without knowing who delivers, how, or in which channel.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from portal.registry import Registry

EVENT_SINKS = Registry("portal.events.EVENT_SINKS", "sink(event): records an event's notices in the outbox")


@dataclass(frozen=True)
class Event:
    """One occurrence of a workflow event.

    ``name``: dotted, stable, e.g. ``usecase.submitted``, ``stage.decided``.
    ``subject``: the model instance the event is about (its page is the notice's link).
    ``key``: unique for this occurrence, e.g. ``"usecase.submitted:42:7"`` (the use case and
    its submission count); the outbox sends each (key, recipient, channel) once.
    ``recipients``: user ids and/or e-mail addresses of people outside the portal; an empty
    tuple lets the sink work out who is concerned from ``name`` and ``subject``.
    ``actor``: the user who caused it (never notified of their own action), or None.
    ``params``: JSON-serialisable details the notice texts use.
    """

    name: str
    subject: object
    key: str
    recipients: tuple = ()
    actor: object = None
    params: dict = field(default_factory=dict)


def publish(name, subject, *, key, recipients=(), actor=None, **params):
    """Announce an event; must run inside the transaction of the change it reports."""
    if not transaction.get_connection().in_atomic_block:
        raise ImproperlyConfigured(f"publish({name!r}) must run inside the transaction of the change.")
    if not len(EVENT_SINKS):
        raise ImproperlyConfigured("No event sink is installed: the notification outbox app is missing.")
    event = Event(name=name, subject=subject, key=key, recipients=tuple(recipients), actor=actor, params=params)
    for sink in EVENT_SINKS:
        sink(event)
    return event
