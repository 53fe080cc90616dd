"""The inventory export: one definition for the page (/usecases/export.csv, .xlsx) and the API
(/api/v1/use-cases/export.csv, .xlsx)."""

import contextlib
import datetime

from django.db.models import CharField, F, Func
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exports import TableExport, labels, streamed
from portal.models import department_name
from usecases.choices import RiskTier
from usecases.models import UseCase

# What a row needs, read as tuples with the department and owner joined: no model instances;
# then the submitted and updated times (UtcText).
COLUMNS = (
    "reference",
    "title",
    "status",
    "department__name",
    "department__name_en",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "category",
    "audience",
    "data_classification",
    "involves_personal_data",
    "risk_tier_override",
    "risk_tier",
    "intended_style",
    "roadmap_step",
    "monthly_requests",
    "avg_input_tokens",
    "avg_output_tokens",
)


class UtcText(Func):
    """A timestamp as ISO text in UTC, written by PostgreSQL: psycopg parses timestamps through
    Django's loader in Python, which costs more than the rest of the row. Elsewhere, the stored
    value as it comes (SQLite keeps UTC text already)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"""to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')""", params


def _local(value, zone):
    """A UTC timestamp (UtcText: text, or SQLite's naive datetime) as ISO text in ``zone``, as
    ``localtime(value).isoformat()``."""
    moment = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(zone).isoformat()


def _choices(name):
    return labels(UseCase._meta.get_field(name).flatchoices)


def _rows(queryset):
    """The rows of the filtered, scoped, ordered ``queryset``, with the cells the model's
    ``get_FOO_display``, ``department.localized_name`` and ``str(owner)`` would give."""
    status, category, audience = _choices("status"), _choices("category"), _choices("audience")
    classification, style = _choices("data_classification"), _choices("intended_style")
    tiers = labels(RiskTier.choices)
    yes, no = _("yes"), _("no")
    departments = {}
    zone = timezone.get_current_timezone()  # once: timezone.localtime() looks it up per call
    timestamps = UtcText(F("submitted_at")), UtcText(F("updated_at"))
    with contextlib.closing(streamed(queryset.values_list(*COLUMNS, *timestamps))) as items:
        for (
            reference,
            title,
            status_code,
            department,
            department_en,
            first_name,
            last_name,
            username,
            category_code,
            audience_code,
            classification_code,
            personal,
            tier_override,
            tier,
            style_code,
            step,
            requests,
            input_tokens,
            output_tokens,
            submitted_at,
            updated_at,
        ) in items:
            name = departments.get((department, department_en))
            if name is None:
                name = departments[department, department_en] = department_name(department, department_en)
            tier = tier_override or tier  # the effective tier, as UseCase.effective_risk_tier
            yield (
                reference,
                title,
                status.get(status_code, status_code),
                name,
                f"{first_name} {last_name}".strip() or username,  # User.__str__ (get_full_name or username)
                category.get(category_code, category_code),
                audience.get(audience_code, audience_code),
                classification.get(classification_code, classification_code),
                yes if personal else no,
                tiers[tier] if tier else "",
                style.get(style_code, style_code),
                step,
                requests,
                input_tokens,
                output_tokens,
                _local(submitted_at, zone) if submitted_at else "",
                _local(updated_at, zone),
            )


INVENTORY = TableExport(
    "use-cases",
    (
        gettext_lazy("Reference"),
        gettext_lazy("Title"),
        gettext_lazy("Status"),
        gettext_lazy("Department"),
        gettext_lazy("Owner"),
        gettext_lazy("Category"),
        gettext_lazy("Audience"),
        gettext_lazy("Input data classification"),
        gettext_lazy("Involves personal data"),
        # The effective tier: a reviewer's override where there is one, as the list and the API show.
        gettext_lazy("Risk tier"),
        gettext_lazy("Intended style"),
        gettext_lazy("Roadmap step"),
        gettext_lazy("Requests a month"),
        gettext_lazy("Average input tokens"),
        gettext_lazy("Average output tokens"),
        gettext_lazy("Submitted on"),
        gettext_lazy("Updated on"),
    ),
    _rows,
)
