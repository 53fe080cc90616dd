"""Tests that look at what a service publishes, or that leave notices out, put one sink of
their own in place of the outbox's for the test (``monkeypatch`` undoes it)."""

from portal import events
from portal.registry import Registry


def capture_events(monkeypatch):
    """The events ``portal.events.publish`` is given from now on, in order (no outbox rows)."""
    seen = []
    sinks = Registry("test sinks")
    sinks.add("capture", seen.append)
    monkeypatch.setattr(events, "EVENT_SINKS", sinks)
    return seen


def drop_events(monkeypatch):
    """Published events go nowhere: for tests about something else (reminders)."""
    capture_events(monkeypatch)
