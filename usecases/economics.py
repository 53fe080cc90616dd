"""Cost arithmetic of use cases, with every input kept so the page can show it.

Closed models cost ``requests x (input tokens x input price + output tokens x output price)
/ 1,000,000`` a month in the model's currency, converted into the reporting currency at an
editable rate. Self-hosting an open model costs a GPU setup a month (one per
``gpu_capacity_requests`` when that is set) plus an operations share of an engineer,
whatever the volume. The break-even volume is where the two meet. What the use cases return
for that cost (benefits, ROI, KPI progress) is in ``usecases.returns``.

The cost view follows the policy checks: a model that is blocked, whose vendor is rejected or
offboarded, or that a blocking policy finding refuses for this use case is marked as such and
never named the cheapest option. Request shares between models are never assumed: without
them each model is shown carrying the whole volume and the running total stays unknown.
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.registry import Registry
from usecases.choices import CLOSED_STYLES, IN_USE_ROLES, DeploymentStyle
from usecases.models import CostSettings, ExchangeRate, UseCase, UseCaseModel
from vendors.choices import AIModelStatus, Openness, VendorStatus
from vendors.models import AIModel

MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")
SCALES = (1, 2, 10)  # volume now, at 2x and at 10x
CURVE_POINTS = 11


def money(value):
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# Filled by the governance app at start-up, so this app does not depend on it:
# ``check(use_case, options) -> {(model_pk, deployment): [reason, ...]}`` gives, for each
# (model, deployment) of ``options``, the blocking policy findings it would raise on
# ``use_case`` (none covered by a valid exception).
POLICY_CHECKS = Registry("usecases.economics.POLICY_CHECKS", "check(use_case, options) -> reasons")

# Vendor states that rule a closed model out whatever the use case (the rule engine's
# "vendor.not-approved" only fires where the classification matrix asks for approval).
REFUSED_VENDOR_STATES = frozenset({VendorStatus.REJECTED, VendorStatus.OFFBOARDED})


def status_reasons(model, deployment):
    """Why ``model`` may not be used at all, from its own status and its vendor's (same
    wording as the matching policy findings, so the two merge)."""
    reasons = []
    if model.status == AIModelStatus.BLOCKED:
        reasons.append(str(_("Model blocked")))
    if deployment in CLOSED_STYLES and model.publisher.status in REFUSED_VENDOR_STATES:
        reasons.append(str(_("Vendor not approved")))
    return reasons


def blocked_reasons(use_case, options):
    """{(model_pk, deployment): [reason, ...]} for the ``options`` that may not be used on
    ``use_case``; options without a reason are absent."""
    found = {}
    for model, deployment in options:
        reasons = status_reasons(model, deployment)
        if reasons:
            found[(model.pk, deployment)] = reasons
    for check in POLICY_CHECKS:
        for key, reasons in check(use_case, options).items():
            merged = found.setdefault(key, [])
            merged.extend(str(reason) for reason in reasons if str(reason) not in merged)
    return {key: reasons for key, reasons in found.items() if reasons}


@dataclass(frozen=True)
class Assumptions:
    """The organisation's defaults with the use case's own values laid over them."""

    currency: str
    rates: dict  # {currency: units of the reporting currency per unit}
    gpu_monthly_cost: Decimal
    gpu_capacity_requests: int | None
    engineer_monthly_cost: Decimal
    operations_fte: Decimal
    hourly_rate: Decimal
    other_monthly_cost: Decimal = Decimal(0)

    @classmethod
    def load(cls, use_case=None, settings=None, rates=None):
        settings = settings or CostSettings.load()
        if rates is None:
            rates = {rate.currency: rate.rate for rate in ExchangeRate.objects.all()}
        own = use_case or object()
        return cls(
            currency=settings.currency,
            rates={**rates, settings.currency: Decimal(1)},
            gpu_monthly_cost=_first(getattr(own, "gpu_monthly_cost", None), settings.gpu_monthly_cost),
            gpu_capacity_requests=settings.gpu_capacity_requests,
            engineer_monthly_cost=Decimal(settings.engineer_monthly_cost),
            operations_fte=_first(getattr(own, "operations_fte", None), settings.operations_fte),
            hourly_rate=_first(getattr(own, "hourly_rate", None), settings.hourly_rate),
            other_monthly_cost=_first(getattr(own, "other_monthly_cost", None), 0),
        )

    def convert(self, amount, currency):
        """``amount`` in ``currency`` as the reporting currency, or None without a rate."""
        rate = self.rates.get(currency)
        return None if rate is None or amount is None else Decimal(amount) * Decimal(rate)


def _first(value, default):
    return Decimal(default if value is None else value)


def cost_per_request(model, input_tokens, output_tokens):
    """One request on ``model`` in the model's own currency (None without prices)."""
    if model.price_input_per_million is None or model.price_output_per_million is None:
        return None
    return (
        Decimal(input_tokens) * model.price_input_per_million + Decimal(output_tokens) * model.price_output_per_million
    ) / MILLION


