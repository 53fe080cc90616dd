"""The audit trail export: one definition for the page (/governance/audit/export.csv) and the
API (/api/v1/audit-events/export.csv)."""

import contextlib
import json

from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.choices import AUDIT_ACTION_LABELS
from portal.exports import TableExport, labels, streamed

# What a row needs, read as tuples with the content type joined: no model instances.
COLUMNS = (
    "created_at",
    "actor_name",
    "action",
    "content_type__app_label",
    "content_type__model",
    "object_repr",
    "from_state",
    "to_state",
    "comment",
    "changes",
    "data",
)


def _rows(queryset):
    """The rows of the filtered ``queryset``; the action's label as ``AuditEvent.get_action_display``."""
    actions = labels(AUDIT_ACTION_LABELS.items())
    with contextlib.closing(streamed(queryset.values_list(*COLUMNS))) as items:
        for created_at, actor, action, app_label, model, obj, from_state, to_state, comment, changes, data in items:
            yield (
                timezone.localtime(created_at).isoformat(),
                actor,
                actions.get(action, action),
                f"{app_label}.{model}",
                obj,
                from_state,
                to_state,
                comment,
                json.dumps(changes, ensure_ascii=False) if changes else "",
                json.dumps(data, ensure_ascii=False) if data else "",
            )


AUDIT = TableExport(
    "audit",
    (
        gettext_lazy("When"),
        gettext_lazy("Who"),
        gettext_lazy("Action"),
        gettext_lazy("Object type"),
        gettext_lazy("Object"),
        gettext_lazy("From"),
        gettext_lazy("To"),
        gettext_lazy("Comment"),
        gettext_lazy("Changed fields"),
        gettext_lazy("Details"),
    ),
    _rows,
    formats=("csv",),  # the page offers CSV only
)
