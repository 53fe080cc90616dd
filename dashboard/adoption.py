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
    DateTimeField,
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
    Window,
)
from django.db.models.functions import Coalesce, NullIf, RowNumber, Sign, TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from governance.choices import StageDecision
from governance.education import services as education
from governance.education.choices import PolicyVersionStatus
from governance.models import ApprovalStage, PolicyVersion, TrainingCourse
from portal.choices import DataClassification
from portal.models import Department, department_name
from usecases import returns, roadmap
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

# What each figure counts, its formula and its period: the one text the dashboard shows next to
# the figure and the API schema gives as the field's description.
DEFINITIONS = {
    "total": _(
        "Use cases: every use case the filters select, in any state. The filters are the department, "
        "the category and the registration date (from, until)."
    ),
    "by_status": _("Use cases of the selection per state of the workflow."),
    "by_roadmap_step": _(
        "Use cases in progress at each roadmap step: rejected, withdrawn and retired ones are not counted, so "
        "the steps add up to fewer than the total. The same count as the roadmap page and its API."
    ),
    "by_category": _("Use cases of the selection per category (empty: not set)."),
    "by_department": _("Use cases of the selection per owning department."),
    "by_style": _("Use cases of the selection per intended style: closed AI, open model, hybrid (empty: not set)."),
    "by_risk_tier": _(
        "Use cases of the selection per risk tier: a reviewer's override where one is recorded, else the "
        "computed tier (empty: not assessed yet)."
    ),
    "pending": _(
        "Waiting for a decision: approval stages of the selected use cases that have started and are not "
        "decided. Overdue: their due date is before today."
    ),
    "ageing": _("Waiting approval stages by the days since the stage started (today)."),
    "median_days_to_decision": _(
        "Median days from submission to decision: for the selected use cases approved or rejected (at any "
        "time), the days from their first submission to the final approval or the rejection; the middle "
        "value, or the mean of the two middle values. Never negative: a decision cannot be dated before its "
        "submission. Empty when no use case was decided."
    ),
    "spend": _(
        "Estimated spend a month: for live use cases (approved, piloting, in production), the running monthly "
        "cost of the models in use (closed models: requests x tokens x price, converted into the reporting "
        "currency; self-hosting: GPU setups plus an operations share) plus other monthly costs. An estimate "
        "at today's prices and volumes, not an invoice."
    ),
    "benefit": _(
        "Benefit over the ROI period: the benefits recorded for months of the period by live use cases "
        "(hours saved x hourly rate + costs saved + revenue gained)."
    ),
    "cost_over_months": _(
        "Cost over the ROI period: each live use case's running monthly cost times the months of the period "
        "from the month it was approved, or from an earlier month with a recorded benefit (the current month "
        "in full), whether or not it records benefits."
    ),
    "roi_percent": _(
        "ROI over the period (the 12 calendar months up to and including the current one) = (benefit - cost) / "
        "cost x 100. Empty, with a reason, when no benefit is recorded for the period or the cost is zero."
    ),
    "roi_reason": _("Why there is no ROI: no_benefit (no benefit recorded for the period), no_cost (cost zero)."),
    "without_benefit": _("Live use cases that recorded no benefit for the period (their cost still counts)."),
    "kpis": _(
        "KPIs on target: of the KPIs of live use cases with a target and at least one measurement, those whose "
        "latest measurement reaches the target (at or above it when higher is better, at or below when lower "
        "is better)."
    ),
    "vendors": _(
        "Vendors, organisation-wide (the filters do not apply). Reassessment due: approved vendors whose next "
        "reassessment date has passed (overdue) or falls within 30, 60 or 90 days from today."
    ),
    "trend": _(
        "Per calendar month (local time): use cases registered, approved, gone live and retired that month. "
        "Every month from the first with an event to the current month (or to the until date), months "
        "without events shown as zeros. Department and category filter the use cases; the dates bound the "
        "events."
    ),
    "education": _(
        "Acknowledgement: active people of each department who acknowledged the policy version in force. "
        "Completion: active people with an unexpired completion of each active course. Only the department "
        "filter applies."
    ),
}


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
            # The roadmap's own count (use cases in progress), so every page shows the same figures.
            **roadmap.step_count_aggregates("step"),
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
        "by_roadmap_step": [
            {"key": str(step), "label": str(label), "count": figures[f"step{step}"]}
            for step, label in RoadmapStep.choices
        ],
        "by_category": _conditional_counts(figures, "category", breakdowns["category"][1]),
        "by_department": [
            {"key": str(row["department_id"]), "label": _department_name(row), "count": row["n"]} for row in departments
        ],
        "by_style": _conditional_counts(figures, "style", breakdowns["style"][1]),
        "by_risk_tier": _conditional_counts(figures, "tier", breakdowns["tier"][1]),
    }


# --- Approvals -------------------------------------------------------------------------------


