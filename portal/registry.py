"""The one way a higher app extends a lower one.

A lower app declares a ``Registry`` (the use-case lifecycle, the hooks run on each change,
the roadmap gate checks, the panels of a page, the reminder kinds …). Higher apps fill it
from a single ``install()`` function that their ``AppConfig.ready()`` calls, so a lower app
never imports a higher one and reading ``install()`` shows everything an app adds.

Entries have a key. Adding an entry whose key is already there with the same value does
nothing (``ready()`` may run more than once, e.g. in tests); the same key with another value
is a configuration error, raised at start-up, so two apps cannot silently disagree about
the same row of a table.
"""

from django.core.exceptions import ImproperlyConfigured


def key_of(value):
    """The identity of a callable or a panel: where it is defined, not the object itself,
    so a panel instance made again by a second ``ready()`` counts as the same entry."""
    target = value if callable(value) and hasattr(value, "__qualname__") else type(value)
    return f"{target.__module__}.{target.__qualname__}"


def _same(existing, value):
    if existing is value or existing == value:
        return True
    # Two instances of one class without an equality of their own (panels) are one entry.
    return type(existing) is type(value) and type(value).__eq__ is object.__eq__


class Registry:
    """An ordered table of ``key -> value`` that higher apps add to at start-up.

    Iterating a registry gives its values in the order they were added (hooks, panels);
    tables read as mappings use ``items()``, ``get()`` and ``[key]``.
    """

    def __init__(self, name, description=""):
        self.name = name
        self.description = description
        self._entries = {}

    def add(self, key, value):
        """Add ``value`` under ``key``; once only (see the module docstring)."""
        if key in self._entries:
            if _same(self._entries[key], value):
                return self._entries[key]
            raise ImproperlyConfigured(
                f"{self.name}: {key!r} is already registered as {self._entries[key]!r}, not {value!r}."
            )
        self._entries[key] = value
        return value

    def register(self, value):
        """Add a callable or a panel, keyed by where it is defined; usable as a decorator."""
        self.add(key_of(value), value)
        return value

    def update(self, entries):
        """Add every ``key: value`` of a mapping (e.g. rows of a transition table)."""
        for key, value in dict(entries).items():
            self.add(key, value)

    def get(self, key, default=None):
        return self._entries.get(key, default)

    def __getitem__(self, key):
        return self._entries[key]

    def __contains__(self, key):
        return key in self._entries

    def __iter__(self):
        return iter(list(self._entries.values()))

    def __len__(self):
        return len(self._entries)

    def items(self):
        return list(self._entries.items())

    def keys(self):
        return list(self._entries)

    def values(self):
        return list(self._entries.values())

    def __repr__(self):
        return f"<Registry {self.name}: {len(self)} entries>"
