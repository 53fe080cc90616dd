"""What use cases return for their cost: benefits, ROI and KPI progress, per use case and for
the organisation. The cost side is ``usecases.economics``.

ROI (``roi``, the one definition the use-case pages, the organisation's page and the adoption
dashboard share) = (benefit - cost) / cost over the ROI period, the 12 calendar months up to and
including the current one (which counts in full): benefit = the benefits recorded for months in
the period (hours saved x the hourly rate + costs saved + revenue gained); cost = the running
monthly cost of the models in use (their hybrid roles and request shares) plus other monthly
costs, times the months of the period from the month the use case was approved (or from an
earlier month with a recorded benefit). No ROI (None, with a reason) when no benefit is recorded
for the period, or when that cost is zero.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from usecases.choices import LIVE_STATES, KpiDirection
from usecases.economics import Assumptions, estimate_cost, money, running_cost
from usecases.models import CostSettings, ExchangeRate
from vendors.choices import AIModelStatus
from vendors.models import AIModel

ROI_MONTHS = 12
ROI_NO_BENEFIT, ROI_NO_COST = "no_benefit", "no_cost"
ROI_REASONS = {
    ROI_NO_BENEFIT: _("No benefit is recorded for a month of the period yet."),
    ROI_NO_COST: _("The running cost over the period is zero (nothing live, or no cost estimated)."),
}


def this_month():
    """The first day of the current month (local time): the ROI period and the trends end by it."""
    return timezone.localdate().replace(day=1)


def add_months(month, count):
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_of(value):
    """The first day of the (local) month of a date or datetime; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return value.replace(day=1)


@dataclass(frozen=True)
class RoiPeriod:
    first: datetime.date  # first day of the first month
    last: datetime.date  # first day of the last month

    @property
    def first_month(self):
        return self.first

    @property
    def last_month(self):
        return self.last

    @property
    def months(self):
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def contains(self, month):
        return self.first <= month <= self.last

    def months_live(self, live_since, first_benefit=None):
        """The months of the period from ``live_since``'s month on, or from ``first_benefit``'s if
        earlier (a month with a benefit was a month of running); 0 when not live in it."""
        since = min(filter(None, (month_of(live_since), month_of(first_benefit))), default=None)
        if since is None or since > self.last:
            return 0
        start = max(since, self.first)
        return (self.last.year - start.year) * 12 + self.last.month - start.month + 1


def roi_period():
    """The 12 calendar months up to and including the current one (benefits may be recorded for
    the current month, so it belongs to the period; its cost counts in full)."""
    last = this_month()
    return RoiPeriod(add_months(last, 1 - ROI_MONTHS), last)


def roi(benefit, cost, benefit_recorded):
    """(fraction, reason): (benefit - cost) / cost, or (None, why not)."""
    if not benefit_recorded:
        return None, ROI_NO_BENEFIT
    if not cost:
        return None, ROI_NO_COST
    return (Decimal(benefit) - Decimal(cost)) / Decimal(cost), None


