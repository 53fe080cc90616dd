import pytest

from portal import events
from portal.registry import Registry


@pytest.fixture
def captured(monkeypatch):
    """The events ``portal.events.publish`` was given, in order, through a test sink in place
    of the outbox's (the comment tests ask for it)."""
    seen = []
    sinks = Registry("test sinks")
    sinks.add("capture", seen.append)
    monkeypatch.setattr(events, "EVENT_SINKS", sinks)
    return seen