def self_hosting_cost(assumptions, requests):
    """A month of self-hosting at ``requests`` a month: GPU setups plus the operations share."""
    setups = 1
    if assumptions.gpu_capacity_requests and requests:
        setups = max(1, math.ceil(Decimal(requests) / assumptions.gpu_capacity_requests))
    return setups * assumptions.gpu_monthly_cost + assumptions.operations_fte * assumptions.engineer_monthly_cost


def break_even_requests(per_request, assumptions):
    """The monthly volume from which self-hosting costs no more than the closed model
    (None when it never does, or the closed model costs nothing)."""
    if not per_request:
        return None
    operations = assumptions.operations_fte * assumptions.engineer_monthly_cost
    capacity = assumptions.gpu_capacity_requests
    if not capacity:
        return (assumptions.gpu_monthly_cost + operations) / per_request
    # With a capacity, each setup adds a step; self-hosting wins within step n when the
    # closed cost of the volume reaches n setups plus operations.
    for setups in range(1, 10_001):
        low, high = (setups - 1) * capacity, setups * capacity
        volume = max((setups * assumptions.gpu_monthly_cost + operations) / per_request, Decimal(low))
        if volume <= high:
            return volume
        if per_request * capacity <= assumptions.gpu_monthly_cost:
            return None  # each further setup costs more than the requests it takes over
    return None


@dataclass
class Candidate:
    label: str
    model: object
    deployment: str
    price_currency: str
    price_input: Decimal
    price_output: Decimal
    rate: Decimal | None
    per_request: Decimal | None  # in the reporting currency
    monthly: dict  # {scale: cost}
    break_even: Decimal | None
    per_request_own: Decimal | None = None  # in the model's currency
    monthly_own: dict = field(default_factory=dict)  # {scale: cost in the model's currency}
    blocked: list = field(default_factory=list)  # why it may not be used here (empty: allowed)
    reporting_currency: str = ""

    @property
    def monthly_now(self):
        return self.monthly.get(1)

    @property
    def allowed(self):
        return not self.blocked

    @property
    def price_input_converted(self):
        return None if self.rate is None or self.price_input is None else self.price_input * self.rate

    @property
    def price_output_converted(self):
        return None if self.rate is None or self.price_output is None else self.price_output * self.rate

    @property
    def foreign(self):
        """Priced in another currency than the reporting one (both amounts are shown)."""
        return self.rate is not None and self.price_currency != self.reporting_currency


