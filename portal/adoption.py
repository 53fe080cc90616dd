"""The adoption figures executives read (API and dashboard), computed in SQL.

Every function takes the filtered use cases (``AdoptionFilterSet(...).qs``) and returns plain
data; each runs a small fixed number of queries whatever the number of rows (aggregates and
GROUP BY, no Python loops over use cases). Vendor figures are organisation-wide; the
use-case filters do not narrow them.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import django_filters
from django import forms
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf, TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from governance.choices import PolicyVersionStatus, StageDecision
from governance.education import services as education
from governance.models import ApprovalStage, PolicyVersion, TrainingCourse
from portal.models import Department, department_name
from usecases.choices import (
    LIVE_STATES,
    STYLE_FAMILIES,
    STYLE_FAMILY,
    KpiDirection,
    RiskTier,
    RoadmapStep,
    UseCaseCategory,
    UseCaseStatus,
)
from usecases.models import BenefitRecord, CostSettings, Kpi, KpiMeasurement, UseCase
from vendors.choices import APPROVED_VENDOR_STATES, VendorStatus
from vendors.models import Vendor

MONEY = DecimalField(max_digits=20, decimal_places=2)
AGEING_BUCKETS = ((7, "0-7"), (14, "8-14"), (30, "15-30"))  # days since the stage started; older: "31+"
EXPIRY_WINDOWS = (30, 60, 90)
STYLE_LABELS = {**dict(STYLE_FAMILIES), "": _("Not set")}


DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class AdoptionFilterSet(django_filters.FilterSet):
    """Filters of every adoption figure: department, category, and when use cases were registered."""

    # distinct=False: these filter plain columns, and DISTINCT would fold equal durations in the median.
    department = django_filters.ModelMultipleChoiceFilter(
        queryset=Department.objects.all(), label=_("Department"), distinct=False
    )
    category = django_filters.MultipleChoiceFilter(choices=UseCaseCategory.choices, label=_("Category"), distinct=False)
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("Registered from"), widget=DATE_INPUT
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Registered until"), widget=DATE_INPUT
    )

    class Meta:
        model = UseCase
        fields = ["department", "category", "since", "until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["department"].label_from_instance = lambda department: department.localized_name

    def undated_qs(self):
        """The use cases filtered by all but the dates (the trend bounds its months by them instead)."""
        queryset = self.queryset
        for name in ("department", "category"):
            queryset = self.filters[name].filter(queryset, self.form.cleaned_data.get(name))
        return queryset

    def department_ids(self):
        return {department.pk for department in self.form.cleaned_data.get("department") or ()}

    def education(self):
        """Education figures follow the department filter (category and dates do not apply to people)."""
        return education_figures(self.department_ids())

    def trend(self):
        data = self.form.cleaned_data
        return trend(self.undated_qs(), since=data.get("since"), until=data.get("until"))


def _department_name(row):
    return department_name(row["department__name"], row["department__name_en"])


def _percent(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _conditional_counts(figures, prefix, choices):
    return [
        {"key": str(key), "label": str(label), "count": figures[f"{prefix}{index}"]}
        for index, (key, label) in enumerate(choices)
    ]


def _counts(queryset, field, choices):
    counts = dict(queryset.order_by().values_list(field).annotate(n=Count("id")))
    return [{"key": str(key), "label": str(label), "count": counts.get(key, 0)} for key, label in choices]


# --- Summary ---------------------------------------------------------------------------------


def summary(use_cases):
    """Two queries: every fixed breakdown as conditional counts of one aggregate, and the
    departments (an open list) grouped."""
    style = Case(
        *[When(intended_style=value, then=Value(family)) for value, family in STYLE_FAMILY.items()],
        default=Value(""),
        output_field=CharField(),
    )
    tier = Coalesce(NullIf(F("risk_tier_override"), Value("")), F("risk_tier"))
    breakdowns = {
        "status": ("status", UseCaseStatus.choices),
        "step": ("roadmap_step", RoadmapStep.choices),
        "category": ("category", [*UseCaseCategory.choices, ("", _("Not set"))]),
        "style": ("style_family", list(STYLE_LABELS.items())),
        "tier": ("tier", [*RiskTier.choices, ("", _("Not set"))]),
    }
    figures = (
        use_cases.order_by()
        .annotate(style_family=style, tier=tier)
        .aggregate(
            total=Count("id"),
            **{
                f"{name}{index}": Count("id", filter=Q(**{field: key}))
                for name, (field, choices) in breakdowns.items()
                for index, (key, _label) in enumerate(choices)
            },
        )
    )
    departments = (
        use_cases.order_by()
        .values("department_id", "department__name", "department__name_en")
        .annotate(n=Count("id"))
        .order_by("department__name")
    )
    return {
        "total": figures["total"],
        "by_status": _conditional_counts(figures, "status", breakdowns["status"][1]),
        "by_roadmap_step": _conditional_counts(figures, "step", breakdowns["step"][1]),
        "by_category": _conditional_counts(figures, "category", breakdowns["category"][1]),
        "by_department": [
            {"key": str(row["department_id"]), "label": _department_name(row), "count": row["n"]} for row in departments
        ],
        "by_style": _conditional_counts(figures, "style", breakdowns["style"][1]),
        "by_risk_tier": _conditional_counts(figures, "tier", breakdowns["tier"][1]),
    }


# --- Approvals -------------------------------------------------------------------------------


def _median(durations):
    """The median of a queryset of one duration column, by ordering and offset (2 small queries,
    the same on PostgreSQL and SQLite)."""
    count = durations.count()
    if not count:
        return None
    ordered = durations.order_by("duration")
    middle = list(ordered.values_list("duration", flat=True)[(count - 1) // 2 : count // 2 + 1])
    return sum(middle, datetime.timedelta()) / len(middle)


def approvals(use_cases):
    now = timezone.now()
    today = timezone.localdate()
    stages = ApprovalStage.objects.active().filter(use_case__in=use_cases)
    bucket = Case(
        *[
            When(started_at__gte=now - datetime.timedelta(days=days), then=Value(label))
            for days, label in AGEING_BUCKETS
        ],
        default=Value("31+"),
        output_field=CharField(),
    )
    ageing = dict(stages.annotate(bucket=bucket).order_by().values_list("bucket").annotate(n=Count("id")))
    overdue = Q(due_on__lt=today)
    groups = (
        stages.order_by()
        .values("group__name", "definition__name_ja", "definition__name_en")
        .annotate(pending=Count("id"), overdue=Count("id", filter=overdue))
        .order_by("group__name", "definition__name_ja")
    )
    english = (get_language() or "ja").startswith("en")
    rejected_on = ApprovalStage.objects.filter(use_case=OuterRef("pk"), decision=StageDecision.REJECT).values(
        "decided_at"
    )[:1]
    decided = (
        use_cases.filter(status__in=[*LIVE_STATES, UseCaseStatus.RETIRED, UseCaseStatus.REJECTED])
        .annotate(decided_at=Coalesce(F("approved_at"), Subquery(rejected_on)))
        .filter(decided_at__isnull=False, submitted_at__isnull=False)
        .annotate(duration=ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField()))
        .values("duration")
    )
    median = _median(decided)
    labels = [label for _days, label in AGEING_BUCKETS] + ["31+"]
    return {
        "pending": sum(ageing.values()),
        "overdue": sum(row["overdue"] for row in groups),
        "ageing": [{"bucket": label, "count": ageing.get(label, 0)} for label in labels],
        "by_group": [
            {
                "group": row["group__name"],
                "stage": (row["definition__name_en"] if english else "") or row["definition__name_ja"],
                "pending": row["pending"],
                "overdue": row["overdue"],
            }
            for row in groups
        ],
        "median_days_to_decision": None
        if median is None
        else (Decimal(median // datetime.timedelta(microseconds=1)) / Decimal(86_400_000_000)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        ),
    }


# --- Vendors ---------------------------------------------------------------------------------


def vendors():
    today = timezone.localdate()
    approved = Vendor.objects.filter(status__in=APPROVED_VENDOR_STATES, next_reassessment_on__isnull=False)
    windows = approved.aggregate(
        overdue=Count("id", filter=Q(next_reassessment_on__lt=today)),
        **{
            f"within_{days}": Count(
                "id",
                filter=Q(
                    next_reassessment_on__gte=today, next_reassessment_on__lte=today + datetime.timedelta(days=days)
                ),
            )
            for days in EXPIRY_WINDOWS
        },
    )
    from portal.choices import DataClassification

    return {
        "by_status": _counts(Vendor.objects.all(), "status", VendorStatus.choices),
        "by_approved_level": _counts(
            Vendor.objects.filter(status__in=APPROVED_VENDOR_STATES),
            "approved_level",
            [*DataClassification.choices, ("", _("Not set"))],
        ),
        "reassessment_due": {
            "overdue": windows["overdue"],
            **{f"within_{days}_days": windows[f"within_{days}"] for days in EXPIRY_WINDOWS},
        },
    }


# --- Cost and value ----------------------------------------------------------------------------


def cost_value(use_cases):
    """Estimated monthly spend of live use cases (closed vs self-hosted, stored per use case by
    ``usecases.economics.refresh_cost_estimates``), recorded benefits, ROI and KPI attainment."""
    settings_row = CostSettings.load()
    live = use_cases.filter(status__in=LIVE_STATES)
    zero = Value(Decimal(0), output_field=MONEY)
    months = (
        BenefitRecord.objects.filter(use_case=OuterRef("pk"))
        .order_by()
        .values("use_case")
        .annotate(n=Count("id"))
        .values("n")
    )
    monthly = (
        Coalesce(F("estimated_closed_cost"), zero)
        + Coalesce(F("estimated_self_hosted_cost"), zero)
        + Coalesce(F("other_monthly_cost"), zero)
    )
    costs = (
        live.order_by()
        .annotate(months=Coalesce(Subquery(months, output_field=IntegerField()), Value(0)))
        .values("department_id", "department__name", "department__name_en")
        .annotate(
            closed=Sum(Coalesce(F("estimated_closed_cost"), zero), output_field=MONEY),
            self_hosted=Sum(Coalesce(F("estimated_self_hosted_cost"), zero), output_field=MONEY),
            other=Sum(Coalesce(F("other_monthly_cost"), zero), output_field=MONEY),
            cost_over_months=Sum(ExpressionWrapper(monthly * F("months"), output_field=MONEY)),
            use_cases=Count("id"),
            not_estimated=Count("id", filter=Q(cost_estimated_at__isnull=True)),
        )
        .order_by("department__name")
    )
    hourly = Coalesce(F("use_case__hourly_rate"), Value(settings_row.hourly_rate, output_field=MONEY))
    benefits = dict(
        BenefitRecord.objects.filter(use_case__in=live)
        .order_by()
        .values("use_case__department_id")
        .annotate(
            total=Sum(
                ExpressionWrapper(F("hours_saved") * hourly + F("cost_saved") + F("revenue_gained"), output_field=MONEY)
            )
        )
        .values_list("use_case__department_id", "total")
    )
    rows, total = [], {key: Decimal(0) for key in ("closed", "self_hosted", "other", "cost_over_months", "benefit")}
    for row in costs:  # one row per department
        benefit = benefits.get(row["department_id"]) or Decimal(0)
        entry = {
            "department": row["department_id"],
            "department_name": _department_name(row),
            "use_cases": row["use_cases"],
            "not_estimated": row["not_estimated"],
            "closed": row["closed"],
            "self_hosted": row["self_hosted"],
            "other": row["other"],
            "monthly_total": row["closed"] + row["self_hosted"] + row["other"],
            "benefit": benefit,
            "cost_over_months": row["cost_over_months"] or Decimal(0),
        }
        entry["roi_percent"] = _roi(entry["benefit"], entry["cost_over_months"])
        rows.append(entry)
        for key in ("closed", "self_hosted", "other", "cost_over_months", "benefit"):
            total[key] += entry[key]
    total["monthly_total"] = total["closed"] + total["self_hosted"] + total["other"]
    total["roi_percent"] = _roi(total["benefit"], total["cost_over_months"])
    return {"currency": settings_row.currency, "total": total, "by_department": rows, "kpis": kpi_attainment(live)}


def _roi(benefit, cost):
    return _percent(benefit - cost, cost)


def kpi_attainment(use_cases):
    """KPIs with a target and a measurement, and how many of them the latest measurement reaches."""
    latest = KpiMeasurement.objects.filter(kpi=OuterRef("pk")).order_by("-measured_on", "-id").values("value")[:1]
    kpis = (
        Kpi.objects.filter(use_case__in=use_cases, target__isnull=False)
        .annotate(latest=Subquery(latest))
        .filter(latest__isnull=False)
    )
    reached = Q(direction=KpiDirection.INCREASE, latest__gte=F("target")) | Q(
        direction=KpiDirection.DECREASE, latest__lte=F("target")
    )
    figures = kpis.aggregate(measured=Count("id"), attained=Count("id", filter=reached))
    return {**figures, "attainment_percent": _percent(figures["attained"], figures["measured"])}


# --- Education ---------------------------------------------------------------------------------


def education_figures(departments=None):
    """Acknowledgement of each policy in force and completion of each active course, by department
    (queries per policy and course, not per person); only ``departments`` (ids) when given."""

    def only(rows):
        return rows if not departments else [row for row in rows if row["department_id"] in departments]

    versions = PolicyVersion.objects.filter(
        status=PolicyVersionStatus.PUBLISHED, document__is_active=True, document__requires_acknowledgement=True
    ).select_related("document")
    return {
        "policies": [
            {
                "key": version.document.key,
                "title": version.document.title,
                "version": version.number,
                "by_department": only(education.acknowledgement_rates(version)),
            }
            for version in versions
        ],
        "courses": [
            {"key": course.key, "title": course.title, "by_department": only(education.completion_rates(course))}
            for course in TrainingCourse.objects.filter(is_active=True)
        ],
    }


# --- Trend ---------------------------------------------------------------------------------------


TREND_EVENTS = {
    "created": "created_at",
    "approved": "approved_at",
    "in_production": "went_live_at",
    "retired": "retired_at",
}


def trend(use_cases, since=None, until=None):
    """Per month: use cases created, approved, gone live and retired (one query per event)."""
    months = {}
    for name, field in TREND_EVENTS.items():
        rows = use_cases.filter(**{f"{field}__isnull": False})
        if since:
            rows = rows.filter(**{f"{field}__date__gte": since})
        if until:
            rows = rows.filter(**{f"{field}__date__lte": until})
        for month, count in (
            rows.order_by()
            .annotate(month=TruncMonth(field))
            .values("month")
            .annotate(n=Count("id"))
            .values_list("month", "n")
        ):
            key = month.date() if isinstance(month, datetime.datetime) else month
            months.setdefault(key, dict.fromkeys(TREND_EVENTS, 0))[name] = count
    return [{"month": month, **counts} for month, counts in sorted(months.items())]