def _median(durations):
    """The median of a queryset of one duration column: the one or two middle rows by rank, in one
    query (window functions, the same on PostgreSQL and SQLite), so the durations are computed once."""
    ranked = durations.annotate(
        rows=Window(Count("*")), position=Window(RowNumber(), order_by=F("duration").asc())
    ).order_by()
    # 1-based ranks (n + 1) // 2 and n // 2 + 1: the middle row, or the two middle rows when n is even.
    middle = list(
        ranked.filter(position__gte=(F("rows") + 1) / 2, position__lte=F("rows") / 2 + 1).values_list(
            "duration", flat=True
        )
    )
    if not middle:
        return None
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
        # The services refuse a decision dated before its submission; a row written around them
        # (an old import) is left out rather than counted as a negative time.
        .filter(decided_at__gte=F("submitted_at"))
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
    ``usecases.economics.refresh_cost_estimates``), benefits, ROI over the ROI period
    (``usecases.returns``: the same definition as the use-case pages) and KPI attainment."""
    settings_row = CostSettings.load()
    period = returns.roi_period()
    live = use_cases.filter(status__in=LIVE_STATES)
    zero = Value(Decimal(0), output_field=MONEY)
    monthly = (
        Coalesce(F("estimated_closed_cost"), zero)
        + Coalesce(F("estimated_self_hosted_cost"), zero)
        + Coalesce(F("other_monthly_cost"), zero)
    )
    # One row per department, month of approval and first month with a benefit in the period: the
    # running cost counts from the earlier of the two (usecases.returns.RoiPeriod.months_live).
    first_benefit = (
        BenefitRecord.objects.filter(use_case=OuterRef("pk"), month__gte=period.first, month__lte=period.last)
        .order_by("month")
        .values("month")[:1]
    )
    costs = {}
    for row in (
        live.order_by()
        .annotate(
            live_since=TruncMonth(Coalesce(F("approved_at"), F("created_at"))),
            first_benefit=Subquery(first_benefit),
        )
        .values("department_id", "department__name", "department__name_en", "live_since", "first_benefit")
        .annotate(
            closed=Sum(Coalesce(F("estimated_closed_cost"), zero), output_field=MONEY),
            self_hosted=Sum(Coalesce(F("estimated_self_hosted_cost"), zero), output_field=MONEY),
            other=Sum(Coalesce(F("other_monthly_cost"), zero), output_field=MONEY),
            monthly=Sum(ExpressionWrapper(monthly, output_field=MONEY)),
            use_cases=Count("id"),
            not_estimated=Count("id", filter=Q(cost_estimated_at__isnull=True)),
        )
        .order_by("department__name", "department_id", "live_since", "first_benefit")
    ):
        department = costs.setdefault(
            row["department_id"],
            {
                **{key: row[key] for key in ("department_id", "department__name", "department__name_en")},
                **{key: Decimal(0) for key in ("closed", "self_hosted", "other", "cost_over_months")},
                "use_cases": 0,
                "not_estimated": 0,
                "recording": 0,  # use cases with a benefit in the period: those with a first benefit
            },
        )
        for key in ("closed", "self_hosted", "other", "use_cases", "not_estimated"):
            department[key] += row[key]
        if row["first_benefit"] is not None:
            department["recording"] += row["use_cases"]
        department["cost_over_months"] += (row["monthly"] or Decimal(0)) * period.months_live(
            row["live_since"], row["first_benefit"]
        )
    hourly = Coalesce(F("hourly_rate"), Value(settings_row.hourly_rate, output_field=MONEY))
    value = F("benefits__hours_saved") * hourly + F("benefits__cost_saved") + F("benefits__revenue_gained")
    # From the use cases joined to their benefits of the period: one pass over the use cases (not
    # two, as ``BenefitRecord ... use_case__in=live`` took), and a plain sum (no COUNT DISTINCT,
    # whose sort spilled to disk): who recorded is known from the first benefits above.
    benefits = dict(
        live.filter(benefits__month__gte=period.first, benefits__month__lte=period.last)
        .order_by()
        .values("department_id")
        .annotate(total=Sum(ExpressionWrapper(value, output_field=MONEY)))
        .values_list("department_id", "total")
    )
    keys = ("closed", "self_hosted", "other", "cost_over_months", "benefit")
    rows, total = [], {key: Decimal(0) for key in keys}
    total.update(use_cases=0, without_benefit=0)
    for row in costs.values():  # one row per department
        benefit = benefits.get(row["department_id"]) or Decimal(0)
        entry = {
            "department": row["department_id"],
            "department_name": _department_name(row),
            "use_cases": row["use_cases"],
            "not_estimated": row["not_estimated"],
            "without_benefit": row["use_cases"] - row["recording"],
            "closed": row["closed"],
            "self_hosted": row["self_hosted"],
            "other": row["other"],
            "monthly_total": row["closed"] + row["self_hosted"] + row["other"],
            "benefit": benefit,
            "cost_over_months": row["cost_over_months"],
        }
        entry.update(_roi(entry["benefit"], entry["cost_over_months"], row["recording"]))
        rows.append(entry)
        for key in (*keys, "use_cases", "without_benefit"):
            total[key] += entry[key]
    total["monthly_total"] = total["closed"] + total["self_hosted"] + total["other"]
    total.update(_roi(total["benefit"], total["cost_over_months"], total["use_cases"] - total["without_benefit"]))
    return {
        "currency": settings_row.currency,
        "period": period,
        "total": total,
        "by_department": rows,
        "kpis": kpi_attainment(live),
    }


def _roi(benefit, cost, recording):
    fraction, reason = returns.roi(benefit, cost, bool(recording))
    return {
        "roi_percent": returns.percent(fraction),
        "roi_reason": reason,
        "roi_reason_text": "" if reason is None else str(returns.ROI_REASONS[reason]),
    }


def kpi_attainment(use_cases):
    """KPIs with a target and a measurement, and how many of them the latest measurement reaches."""
    # The latest measurement's side of the target, as the sign of (latest - target) x direction
    # (1 or 0: reached; -1: not; empty: never measured), grouped on: the latest measurement is
    # looked up once per KPI (filtering and counting on it made PostgreSQL look it up twice).
    direction = Case(
        When(direction=KpiDirection.INCREASE, then=Value(1)),
        When(direction=KpiDirection.DECREASE, then=Value(-1)),
        default=Value(None),
    )
    side = (
        KpiMeasurement.objects.filter(kpi=OuterRef("pk"))
        .order_by("-measured_on", "-id")
        .annotate(
            side=Coalesce(
                Sign(
                    ExpressionWrapper(
                        (F("value") - OuterRef("target")) * OuterRef("direction_sign"), output_field=MONEY
                    )
                ),
                Value(-1),
                output_field=IntegerField(),
            )
        )
        .values("side")[:1]
    )
    counts = dict(
        Kpi.objects.filter(use_case__in=use_cases, target__isnull=False)
        .annotate(direction_sign=direction)
        .annotate(side=Subquery(side, output_field=IntegerField()))
        .order_by()
        .values("side")
        .annotate(n=Count("id"))
        .values_list("side", "n")
    )
    measured = sum(n for side, n in counts.items() if side is not None)
    figures = {"measured": measured, "attained": counts.get(1, 0) + counts.get(0, 0)}
    return {**figures, "attainment_percent": _percent(figures["attained"], figures["measured"])}


# --- Education ---------------------------------------------------------------------------------


def education_figures(departments=None):
    """Acknowledgement of each policy in force and completion of each active course, by department
    (three queries whatever their number); only ``departments`` (ids) when given."""

    def only(rows):
        return rows if not departments else [row for row in rows if row["department_id"] in departments]

    versions = list(
        PolicyVersion.objects.filter(
            status=PolicyVersionStatus.PUBLISHED, document__is_active=True, document__requires_acknowledgement=True
        ).select_related("document")
    )
    courses = list(TrainingCourse.objects.filter(is_active=True))
    rates = education.rates_by_department(
        [(("policy", v.pk), v.document, education.acknowledged(v)) for v in versions]
        + [(("course", c.pk), c, education.trained(c)) for c in courses]
    )
    return {
        "policies": [
            {
                "key": version.document.key,
                "title": version.document.title,
                "version": version.number,
                "by_department": only(rates[("policy", version.pk)]),
            }
            for version in versions
        ],
        "courses": [
            {"key": course.key, "title": course.title, "by_department": only(rates[("course", course.pk)])}
            for course in courses
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
    """Per month: use cases created, approved, gone live and retired (one query: the use cases
    grouped by the months of their four events, each left empty outside ``since``/``until``).
    Every month from the first with an event (not before ``since``) to the current one (or
    ``until``'s, if earlier), months without events as zeros, so the axis is a calendar."""
    event_months = {}
    for name, field in TREND_EVENTS.items():
        within = Q(**{f"{field}__isnull": False})
        if since:
            within &= Q(**{f"{field}__date__gte": since})
        if until:
            within &= Q(**{f"{field}__date__lte": until})
        event_months[f"{name}_month"] = Case(When(within, then=TruncMonth(field)), output_field=DateTimeField())
    months = {}
    for row in use_cases.order_by().annotate(**event_months).values(*event_months).annotate(n=Count("id")):
        for name in TREND_EVENTS:
            month = row[f"{name}_month"]
            if month is not None:
                key = month.date() if isinstance(month, datetime.datetime) else month
                months.setdefault(key, dict.fromkeys(TREND_EVENTS, 0))[name] += row["n"]
    if not months:
        return []
    month, last = min(months), returns.this_month()
    if until:
        last = min(last, until.replace(day=1))
    last = max(last, max(months))
    filled = []
    while month <= last:
        filled.append({"month": month, **months.get(month, dict.fromkeys(TREND_EVENTS, 0))})
        month = returns.add_months(month, 1)
    return filled
