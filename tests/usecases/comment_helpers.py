"""Shared set-up of the comment tests: a capturing event sink and a use case in review."""

import pytest

from governance import services as governance
from portal import events
from portal.registry import Registry
from tests.factories import UseCaseFactory
from usecases import services as usecase_services


@pytest.fixture
def captured(monkeypatch):
    """The events published, in order (the outbox's real sink is installed at merge)."""
    seen = []
    sinks = Registry("test sinks")
    sinks.add("capture", seen.append)
    monkeypatch.setattr(events, "EVENT_SINKS", sinks)
    return seen


def comment_events(captured, name=None):
    return [event for event in captured if event.name.startswith("comment.") and (name is None or event.name == name)]


def submitted(owner, **fields):
    use_case = UseCaseFactory(complete=True, owner=owner, **fields)
    return usecase_services.submit(use_case, owner)


def decide(use_case, reviewer, decision="request_changes", comment="根拠を追記してください。"):
    stage = governance.active_stage(use_case)
    return governance.decide_stage(stage, reviewer, decision, comment)
