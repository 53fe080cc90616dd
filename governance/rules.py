"""The policy rule engine: facts about a use case, its models and vendors in; findings out.

Each rule has a stable id (used by stored findings and exceptions), a severity and a
plain explanation in both languages (gettext, filled from the finding's facts). The
engine is pure: ``evaluate(context)`` reads only the ``CheckContext`` it is given, so
rules are tested as a table without the database.
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from governance.choices import FindingSeverity, MatrixVerdict
from portal.choices import DataClassification
from usecases.choices import (
    CLOSED_STYLES,
    OPEN_STYLES,
    STYLE_FAMILY,
    DeploymentStyle,
    RiskTier,
    UseCaseAudience,
    UseCaseCategory,
    UseCaseStyle,
)
from vendors.choices import APPROVED_VENDOR_STATES, AIModelStatus, LicenceRestriction, TrainingUse, VendorStatus

BLOCK, WARN, INFO = FindingSeverity.BLOCK, FindingSeverity.WARN, FindingSeverity.INFO
LEVEL_RANK = {level: rank for rank, level in enumerate(DataClassification.values)}
# Vendors that do not use our data for training (or let us opt out).
NO_TRAINING = frozenset({TrainingUse.NEVER, TrainingUse.OPT_IN, TrainingUse.OPT_OUT})


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    explanation: str
    # What to do about it, shown beside a blocking finding on the review page.
    resolve: str = ""

    def explain(self, facts):
        try:
            return str(self.explanation) % _display_facts(facts)
        except (KeyError, TypeError, ValueError):
            return str(self.explanation)


def _label(choices, value):
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# Facts are stored as codes and labelled when read, so a finding checked in one
# language reads in the reader's language.
LABELLED_FACTS = {
    "level": DataClassification,
    "approved_level": DataClassification,
    "style": DeploymentStyle,
    "intended_style": UseCaseStyle,
    "vendor_status": VendorStatus,
    "training_use": TrainingUse,
}


class AcceptableUseTrigger:
    """Why an acceptable-use policy matters to a use case (codes stored in the facts)."""

    CUSTOMER_FACING = "customer_facing"
    PUBLISHED = "published"
    PERSONAL_DATA = "personal_data"
    HIGH_RISK = "high_risk"
    LABELS = {
        CUSTOMER_FACING: _("it serves customers"),
        PUBLISHED: _("it produces content that is published"),
        PERSONAL_DATA: _("it processes personal data"),
        HIGH_RISK: _("it is high-risk (decisions about people)"),
    }


# Categories whose generated output is always published (ad copy, banners) even when only staff
# use the tool. Content/SEO work is also internal knowledge search, so there the answer to
# "customers see its generated content" decides.
PUBLISHING_CATEGORIES = frozenset({UseCaseCategory.CREATIVE})


def _user_limit_text(limit):
    if not limit:
        return str(_("the number is not recorded in the licence catalogue"))
    number = number_format(limit, decimal_pos=0, use_l10n=True, force_grouping=True)
    return str(_("at most %(number)s monthly active users") % {"number": number})


def _display_facts(facts):
    shown = dict(facts)
    for key, choices in LABELLED_FACTS.items():
        if key in shown:
            shown[key] = _label(choices, shown[key])
    if "approved_level" in shown and not shown["approved_level"]:
        shown["approved_level"] = "—"
    if "regions" in shown and not shown["regions"]:
        shown["regions"] = str(_("unknown regions"))
    if "country" in shown and not shown["country"]:
        shown["country"] = str(_("an unknown country"))
    if "user_limit" in shown:
        shown["user_limit"] = _user_limit_text(shown["user_limit"])
    if "triggers" in shown:
        shown["triggers"] = ", ".join(str(AcceptableUseTrigger.LABELS.get(code, code)) for code in shown["triggers"])
    if "deployments" in shown:
        shown["deployments"] = ", ".join(
            f"{model} ({_label(DeploymentStyle, style)})" for model, style in shown["deployments"]
        )
    return shown


RULES = {
    rule.id: rule
    for rule in (
        Rule(
            "classification.prohibited",
            BLOCK,
            _("Data level not allowed for this deployment"),
            _("%(level)s data may not be used with a model deployed as “%(style)s” (classification matrix)."),
            _("Choose a deployment the matrix allows for this data level, or use less sensitive data."),
        ),
        Rule(
            "classification.zero-retention",
            BLOCK,
            _("Zero retention required"),
            _(
                "%(level)s data may go to “%(style)s” only when the vendor keeps nothing; "
                "%(vendor)s does not offer zero retention."
            ),
            _("Choose a vendor or plan with zero retention, or a deployment that keeps the data in-house."),
        ),
        Rule(
            "classification.no-training",
            BLOCK,
            _("No training on our data required"),
            _(
                "%(level)s data may go to “%(style)s” only when the vendor does not train on it; "
                "%(vendor)s: %(training_use)s."
            ),
            _("Opt out of training with the vendor (record it on the vendor), or choose another vendor."),
        ),
        Rule(
            "vendor.not-approved",
            BLOCK,
            _("Vendor not approved"),
            _("%(level)s data may go to “%(style)s” only with an approved vendor; %(vendor)s is %(vendor_status)s."),
            _("Have the vendor assessed and approved, or choose a model of an approved vendor."),
        ),
        Rule(
            "vendor.approved-below-level",
            BLOCK,
            _("Vendor approved only for less sensitive data"),
            _("%(vendor)s is approved up to %(approved_level)s data, but this use case handles %(level)s data."),
            _("Have the vendor assessed for this data level, or use less sensitive data."),
        ),
        Rule(
            "vendor.assessment-expired",
            BLOCK,
            _("Vendor assessment expired"),
            _("The approval of %(vendor)s was due for reassessment on %(reassess_on)s; assess the vendor again."),
            _("Send the vendor a new assessment and have it decided."),
        ),
        Rule(
            "vendor.region-not-allowed",
            BLOCK,
            _("Data processed in a region not allowed"),
            _("%(vendor)s processes data in %(regions)s; %(level)s data may be processed only in %(allowed_regions)s."),
            _("Choose a processing region the data level allows, or another vendor or model."),
        ),
        Rule(
            "vendor.jurisdiction-not-allowed",
            BLOCK,
            _("Vendor under a jurisdiction not allowed"),
            _(
                "%(vendor)s has its headquarters in %(country)s and answers to that country's law; %(level)s data "
                "may go only to vendors headquartered in %(allowed_jurisdictions)s."
            ),
            _("Choose a vendor headquartered in an allowed country, or use less sensitive data."),
        ),
        Rule(
            "vendor.trains-on-data",
            BLOCK,
            _("Vendor trains on customer data without opt-out"),
            _("%(vendor)s uses customer data for training with no opt-out; not acceptable for %(level)s data."),
            _("Agree an opt-out with the vendor, or choose a vendor that does not train on our data."),
        ),
        Rule(
            "vendor.training-unknown",
            WARN,
            _("Vendor's training use unknown"),
            _("Whether %(vendor)s trains on customer data is not known; ask before %(level)s data goes there."),
            _("Ask the vendor and record its training use on the vendor's page."),
        ),
        Rule(
            "model.blocked",
            BLOCK,
            _("Model blocked"),
            _("%(model)s is blocked for use in the company."),
            _("Choose another model."),
        ),
        Rule(
            "model.restricted",
            WARN,
            _("Model restricted"),
            _("%(model)s is restricted; check the conditions on its page."),
            _("Check that the use meets the conditions on the model's page."),
        ),
        Rule(
            "licence.non-commercial",
            BLOCK,
            _("Non-commercial licence in a customer-facing use"),
            _("%(model)s is licensed under %(licence)s (non-commercial only); it may not serve customers."),
            _("Choose a model whose licence allows commercial use, or keep the use internal."),
        ),
        Rule(
            "licence.non-commercial-internal",
            WARN,
            _("Non-commercial licence in business use"),
            _(
                "%(model)s is licensed under %(licence)s (non-commercial only); even internal business use may "
                "count as commercial, so have legal review confirm this use."
            ),
            _("Have legal review confirm the use, or choose a commercially licensed model."),
        ),
        Rule(
            "licence.user-limit",
            WARN,
            _("Licence limits the number of users"),
            _(
                "%(model)s (%(licence)s) limits how many people may use it (%(user_limit)s); this use case serves "
                "customers, so count its users against the limit."
            ),
            _("Count the expected users against the licence's limit and record it."),
        ),
        Rule(
            "licence.acceptable-use",
            WARN,
            _("Licence acceptable-use policy applies"),
            _(
                "%(model)s (%(licence)s) may be used only within its acceptable-use policy, and this use case "
                "needs checking against it: %(triggers)s."
            ),
            _("Check the use against the licence's acceptable-use policy and note the result."),
        ),
        Rule(
            "licence.derivatives",
            WARN,
            _("Tuned model inherits the licence"),
            _(
                "This use case tunes %(model)s on our own data; a derived model inherits the obligations of "
                "%(licence)s, so have legal review them before the tuned model is used."
            ),
            _("Have legal review the licence obligations before the tuned model is used."),
        ),
        Rule(
            "licence.restrictions",
            WARN,
            _("Licence restrictions"),
            _("%(model)s (%(licence)s) comes with restrictions to check: %(restrictions)s"),
            _("Read the licence restrictions and confirm the use complies."),
        ),
        Rule(
            "licence.attribution",
            INFO,
            _("Attribution required"),
            _("%(model)s (%(licence)s) requires attribution or a notice where it is used or distributed."),
            _("Add the attribution or notice where the output is used or distributed."),
        ),
        Rule(
            "open.readiness-missing",
            WARN,
            _("Open-model readiness check not completed"),
            _(
                "%(model)s runs as an open model, but no adoption-readiness check for %(vendor)s has been completed "
                "(operations team, licence, incident handling, scope)."
            ),
            _("Complete the open-model readiness check for the vendor."),
        ),
        Rule(
            "privacy.personal-data",
            INFO,
            _("Personal data involved"),
            _("The use case involves personal data, so a privacy review is added to its approval."),
            _("Nothing to fix: the privacy review stage decides."),
        ),
        Rule(
            "content.no-human-check",
            WARN,
            _("Customer-facing output without a human check"),
            _("Customers see generated content, but nobody checks it first; add a person's final check."),
            _("Add a task where a person checks the output before customers see it."),
        ),
        Rule(
            "risk.prohibited",
            BLOCK,
            _("Prohibited AI practice"),
            _("The use case involves a practice the EU AI Act prohibits; it cannot be approved."),
            _("This practice cannot be approved; change the use case or withdraw it."),
        ),
        Rule(
            "usecase.style-contradiction",
            WARN,
            _("Intended style does not match the chosen models"),
            _(
                "The use case is meant to run as “%(intended_style)s”, but its models are deployed as: "
                "%(deployments)s. Correct the intended style or the models (a hybrid needs both a closed and an "
                "open model)."
            ),
            _("Correct the intended style or the chosen models so they match."),
        ),
        Rule(
            "usecase.no-model",
            INFO,
            _("No model chosen yet"),
            _("No model is chosen yet, so vendor, licence and model checks could not run."),
            _("Choose a model so the vendor, licence and model checks can run."),
        ),
    )
}


@dataclass(frozen=True)
class FindingResult:
    rule_id: str
    subject: str
    facts: dict

    @property
    def severity(self):
        return RULES[self.rule_id].severity

    @property
    def rule(self):
        return RULES[self.rule_id]

    @property
    def explanation(self):
        return self.rule.explain(self.facts)


@dataclass(frozen=True)
class MatrixCell:
    verdict: str
    require_vendor_approval: bool = False
    require_zero_retention: bool = False
    require_no_training: bool = False
    require_region: bool = False


@dataclass
class CheckContext:
    """Everything the rules read. Built from the database by ``governance.services``."""

    level: str  # data classification of the use case ("" when not chosen)
    audience: str
    personal_data: bool
    customers_see_output: bool
    human_checks_output: bool
    risk_tier: str
    intended_style: str
    # [(deployment, model), ...] with model.publisher and model.licence loaded.
    choices: list = field(default_factory=list)
    matrix: dict = field(default_factory=dict)  # {(level, style): MatrixCell}
    allowed_regions: dict = field(default_factory=dict)  # {level: [country codes]}
    allowed_jurisdictions: dict = field(default_factory=dict)  # {level: [country codes]} for headquarters
    category: str = ""
    tuned_on_own_data: bool = False
    ready_vendor_ids: frozenset = frozenset()  # publishers with a completed readiness check
    today: object = None


def _vendor_facts(vendor):
    return {
        "vendor": vendor.name,
        "vendor_status": vendor.status,
        "training_use": vendor.training_use,
        "approved_level": vendor.approved_level or "",
    }


def _acceptable_use_triggers(ctx, customer_facing):
    triggers = []
    if customer_facing:
        triggers.append(AcceptableUseTrigger.CUSTOMER_FACING)
    if ctx.category in PUBLISHING_CATEGORIES:
        triggers.append(AcceptableUseTrigger.PUBLISHED)
    if ctx.personal_data:
        triggers.append(AcceptableUseTrigger.PERSONAL_DATA)
    if ctx.risk_tier in (RiskTier.HIGH, RiskTier.PROHIBITED):
        triggers.append(AcceptableUseTrigger.HIGH_RISK)
    return triggers


def _style_contradiction(intended, deployments):
    """The (model, style) pairs that contradict the intended style, or [] when they agree.

    A single intended style expects every model deployed that way (the matrix judges each
    deployment, so a self-hosted model under "closed API" is a different check); a hybrid
    expects at least one closed and one open model."""
    if not intended or not deployments:
        return []
    pairs = [(str(model), style) for style, model in deployments]
    if intended == UseCaseStyle.HYBRID:
        families = {STYLE_FAMILY.get(style, style) for _model, style in pairs}
        return pairs if len(families) < 2 else []
    if intended not in DeploymentStyle.values:
        return []
    return [(model, style) for model, style in pairs if style != intended]


def _licence_findings(ctx, add, subject, licence, model_facts, customer_facing):
    """Only the restrictions that matter to this use case warn; attribution stays information."""
    kinds = set(licence.restriction_kinds or ())
    if licence.non_commercial_only:
        add("licence.non-commercial" if customer_facing else "licence.non-commercial-internal", subject, **model_facts)
    if LicenceRestriction.USER_LIMIT in kinds and customer_facing:
        add("licence.user-limit", subject, user_limit=licence.user_limit, **model_facts)
    triggers = _acceptable_use_triggers(ctx, customer_facing)
    if LicenceRestriction.ACCEPTABLE_USE in kinds and triggers:
        add("licence.acceptable-use", subject, triggers=triggers, **model_facts)
    if LicenceRestriction.DERIVATIVES in kinds and ctx.tuned_on_own_data:
        add("licence.derivatives", subject, **model_facts)
    if LicenceRestriction.OTHER in kinds:
        restrictions = licence.restrictions.strip()[:300] or str(licence.name)
        add("licence.restrictions", subject, restrictions=restrictions, **model_facts)
    if licence.attribution_required:
        add("licence.attribution", subject, **model_facts)


def evaluate(ctx):
    """Return the findings for ``ctx``, one per (rule, subject), most severe first."""
    today = ctx.today or timezone.localdate()
    results = {}

    def add(rule_id, subject="", **facts):
        results.setdefault((rule_id, subject), FindingResult(rule_id, subject, facts))

    level = ctx.level
    level_facts = {"level": level} if level else {}
    if ctx.risk_tier == RiskTier.PROHIBITED:
        add("risk.prohibited")
    if ctx.personal_data:
        add("privacy.personal-data")
    customer_facing = ctx.audience == UseCaseAudience.CUSTOMER_FACING or ctx.customers_see_output
    if ctx.customers_see_output and not ctx.human_checks_output:
        add("content.no-human-check")

    deployments = [(deployment, model) for deployment, model in ctx.choices]
    contradicting = _style_contradiction(ctx.intended_style, deployments)
    if contradicting:
        add(
            "usecase.style-contradiction",
            intended_style=ctx.intended_style,
            deployments=[[model, style] for model, style in contradicting],
        )
    if not deployments:
        add("usecase.no-model")
        if level and ctx.intended_style in DeploymentStyle.values:
            cell = ctx.matrix.get((level, ctx.intended_style))
            if cell is not None and cell.verdict == MatrixVerdict.PROHIBITED:
                add(
                    "classification.prohibited",
                    f"style:{ctx.intended_style}",
                    style=ctx.intended_style,
                    **level_facts,
                )

    for deployment, model in deployments:
        subject = f"model:{model.pk}"
        vendor = model.publisher
        licence = model.licence
        model_facts = {
            "model": str(model),
            "licence": licence.identifier,
            "style": deployment,
            **level_facts,
            **_vendor_facts(vendor),
        }
        if model.status == AIModelStatus.BLOCKED:
            add("model.blocked", subject, **model_facts)
        elif model.status == AIModelStatus.RESTRICTED:
            add("model.restricted", subject, **model_facts)
        _licence_findings(ctx, add, subject, licence, model_facts, customer_facing)
        if deployment in OPEN_STYLES and vendor.pk not in ctx.ready_vendor_ids:
            add("open.readiness-missing", subject, **model_facts)
        if not level:
            continue

        cell = ctx.matrix.get((level, deployment))
        vendor_subject = f"vendor:{vendor.pk}"
        leaves = deployment in CLOSED_STYLES  # the publisher processes our data
        approved = vendor.status in APPROVED_VENDOR_STATES
        if cell is not None and cell.verdict == MatrixVerdict.PROHIBITED:
            add("classification.prohibited", f"style:{deployment}", **model_facts)
        elif cell is not None and cell.verdict == MatrixVerdict.CONDITIONAL:
            if cell.require_vendor_approval and not approved:
                add("vendor.not-approved", vendor_subject, **model_facts)
            if cell.require_zero_retention and not vendor.zero_retention_available:
                add("classification.zero-retention", vendor_subject, **model_facts)
            if cell.require_no_training and vendor.training_use not in NO_TRAINING:
                add("classification.no-training", vendor_subject, **model_facts)
        if not leaves:
            continue
        # Rules on where our data goes, whatever the matrix cell says.
        if approved and vendor.approved_level and LEVEL_RANK[vendor.approved_level] < LEVEL_RANK[level]:
            add("vendor.approved-below-level", vendor_subject, **model_facts)
        if approved and vendor.next_reassessment_on and vendor.next_reassessment_on < today:
            add(
                "vendor.assessment-expired",
                vendor_subject,
                reassess_on=vendor.next_reassessment_on.isoformat(),
                **model_facts,
            )
        sensitive = LEVEL_RANK[level] >= LEVEL_RANK[DataClassification.CONFIDENTIAL]
        allowed = set(ctx.allowed_regions.get(level) or ())
        regions = {str(country) for country in vendor.processing_regions}
        region_rule = sensitive or (cell is not None and cell.require_region)
        if region_rule and allowed and (not regions or not regions <= allowed):
            add(
                "vendor.region-not-allowed",
                vendor_subject,
                regions=", ".join(sorted(regions)),
                allowed_regions=", ".join(sorted(allowed)),
                **model_facts,
            )
        jurisdictions = set(ctx.allowed_jurisdictions.get(level) or ())
        country = str(vendor.headquarters_country or "")
        if region_rule and jurisdictions and country not in jurisdictions:
            add(
                "vendor.jurisdiction-not-allowed",
                vendor_subject,
                country=country,
                allowed_jurisdictions=", ".join(sorted(jurisdictions)),
                **model_facts,
            )
        if sensitive and vendor.training_use == TrainingUse.NO_OPT_OUT:
            add("vendor.trains-on-data", vendor_subject, **model_facts)
        elif sensitive and vendor.training_use == TrainingUse.UNKNOWN:
            add("vendor.training-unknown", vendor_subject, **model_facts)

    severity_order = {BLOCK: 0, WARN: 1, INFO: 2}
    return sorted(results.values(), key=lambda f: (severity_order[f.severity], f.rule_id, f.subject))
