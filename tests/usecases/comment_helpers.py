"""Shared set-up of the comment tests (the ``captured`` event sink is in conftest.py)."""

from governance import services as governance
from tests.factories import UseCaseFactory
from usecases import services as usecase_services


def comment_events(captured, name=None):
    return [event for event in captured if event.name.startswith("comment.") and (name is None or event.name == name)]


def submitted(owner, **fields):
    use_case = UseCaseFactory(complete=True, owner=owner, **fields)
    return usecase_services.submit(use_case, owner)


def decide(use_case, reviewer, decision="request_changes", comment="根拠を追記してください。"):
    stage = governance.active_stage(use_case)
    return governance.decide_stage(stage, reviewer, decision, comment)