def percent(fraction):
    return None if fraction is None else (fraction * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class ReturnEstimate:
    hourly_rate: Decimal
    monthly_cost: Decimal
    months: list  # [{"month", "hours_saved", "hours_value", "cost_saved", "revenue_gained", "benefit", "in_period"}]
    total_benefit: Decimal  # recorded for months of the period
    total_cost: Decimal  # monthly cost x cost_months
    roi: Decimal | None  # a fraction: 0.25 is 25 %
    period: RoiPeriod = None
    cost_months: int = 0  # months of the period in which the use case was live (approved)
    roi_reason: str | None = None

    @property
    def roi_percent(self):
        return percent(self.roi)

    @property
    def roi_reason_text(self):
        return "" if self.roi_reason is None else str(ROI_REASONS[self.roi_reason])


def estimate_return(benefits, monthly_cost, hourly_rate, live_since=None, period=None):
    """The return over the ROI period (see the module): ``live_since`` is when the use case was
    approved (its running cost counts from that month); every recorded month is listed, only
    those of the period count."""
    period = period or roi_period()
    months = []
    for record in benefits:
        hours_value = record.hours_saved * hourly_rate
        benefit = hours_value + record.cost_saved + record.revenue_gained
        months.append(
            {
                "month": record.month,
                "hours_saved": record.hours_saved,
                "hours_value": money(hours_value),
                "cost_saved": record.cost_saved,
                "revenue_gained": record.revenue_gained,
                "benefit": money(benefit),
                "in_period": period.contains(month_of(record.month)),
            }
        )
    counted = [m for m in months if m["in_period"]]
    total_benefit = sum((m["benefit"] for m in counted), Decimal(0))
    cost_months = period.months_live(live_since, min((month_of(m["month"]) for m in counted), default=None))
    total_cost = (monthly_cost or Decimal(0)) * cost_months
    fraction, reason = roi(total_benefit, total_cost, bool(counted))
    return ReturnEstimate(
        hourly_rate,
        money(monthly_cost or 0),
        months,
        money(total_benefit),
        money(total_cost),
        fraction,
        period,
        cost_months,
        reason,
    )


def kpi_progress(kpi):
    """How far the latest measurement has moved from the baseline towards the target (%)."""
    points = [(m.measured_on, m.value) for m in kpi.measurements.all()]
    latest = points[-1][1] if points else None
    progress = None
    if None not in (latest, kpi.baseline, kpi.target) and kpi.target != kpi.baseline:
        progress = ((latest - kpi.baseline) / (kpi.target - kpi.baseline) * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    attained = None
    if latest is not None and kpi.target is not None:
        attained = latest >= kpi.target if kpi.direction == KpiDirection.INCREASE else latest <= kpi.target
    return {"kpi": kpi, "points": points, "latest": latest, "progress": progress, "attained": attained}


def organisation_totals(use_cases):
    """Running cost, recorded benefit and ROI of the live use cases in ``use_cases``, per use
    case, per department and overall (rows loaded in three queries, arithmetic as above)."""
    settings = CostSettings.load()
    rates = {rate.currency: rate.rate for rate in ExchangeRate.objects.all()}
    period = roi_period()
    rows, departments = [], {}
    total = {"closed": Decimal(0), "self_hosted": Decimal(0), "other": Decimal(0), "cost": Decimal(0)}
    total.update(benefit=Decimal(0), cost_over_months=Decimal(0))
    live = (
        use_cases.filter(status__in=LIVE_STATES)
        .select_related("department")
        .prefetch_related("model_choices__ai_model", "benefits")
        .order_by("department__name", "reference")
    )
    total["unpriced"] = 0
    for use_case in live:
        assumptions = Assumptions.load(use_case, settings, rates)
        running = running_cost(use_case, list(use_case.model_choices.all()), assumptions, blocked={})
        returns = estimate_return(
            list(use_case.benefits.all()), running["total"], assumptions.hourly_rate, use_case.approved_at, period
        )
        rows.append({"use_case": use_case, "running": running, "returns": returns})
        dept = departments.setdefault(
            use_case.department_id,
            {
                "name": use_case.department.localized_name,
                "cost": Decimal(0),
                "benefit": Decimal(0),
                "cost_over_months": Decimal(0),
                "unpriced": 0,
                "benefit_recorded": False,
            },
        )
        if running["total"] is None:
            # Request shares not set: its cost is unknown, so neither its cost nor its
            # benefit enters the sums (the count says how many were left out).
            dept["unpriced"] += 1
            total["unpriced"] += 1
            continue
        for bucket in (dept, total):
            bucket["cost"] += running["total"]
            bucket["benefit"] += returns.total_benefit
            bucket["cost_over_months"] += returns.total_cost
            bucket["benefit_recorded"] = bucket.get("benefit_recorded") or any(m["in_period"] for m in returns.months)
        total["closed"] += running["closed"]
        total["self_hosted"] += running["self_hosted"]
        total["other"] += running["other"]
    for bucket in (*departments.values(), total):
        bucket["roi"], bucket["roi_reason"] = roi(
            bucket["benefit"], bucket["cost_over_months"], bucket.pop("benefit_recorded", False)
        )
        bucket["roi_percent"] = percent(bucket["roi"])
        bucket["roi_reason_text"] = "" if bucket["roi_reason"] is None else str(ROI_REASONS[bucket["roi_reason"]])
    return {
        "currency": settings.currency,
        "period": period,
        "rows": rows,
        "departments": list(departments.values()),
        "total": total,
    }


def use_case_economics(use_case):
    """The cost picture, the return and the KPI progress of one use case."""
    choices = list(use_case.model_choices.select_related("ai_model__publisher", "ai_model__licence"))
    assumptions = Assumptions.load(use_case)
    # The policy checks read each candidate's vendor and licence.
    catalogue = AIModel.objects.filter(status=AIModelStatus.APPROVED).select_related("publisher", "licence")
    cost = estimate_cost(use_case, choices, assumptions, catalogue)
    benefits = list(use_case.benefits.all())
    kpis = [kpi_progress(kpi) for kpi in use_case.kpis.prefetch_related("measurements")]
    return {
        "cost": cost,
        "assumptions": assumptions,
        "returns": estimate_return(benefits, cost.running["total"], assumptions.hourly_rate, use_case.approved_at),
        "kpis": kpis,
        "chart": {
            "cost": cost.curve,
            "kpis": [
                {
                    "name": item["kpi"].name,
                    "unit": item["kpi"].unit,
                    "dates": [day.isoformat() for day, _value in item["points"]],
                    "values": [float(value) for _day, value in item["points"]],
                    "baseline": None if item["kpi"].baseline is None else float(item["kpi"].baseline),
                    "target": None if item["kpi"].target is None else float(item["kpi"].target),
                }
                for item in kpis
            ],
        },
    }