@dataclass
class CostEstimate:
    currency: str
    requests: int | None
    input_tokens: int | None
    output_tokens: int | None
    assumptions: Assumptions
    candidates: list = field(default_factory=list)
    self_hosting: dict = field(default_factory=dict)  # {scale: cost}
    cheapest: dict = field(default_factory=dict)  # {scale: label}
    problems: list = field(default_factory=list)
    curve: dict = field(default_factory=dict)
    running: dict = field(default_factory=dict)

    @property
    def operations_cost(self):
        return money(self.assumptions.operations_fte * self.assumptions.engineer_monthly_cost)

    @property
    def blocked_candidates(self):
        return [c for c in self.candidates if c.blocked]

    @property
    def comparisons(self):
        """[(scale, requests, {label: cost}, cheapest label)] for the table."""
        rows = []
        for scale in SCALES:
            costs = {c.label: c.monthly.get(scale) for c in self.candidates}
            costs[str(SELF_HOSTING)] = self.self_hosting.get(scale)
            rows.append((scale, (self.requests or 0) * scale, costs, self.cheapest.get(scale)))
        return rows


SELF_HOSTING = _("Self-hosted open model")


def candidate_choices(use_case, choices, catalogue):
    """The priced models to compare: the use case's own models billed per token, or when
    it has none, every approved closed model with prices (``catalogue``)."""
    own = [
        (choice.ai_model, choice.deployment)
        for choice in choices
        if choice.deployment != DeploymentStyle.OPEN_SELF_HOSTED and choice.ai_model.price_input_per_million is not None
    ]
    if own:
        return own
    return [
        (model, DeploymentStyle.CLOSED_API)
        for model in catalogue
        if model.openness == Openness.CLOSED_API
        and model.status == AIModelStatus.APPROVED
        and model.price_input_per_million is not None
        and model.price_output_per_million is not None
    ]


def estimate_cost(use_case, choices, assumptions, catalogue=()):
    """The cost picture of ``use_case`` (``choices``: its UseCaseModel rows, models loaded)."""
    requests = use_case.monthly_requests
    tokens_in, tokens_out = use_case.avg_input_tokens, use_case.avg_output_tokens
    estimate = CostEstimate(assumptions.currency, requests, tokens_in, tokens_out, assumptions)
    volume_known = None not in (requests, tokens_in, tokens_out)
    if not volume_known:
        estimate.problems.append(_("Estimate the requests a month and the tokens per request to compare costs."))
    options = candidate_choices(use_case, choices, catalogue)
    blocked = blocked_reasons(use_case, [*options, *((c.ai_model, c.deployment) for c in choices)])
    for model, deployment in options:
        per_request_own = cost_per_request(model, tokens_in or 0, tokens_out or 0)
        rate = assumptions.rates.get(model.currency)
        if rate is None:
            estimate.problems.append(
                _("No exchange rate from %(currency)s is set; %(model)s cannot be costed.")
                % {"currency": model.currency, "model": model}
            )
        per_request = None if rate is None or per_request_own is None else per_request_own * rate
        monthly = monthly_own = {}
        if volume_known and per_request is not None:
            monthly = {scale: money(per_request * requests * scale) for scale in SCALES}
            monthly_own = {scale: money(per_request_own * requests * scale) for scale in SCALES}
        estimate.candidates.append(
            Candidate(
                label=str(model),
                model=model,
                deployment=deployment,
                price_currency=model.currency,
                price_input=model.price_input_per_million,
                price_output=model.price_output_per_million,
                rate=rate,
                per_request=per_request,
                monthly=monthly,
                break_even=money(break_even_requests(per_request, assumptions)) if per_request else None,
                per_request_own=per_request_own,
                monthly_own=monthly_own,
                blocked=blocked.get((model.pk, deployment), []),
                reporting_currency=assumptions.currency,
            )
        )
    if volume_known:
        estimate.self_hosting = {scale: money(self_hosting_cost(assumptions, requests * scale)) for scale in SCALES}
        for scale in SCALES:
            # Only options that may be used here compete for "cheapest".
            costs = [(c.monthly[scale], c.label) for c in estimate.candidates if c.monthly and c.allowed]
            costs.append((estimate.self_hosting[scale], str(SELF_HOSTING)))
            estimate.cheapest[scale] = min(costs, key=lambda option: option[0])[1]
        estimate.curve = _curve(estimate, assumptions)
    estimate.running = running_cost(use_case, choices, assumptions, blocked)
    return estimate


