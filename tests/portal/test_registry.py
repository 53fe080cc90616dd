"""The one extension mechanism: entries added once, conflicts refused at start-up."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from governance.reminders import kinds as reminders
from portal.api.exceptions import RULE_VIOLATION_BODIES
from portal.choices import AUDIT_ACTION_LABELS
from portal.registry import Registry, key_of
from usecases import economics, extensions, querysets, roadmap, services
from vendors import extensions as vendor_extensions


def hook_one(use_case, user):
    return "one"


def hook_two(use_case, user):
    return "two"


class Panel:
    template_name = "x.html"


def test_adding_the_same_entry_twice_keeps_one():
    hooks = Registry("test.hooks")
    hooks.register(hook_one)
    hooks.register(hook_one)
    hooks.register(hook_two)
    assert list(hooks) == [hook_one, hook_two]


def test_a_panel_made_again_by_a_second_ready_counts_once():
    panels = Registry("test.panels")
    first = panels.register(Panel())
    panels.register(Panel())
    assert list(panels) == [first]


def test_two_apps_disagreeing_about_one_row_is_refused():
    table = Registry("test.transitions")
    table.update({("draft", "submit"): ("submitted", "owner")})
    table.update({("draft", "submit"): ("submitted", "owner")})
    with pytest.raises(ImproperlyConfigured, match="draft"):
        table.add(("draft", "submit"), ("approved", "owner"))
    assert table[("draft", "submit")] == ("submitted", "owner")
    assert table.get(("draft", "nothing")) is None
    assert dict(table.items()) == {("draft", "submit"): ("submitted", "owner")}


def test_keys_name_where_a_callable_is_defined():
    assert key_of(hook_one) == f"{__name__}.hook_one"
    assert key_of(Panel()) == f"{__name__}.Panel"


def _sizes():
    """How many entries each registry the apps fill at start-up holds."""
    tables = {
        "transitions": services.TRANSITIONS,
        "actor rules": services.ACTOR_RULES,
        "actor labels": services.ACTOR_LABELS,
        "change hooks": services.CHANGE_HOOKS,
        "transition hooks": services.TRANSITION_HOOKS,
        "child prefetches": querysets.CHILD_PREFETCHES,
        "policy checks": economics.POLICY_CHECKS,
        "detail panels": extensions.DETAIL_PANELS,
        "form panels": extensions.FORM_PANELS,
        "history labellers": extensions.HISTORY_LABELLERS,
        "vendor panels": vendor_extensions.DETAIL_PANELS,
        "reminder kinds": reminders.KINDS,
        "audit actions": AUDIT_ACTION_LABELS,
        "API bodies of refusals": RULE_VIOLATION_BODIES,
    }
    tables |= {f"gate {step}": checks for step, checks in roadmap.GATE_CHECKS.items()}
    tables |= {f"org {step}": checks for step, checks in roadmap.ORG_CHECKS.items()}
    return {name: len(table) for name, table in tables.items()}


def test_making_the_apps_ready_again_adds_nothing():
    before = _sizes()
    for label in ("vendors", "usecases", "governance", "governance"):
        apps.get_app_config(label).ready()
    assert _sizes() == before
    assert before["transitions"] > 0 and before["change hooks"] > 0 and before["gate 6"] > 0
    assert before["API bodies of refusals"] == 3


def test_the_assembled_lifecycle_refuses_a_conflicting_row():
    key = next(iter(services.TRANSITIONS.keys()))
    to_state, who = services.TRANSITIONS[key]
    with pytest.raises(ImproperlyConfigured, match="TRANSITIONS"):
        services.TRANSITIONS.add(key, (to_state, "somebody else"))
    assert services.TRANSITIONS[key] == (to_state, who)
