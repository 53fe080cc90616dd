import pytest

from tests.events import capture_events


@pytest.fixture
def captured(monkeypatch):
    """The events ``portal.events.publish`` was given, in order, through a test sink in place
    of the outbox's (the comment tests ask for it)."""
    return capture_events(monkeypatch)