def _curve(estimate, assumptions):
    """Cost against volume for the chart: from zero to 10x today's volume (or past the
    furthest break-even), every candidate a line and self-hosting a (stepped) line."""
    break_evens = [c.break_even for c in estimate.candidates if c.break_even]
    top = max([Decimal(estimate.requests * 10), *(b * Decimal("1.2") for b in break_evens)]) or Decimal(1000)
    volumes = [int(top * i / (CURVE_POINTS - 1)) for i in range(CURVE_POINTS)]
    series = [
        {"label": _chart_label(c), "values": [float(money(c.per_request * v)) for v in volumes]}
        for c in estimate.candidates
        if c.per_request is not None
    ]
    series.append(
        {"label": str(SELF_HOSTING), "values": [float(money(self_hosting_cost(assumptions, v))) for v in volumes]}
    )
    return {"volumes": volumes, "series": series, "currency": estimate.currency}


def _chart_label(candidate):
    if candidate.allowed:
        return candidate.label
    return str(_("%(model)s (may not be used)") % {"model": candidate.label})


def running_cost(use_case, choices, assumptions, blocked=None, totals_only=False):
    """The monthly cost of the configuration in use: models with an in-use hybrid role (all
    chosen models before the decision), each taking its share of the requests; self-hosting
    counted once; plus other monthly costs.

    Shares are never assumed: one model in use takes all the requests, several need their
    shares set (on the intake form or the hybrid decision). Until then every line shows that
    model carrying the whole volume, and the closed, self-hosted and total figures are None.
    ``blocked``: ``blocked_reasons`` of the choices, to mark the lines (computed when None).
    ``totals_only``: no lines or problems, the same totals (the nightly refresh stores only these)."""
    decided = [c for c in choices if c.role]
    in_use = [c for c in decided if c.role in IN_USE_ROLES] if decided else list(choices)
    if blocked is None and not totals_only:
        blocked = blocked_reasons(use_case, [(c.ai_model, c.deployment) for c in in_use])
    requests = use_case.monthly_requests or 0
    tokens_in, tokens_out = use_case.avg_input_tokens or 0, use_case.avg_output_tokens or 0
    shares = _shares(in_use)
    known = shares is not None
    if not known:
        shares = {choice.pk: Decimal(100) for choice in in_use}  # each line: the whole volume
    lines, problems = [], []
    closed = self_hosted = Decimal(0)
    for choice in in_use:
        if choice.deployment == DeploymentStyle.OPEN_SELF_HOSTED:
            continue
        model = choice.ai_model
        per_request = cost_per_request(model, tokens_in, tokens_out)
        own = None if per_request is None else per_request * requests * shares[choice.pk] / 100
        cost = assumptions.convert(own, model.currency)
        if cost is None:
            if not totals_only:
                problems.append(
                    _("%(model)s has no token prices or exchange rate; its cost is not counted.") % {"model": model}
                )
            continue
        closed += cost
        if totals_only:
            continue
        lines.append(
            {
                "label": str(model),
                "share": money(shares[choice.pk]) if known else None,
                "cost": money(cost),
                "own_cost": money(own),
                "own_currency": model.currency,
                "full_volume": not known,
                "blocked": blocked.get((model.pk, choice.deployment), []),
            }
        )
    hosted = [c for c in in_use if c.deployment == DeploymentStyle.OPEN_SELF_HOSTED]
    if hosted:
        hosted_share = sum((shares[c.pk] for c in hosted), Decimal(0)) if known else Decimal(100)
        self_hosted = self_hosting_cost(assumptions, requests * hosted_share / 100)
    if hosted and not totals_only:
        reasons = []
        for choice in hosted:
            reasons.extend(r for r in blocked.get((choice.ai_model_id, choice.deployment), []) if r not in reasons)
        lines.append(
            {
                "label": str(SELF_HOSTING),
                "share": money(hosted_share) if known else None,
                "cost": money(self_hosted),
                "own_cost": None,
                "own_currency": assumptions.currency,
                "full_volume": not known,
                "blocked": reasons,
            }
        )
    other = assumptions.other_monthly_cost
    if other and not totals_only:
        lines.append(
            {
                "label": str(_("Other costs")),
                "share": None,
                "cost": money(other),
                "own_cost": None,
                "own_currency": assumptions.currency,
                "full_volume": False,
                "blocked": [],
            }
        )
    if not known and not totals_only:
        problems.append(
            _(
                "%(count)s models are in use but their shares of the requests are not set, so no running total "
                "is given: each line is that model taking all the requests. Set the shares on the intake form "
                "or in the hybrid decision."
            )
            % {"count": len(in_use)}
        )
    return {
        "lines": lines,
        "shares_set": known,
        "closed": money(closed) if known else None,
        "self_hosted": money(self_hosted) if known else None,
        "other": money(other),
        "total": money(closed + self_hosted + other) if known else None,
        "problems": problems,
    }


