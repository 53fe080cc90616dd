"""``EVENT_TYPES``: event name -> ``EventType``, what the sink needs to notify an event.

An app adds its types from its ``wiring.install()``:
``EVENT_TYPES.add("incident.opened", IncidentOpened())``. A published name that is not in
the table is a configuration error (``ImproperlyConfigured``) raised by ``publish()``.

An ``EventType`` subclass says:

- ``title`` and ``message``: lazy translated texts, formatted with ``%(object)s`` (the
  subject's one-line description), ``%(actor)s`` and the event's params; rendered in each
  recipient's language (bilingual params may be given as ``{"ja": ..., "en": ...}``);
- ``recipients(event)``: user ids told when ``publish()`` names nobody;
- ``describe(subject)``: ``(one-line description, path of the page the notice links to)``;
- ``decision_waiting``: True when the notice asks the recipient to decide (always e-mailed
  at once, whatever their preference: it cannot be turned off);
- ``chat``: ``"group"`` (the review groups of ``chat_groups(event)``), ``"department"``
  (``chat_department(event)``, by default the use case's) or None (no chat message);
- ``in_app``: False for notices to people outside the portal (no inbox);
- optional ``prepare(event)`` (params stored on the row: JSON, secrets encrypted),
  ``link(row)`` (absolute URL), ``email(row)`` ((subject, text) instead of the standard
  notice), and ``delivered(row)`` / ``failed(row)`` (outcome callbacks of e-mail rows).

This module imports no model, so the models can read texts through it.
"""

from django.conf import settings
from django.utils import translation

from portal.registry import Registry

EVENT_TYPES = Registry("governance.notify.EVENT_TYPES", "event name -> EventType: texts, recipients, link, chat")


class EventType:
    title = ""
    message = ""
    decision_waiting = False
    chat = None  # "group" | "department" | None
    in_app = True

    def recipients(self, event):
        return []

    def describe(self, subject):
        use_case = getattr(subject, "use_case", subject)
        reference = getattr(use_case, "reference", "")
        text = f"{reference} {getattr(use_case, 'title', '') or use_case}".strip()
        for target in (subject, use_case):  # a comment without a page of its own links to its use case
            if hasattr(target, "get_absolute_url"):
                return text[:200], target.get_absolute_url()
        return text[:200], ""

    def prepare(self, event):
        return dict(event.params)

    def chat_groups(self, event):
        return []

    def chat_department(self, event):
        use_case = getattr(event.subject, "use_case", event.subject)
        return getattr(use_case, "department_id", None)

    # --- texts, in the current language -------------------------------------------------

    def _format(self, row):
        language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
        params = {}
        for name, value in (row.params or {}).items():
            if isinstance(value, dict):
                value = value.get(language) or value.get("en") or next(iter(value.values()), "")
            params[name] = value
        return _Params({**params, "object": row.object_repr})

    def title_for(self, row):
        return str(self.title) % self._format(row)

    def message_for(self, row):
        return str(self.message) % self._format(row)

    def link(self, row):
        return settings.SITE_URL.rstrip("/") + row.url if row.url else ""

    def email(self, row):
        return None

    def delivered(self, row):
        pass

    def failed(self, row):
        pass


class _Params(dict):
    """A detail the publisher did not give reads as empty, never as a failed notice."""

    def __missing__(self, key):
        return ""
