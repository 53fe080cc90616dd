"""The one extension mechanism: entries added once, conflicts refused at start-up."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.registry import Registry, key_of


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