def _shares(in_use):
    """Each in-use model's percentage of the requests, or None when several models are in
    use and nobody set their shares (never split silently)."""
    if len(in_use) == 1 and in_use[0].request_share is None:
        return {in_use[0].pk: Decimal(100)}
    if any(choice.request_share is not None for choice in in_use):
        return {choice.pk: Decimal(choice.request_share or 0) for choice in in_use}
    return None if in_use else {}


REFRESH_CHUNK = 2000  # use cases read at a time
UPDATE_BATCH = 500  # changed rows per UPDATE (its CASE grows with the rows)
VALUES_BATCH = 2000  # changed rows per UPDATE ... FROM (VALUES ...) on PostgreSQL
VALUES_FROM = 100  # fewer changed rows (an edit, a quiet night) keep bulk_update
# What running_cost reads of a use case, then the stored estimate to compare with. The nightly
# pass reads plain rows, not model instances: building 100,000 instances cost most of its time.
REFRESH_FIELDS = (
    "pk",
    "monthly_requests",
    "avg_input_tokens",
    "avg_output_tokens",
    "gpu_monthly_cost",
    "operations_fte",
    "hourly_rate",
    "other_monthly_cost",
)
STORED_FIELDS = ("estimated_closed_cost", "estimated_self_hosted_cost", "cost_estimated_at")
CHOICE_FIELDS = ("use_case_id", "pk", "ai_model_id", "deployment", "role", "request_share")


@dataclass(frozen=True, slots=True)
class _Row:
    """A use case as running_cost and Assumptions.load read it."""

    pk: int
    monthly_requests: int | None
    avg_input_tokens: int | None
    avg_output_tokens: int | None
    gpu_monthly_cost: Decimal | None
    operations_fte: Decimal | None
    hourly_rate: Decimal | None
    other_monthly_cost: Decimal | None


@dataclass(frozen=True, slots=True)
class _Choice:
    """A chosen model as running_cost reads it."""

    pk: int
    ai_model_id: int
    deployment: str
    role: str
    request_share: Decimal | None
    ai_model: object


