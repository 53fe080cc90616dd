"""Audit events in the reader's language, without internal codes.

Events store codes: states (``draft``), field names (``title_ja``), raw values (``True``,
a choice value, a related row's id), group names (``it-review``) and rule ids. ``describe``
gives each event of a list what a page shows instead:

- ``from_label`` / ``to_label``: the states' labels (the model's ``status`` choices, or
  a choice set an app registered in ``STATE_LABELS``),
- ``change_rows``: ``[{"field", "before", "after"}]`` with the field's verbose name and the
  values as labels (choices, yes/no, related objects by their name, groups by their label),
- ``detail_rows``: ``[{"label", "value", "secondary"}]`` for the known keys of ``data``
  (a stage by its name, a rule by its title with the id as ``secondary``).

Lookups that need a higher app's models are registered from that app's ``install()``
(portal never imports them). Every lookup gets all the values of the page at once, so
describing 40 events costs the same queries as describing 5.
"""

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.registry import Registry
from portal.roles import Role

# "app_label.model" -> choices (``[(code, label), ...]``) of the states of that model's events,
# for models whose states are not the choices of a ``status`` field.
STATE_LABELS = Registry("portal.audit_display.STATE_LABELS", "audited model -> state choices")

# Lookups of codes a higher app knows: kind -> callable(set of codes) -> {code: label}.
# Kinds used here: "group" (a group's name), "stage" (a stage definition's code),
# "rule" (a rule id). An unknown code keeps a readable fallback, never a crash.
CODE_LABELS = Registry("portal.audit_display.CODE_LABELS", "kind of code -> batch label lookup")

# Keys of ``data`` shown as details: key -> (label, kind of code or None).
DATA_KEYS = Registry("portal.audit_display.DATA_KEYS", "audit data key -> (label, code kind)")
DATA_KEYS.update(
    {
        "stage": (_("Stage"), "stage"),
        "rule_id": (_("Rule"), "rule"),
        "rule": (_("Rule"), "rule"),
        "group": (_("Group"), "group"),
        "decision": (_("Decision"), "decision"),
        "assignee": (_("Assigned to"), None),
        "subject": (_("Subject"), None),
        "expires_on": (_("Expires on"), None),
    }
)

YES, NO = pgettext_lazy("audit value", "yes"), pgettext_lazy("audit value", "no")
EMPTY = "—"


def _model(event):
    content_type = ContentType.objects.get_for_id(event.content_type_id)  # cached
    return content_type.model_class(), f"{content_type.app_label}.{content_type.model}"


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _field_label(model, name):
    field = _field(model, name)
    if field is not None and getattr(field, "verbose_name", None):
        return capfirst(field.verbose_name)
    if name.endswith("_id"):
        return _field_label(model, name[:-3])
    return capfirst(name.replace("_", " "))


def _state_choices(model, key):
    choices = {}
    field = _field(model, "status")
    if field is not None and field.choices:
        choices.update(field.flatchoices)
    choices.update(STATE_LABELS.get(key, ()))
    return choices


def _batch(kind, codes):
    lookup = CODE_LABELS.get(kind)
    codes = {code for code in codes if code not in (None, "")}
    if lookup is None or not codes:
        return {}
    return lookup(codes)


def _groups(names):
    """Groups by their role's label or a registered label (a stage's name), else the name made readable."""
    labels = dict(Role.choices)
    labels.update(_batch("group", names))
    return {name: labels.get(name, name.replace("-", " ").replace("_", " ")) for name in names}


class _Pending:
    """Values to look up for the whole page, then to fill in."""

    def __init__(self):
        self.ids = {}  # related model -> set of ids
        self.codes = {}  # kind -> set of codes

    def want_id(self, model, value):
        self.ids.setdefault(model, set()).add(value)

    def want_code(self, kind, value):
        self.codes.setdefault(kind, set()).add(value)

    def resolve(self):
        objects = {}
        for model, ids in self.ids.items():
            clean = {int(value) for value in ids if str(value).isdigit()}
            rows = model._base_manager.in_bulk(clean) if clean else {}
            objects[model] = {str(pk): str(row) for pk, row in rows.items()}
        codes = {
            kind: (_groups(values) if kind == "group" else _batch(kind, values)) for kind, values in self.codes.items()
        }
        return objects, codes


def _plan_value(pending, field, value):
    """Note what ``value`` of ``field`` needs looked up; return a renderer of it."""
    if value is None or value == "" or value == []:
        return lambda objects, codes: EMPTY
    if isinstance(value, list):
        parts = [_plan_value(pending, field, item) for item in value]
        return lambda objects, codes: ", ".join(str(part(objects, codes)) for part in parts) or EMPTY
    if isinstance(value, bool) or (field is not None and isinstance(field, models.BooleanField)):
        truth = value if isinstance(value, bool) else str(value).lower() in {"true", "1", "yes"}
        return lambda objects, codes: YES if truth else NO
    if field is not None and field.choices:
        # A multiple-choice field (countries) has choices but no flat list of them.
        labels = dict(field.flatchoices or field.choices or ())
        return lambda objects, codes: labels.get(value, value)
    if field is not None and field.is_relation and field.related_model is Group:
        pending.want_code("group", str(value))
        return lambda objects, codes: codes.get("group", {}).get(str(value), value)
    if field is not None and field.is_relation and isinstance(value, int):
        related = field.related_model
        pending.want_id(related, value)
        return lambda objects, codes: objects.get(related, {}).get(str(value), EMPTY)
    return lambda objects, codes: value


def describe(events, *choice_sets):
    """Label the events of one page (a list is returned; see the module docstring).
    ``choice_sets`` add state labels (e.g. risk tiers recorded as states)."""
    extra = {}
    for choices in choice_sets:
        extra.update(choices.choices)
    events = list(events)
    pending = _Pending()
    plans = []
    for event in events:
        model, key = _model(event)
        states = {**extra, **_state_choices(model, key)}
        event.from_label = states.get(event.from_state, event.from_state)
        event.to_label = states.get(event.to_state, event.to_state)
        changes = []
        for name, values in (event.changes or {}).items():
            field = _field(model, name) or _field(model, name.removesuffix("_id"))
            before, after = (list(values) + [None, None])[:2] if isinstance(values, list) else (None, values)
            changes.append(
                (_field_label(model, name), _plan_value(pending, field, before), _plan_value(pending, field, after))
            )
        details = []
        data = event.data if isinstance(event.data, dict) else {}
        for data_key, (label, kind) in DATA_KEYS.items():
            value = data.get(data_key)
            if value in (None, ""):
                continue
            if kind:
                pending.want_code(kind, str(value))
            details.append((label, kind, str(value)))
        plans.append((event, changes, details))
    objects, codes = pending.resolve()
    for event, changes, details in plans:
        event.change_rows = [
            {"field": label, "before": before(objects, codes), "after": after(objects, codes)}
            for label, before, after in changes
        ]
        event.detail_rows = []
        for label, kind, value in details:
            shown = codes.get(kind, {}).get(value) if kind else value
            event.detail_rows.append(
                {"label": label, "value": shown or value, "secondary": value if kind == "rule" and shown else ""}
            )
    return events
