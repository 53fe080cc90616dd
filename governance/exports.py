"""The audit trail export: one definition for the page (/governance/audit/export.csv) and the
API (/api/v1/audit-events/export.csv)."""

import json

from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.exports import TableExport, each


def _row(event):
    return (
        timezone.localtime(event.created_at).isoformat(),
        event.actor_name,
        event.get_action_display(),
        f"{event.content_type.app_label}.{event.content_type.model}",
        event.object_repr,
        event.from_state,
        event.to_state,
        event.comment,
        json.dumps(event.changes, ensure_ascii=False) if event.changes else "",
        json.dumps(event.data, ensure_ascii=False) if event.data else "",
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
    each(_row),
    formats=("csv",),  # the page offers CSV only
)