def refresh_cost_estimates(use_case_ids=None):
    """Store each use case's running monthly cost (closed and self-hosted parts) on its row,
    for the adoption figures. ``None``: every use case. Returns how many rows changed.

    Only rows whose estimate changed are written: a night when no price, rate or use case
    changed writes nothing (rewriting every row bloated the table and the WAL for nothing).
    So ``cost_estimated_at`` is when the stored estimate was last set, not last checked.
    Three queries per chunk of use cases, plus an UPDATE per batch of changed rows."""
    settings_row = CostSettings.load()
    rates = {rate.currency: rate.rate for rate in ExchangeRate.objects.all()}
    queryset = UseCase.objects.all() if use_case_ids is None else UseCase.objects.filter(pk__in=list(use_case_ids))
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    assumptions = {}  # by the use case's own overrides: most have none and share one
    changed = 0
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        # Every use case: a range of ids (a long IN list cost more to send than the rows).
        within = {"pk__in": chunk} if use_case_ids is not None else {"pk__gte": chunk[0], "pk__lte": chunk[-1]}
        rows = (
            UseCase.objects.filter(**within)
            .annotate(estimated=ExpressionWrapper(Q(cost_estimated_at__isnull=False), output_field=BooleanField()))
            .values_list(*REFRESH_FIELDS, *STORED_FIELDS[:2], "estimated")
        )
        choices = list(
            UseCaseModel.objects.filter(**{f"use_case_id{key[2:]}": value for key, value in within.items()})
            .order_by("use_case_id", "position", "id")
            .values_list(*CHOICE_FIELDS)
        )
        models = AIModel.objects.in_bulk({choice[2] for choice in choices})
        by_use_case = {}
        for use_case_id, *fields in choices:
            by_use_case.setdefault(use_case_id, []).append(_Choice(*fields, models[fields[1]]))
        stale = []
        for values in rows:
            use_case = _Row(*values[: len(REFRESH_FIELDS)])
            own = values[4 : len(REFRESH_FIELDS)]  # the use case's own cost overrides
            if own not in assumptions:
                assumptions[own] = Assumptions.load(use_case, settings_row, rates)
            running = running_cost(use_case, by_use_case.get(use_case.pk, []), assumptions[own], totals_only=True)
            estimate = _estimate(running, values[len(REFRESH_FIELDS) :], now)
            if estimate is not None:
                stale.append(UseCase(pk=use_case.pk, **dict(zip(STORED_FIELDS, estimate, strict=True))))
        if stale:
            _store_estimates(stale)
            changed += len(stale)
    return changed


def _store_estimates(stale):
    """Write the changed estimates of ``stale`` (unsaved UseCase instances holding them). On
    PostgreSQL one ``UPDATE ... FROM (VALUES ...)`` a batch: Django's ``bulk_update`` builds a
    CASE per field whose compiling and running grow with the rows (12 s for the 10,000 use cases
    of an import); elsewhere, and for a few rows, ``bulk_update``. Like it: no ``save()``, and
    ``updated_at`` untouched."""
    connection = connections[UseCase.objects.db]
    if connection.vendor != "postgresql" or len(stale) < VALUES_FROM:
        UseCase.objects.bulk_update(stale, STORED_FIELDS, batch_size=UPDATE_BATCH)
        return
    meta = UseCase._meta
    fields = [meta.pk, *(meta.get_field(name) for name in STORED_FIELDS)]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")"
    columns = ", ".join(quote(field.column) for field in fields)
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in fields[1:])
    key = quote(meta.pk.column)
    for start in range(0, len(stale), VALUES_BATCH):
        batch = stale[start : start + VALUES_BATCH]
        params = [
            field.get_db_prep_save(getattr(item, field.attname), connection) for item in batch for field in fields
        ]
        # Only the model's own quoted names and placeholders go into the text; values are parameters.
        sql = (
            f"UPDATE {quote(meta.db_table)} AS u SET {assignments} "  # noqa: S608
            f"FROM (VALUES {', '.join([row] * len(batch))}) AS v ({columns}) WHERE u.{key} = v.{key}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _estimate(running, stored, now):
    """The values to store from ``running`` (running_cost), or None when ``stored`` (the stored
    closed and self-hosted costs, and whether it is dated) holds them."""
    closed, self_hosted = running["closed"], running["self_hosted"]
    # Without request shares the cost is unknown: counted as not estimated, not as zero.
    known = running["total"] is not None
    if (closed, self_hosted, known) == stored:
        return None
    return closed, self_hosted, now if known else None
