"""``portal.events.publish``: only inside the change's transaction, and only with an outbox installed."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from portal import events
from portal.registry import Registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(monkeypatch):
    seen = []
    sinks = Registry("test sinks")
    sinks.add("capture", seen.append)
    monkeypatch.setattr(events, "EVENT_SINKS", sinks)
    return seen


def test_publish_hands_the_event_to_every_sink(captured):
    with transaction.atomic():
        event = events.publish("usecase.submitted", "subject", key="usecase.submitted:1:1", recipients=[3], reason="x")
    assert captured == [event]
    assert (event.name, event.key, event.recipients, event.params) == (
        "usecase.submitted",
        "usecase.submitted:1:1",
        (3,),
        {"reason": "x"},
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_publish_outside_a_transaction_is_refused(captured):
    with pytest.raises(ImproperlyConfigured, match="inside the transaction"):
        events.publish("usecase.submitted", "subject", key="k")
    assert captured == []


def test_publish_without_an_outbox_is_a_configuration_error(monkeypatch):
    monkeypatch.setattr(events, "EVENT_SINKS", Registry("empty"))
    with transaction.atomic(), pytest.raises(ImproperlyConfigured, match="No event sink"):
        events.publish("usecase.submitted", "subject", key="k")
