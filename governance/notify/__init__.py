"""Workflow notices: the sink of ``portal.events.publish`` and the table of event types.

``sink`` (installed into ``portal.events.EVENT_SINKS`` by ``governance.wiring.install()``)
turns each published event into outbox rows of ``governance.Reminder`` (kind ``event``), in
the transaction of the change: one row per (event key, recipient, channel), unique, so a
second ``publish()`` of the same key adds nothing and a rolled-back change leaves no row.
The reminder outbox's sender (``governance.reminders.outbox``) sends them: the same claim,
retry with backoff, failure recorded, daily digest. See ``registry`` for the interface an
app implements to add event types (``EVENT_TYPES``), ``types`` for the base ones.
"""
