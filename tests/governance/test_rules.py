"""The policy rule engine, as tables.

Two levels:

* the pure engine (``governance.rules.evaluate`` on a hand-built ``CheckContext`` of unsaved
  model instances): every rule is produced, every explanation renders in both languages;
* ``governance.checks.run_checks`` against the DEFAULT seeded policy (the migrations'
  classification matrix, allowed regions and licences are in the test database): the 16
  matrix cells, the hybrid table of typical areas, the licence table, each vendor/model/use-case rule,
  and the re-checks a changed vendor, model, licence or matrix cell triggers.
"""

import datetime
import importlib
import re

import pytest
from django.utils import timezone, translation

from governance import checks, rules, services
from governance.choices import FindingSeverity
from governance.models import ClassificationRule, Finding
from governance.recommend import recommend
from governance.rules import RULES, CheckContext, MatrixCell, evaluate
from tests.factories import (
    AIModelFactory,
    UseCaseFactory,
    VendorFactory,
    approved_vendor,
    choose_model,
    send_assessment,
)
from tests.vendors.helpers import submit_through_service
from usecases import services as usecase_services
from usecases.choices import DataClassification, DeploymentStyle, UseCaseCategory
from usecases.models import UseCase
from vendors import assessments as vendor_assessments
from vendors import services as vendor_services
from vendors.models import AIModel, Assessment, Licence, Vendor

BLOCK, WARN, INFO = FindingSeverity.BLOCK, FindingSeverity.WARN, FindingSeverity.INFO
SEED_POLICY = importlib.import_module("governance.migrations.0002_seed_policy")
SEED_LICENCES = importlib.import_module("vendors.migrations.0003_seed_licences")

LEVELS = ["public", "internal", "confidential", "restricted"]
STYLES = ["closed_saas", "closed_api", "open_cloud", "open_self_hosted"]
CLOSED = {"closed_saas", "closed_api"}
APACHE, MIT, CC_BY_NC = "Apache-2.0", "MIT", "CC-BY-NC-4.0"
LLAMA, PROPRIETARY = "LicenseRef-Llama-Community", "LicenseRef-Proprietary-API"
# Characters of Japanese script (kana and CJK ideographs, incl. full-width punctuation).
JAPANESE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


# --- Helpers for database checks ------------------------------------------------------------------------


def check(use_case):
    """Derive the tier and run the checks as the lifecycle does; the stored rows must equal the results."""
    checks.refresh_risk_tier(use_case)
    results = checks.run_checks(use_case)
    assert stored(use_case) == {(r.rule_id, r.subject, r.severity) for r in results}
    assert_explained(use_case)
    return results


def stored(use_case):
    return set(Finding.objects.filter(use_case=use_case).values_list("rule_id", "subject", "severity"))


def stored_ids(use_case):
    return {rule_id for rule_id, _subject, _severity in stored(use_case)}


def ids(results, *prefixes):
    return {r.rule_id for r in results if not prefixes or r.rule_id.startswith(prefixes)}


def blocking(results):
    return {r.rule_id for r in results if r.severity == BLOCK}


def assert_explained(use_case):
    """Stored findings read in either language without a placeholder left in the text."""
    for finding in Finding.objects.filter(use_case=use_case):
        for language in ("ja", "en"):
            with translation.override(language):
                text = finding.explanation
                assert text.strip() and str(finding.title).strip()
                assert not PLACEHOLDER.search(text), (finding.rule_id, language, text)


def good_vendor(level, **fields):
    """Approved up to ``level``; keeps nothing, never trains on our data, processes in Japan."""
    values = {"zero_retention_available": True, "training_use": "never", "processing_regions": ["JP"], **fields}
    return approved_vendor(level or "public", **values)


def bad_vendor(**fields):
    """Not approved, keeps data, trains on it without opt-out, processes it in the US."""
    values = {"zero_retention_available": False, "training_use": "no_opt_out", "processing_regions": ["US"], **fields}
    return VendorFactory(**values)


def model_for(vendor, style, licence=None, **fields):
    openness = "closed_api" if style in CLOSED else "open_weights"
    licence = Licence.objects.get(identifier=licence or (PROPRIETARY if style in CLOSED else APACHE))
    return AIModelFactory(publisher=vendor, openness=openness, licence=licence, **{"status": "approved", **fields})


def use_case_with(vendor=None, style="closed_api", level="internal", licence=None, model_fields=None, **fields):
    """A complete draft whose one chosen model (of ``vendor``) is deployed as ``style``."""
    use_case = UseCaseFactory(complete=True, data_classification=level, intended_style=style, **fields)
    if vendor is not None:
        model = model_for(vendor, style, licence, **(model_fields or {}))
        choose_model(use_case, model, style)
    return use_case


def complete_readiness(reviewer, vendor, *, knockout=False):
    """IT answers and submits the open-model readiness checklist through the vendor services."""
    assessment, _token = send_assessment(reviewer, vendor, key="open-model-readiness")
    overrides = {}
    if knockout:
        first = vendor_assessments.questions_of(assessment)[0]
        overrides = {first.id: "no"}
    return submit_through_service(assessment, overrides=overrides)


# --- The seeded policy is what these tables assume ----------------------------------------------------


@pytest.mark.django_db
def test_the_seeded_matrix_and_regions_are_the_migrations():
    ctx = checks.check_context(UseCaseFactory())
    expected = {
        (level, style): MatrixCell(verdict, **conditions)
        for level, row in SEED_POLICY.MATRIX.items()
        for style, (verdict, conditions) in row.items()
    }
    assert len(expected) == 16
    assert ctx.matrix == expected
    assert ctx.allowed_regions == {code: regions for code, _rank, _ja, _en, regions in SEED_POLICY.LEVELS}
    assert ctx.allowed_regions["confidential"] == ["JP"] and ctx.allowed_regions["internal"] == []
    # Jurisdictions start as each level's processing regions (governance migration 0007).
    assert ctx.allowed_jurisdictions == ctx.allowed_regions


@pytest.mark.django_db
def test_the_seeded_licences_are_the_migrations():
    seeded = {licence["identifier"] for licence in SEED_LICENCES.LICENCES}
    assert seeded == {APACHE, MIT, CC_BY_NC, LLAMA, PROPRIETARY}
    assert seeded <= set(Licence.objects.values_list("identifier", flat=True))


# --- Classification x deployment: the 16 cells of the default matrix -----------------------------------

REGION, TRAINS = "vendor.region-not-allowed", "vendor.trains-on-data"
PROHIBITED = "classification.prohibited"
NOT_APPROVED = "vendor.not-approved"
ZERO_RETENTION, NO_TRAINING = "classification.zero-retention", "classification.no-training"

# (level, style) -> (findings with a suitably approved vendor, findings with the bad vendor);
# only classification.* and vendor.* rule ids, every one of which blocks.
MATRIX_EXPECTED = {
    ("public", "closed_saas"): (set(), set()),
    ("public", "closed_api"): (set(), set()),
    ("public", "open_cloud"): (set(), set()),
    ("public", "open_self_hosted"): (set(), set()),
    ("internal", "closed_saas"): (set(), {NOT_APPROVED}),
    ("internal", "closed_api"): (set(), {NOT_APPROVED}),
    ("internal", "open_cloud"): (set(), set()),
    ("internal", "open_self_hosted"): (set(), set()),
    ("confidential", "closed_saas"): ({PROHIBITED}, {PROHIBITED, REGION, TRAINS}),
    ("confidential", "closed_api"): (set(), {NOT_APPROVED, ZERO_RETENTION, NO_TRAINING, REGION, TRAINS}),
    ("confidential", "open_cloud"): (set(), set()),
    ("confidential", "open_self_hosted"): (set(), set()),
    ("restricted", "closed_saas"): ({PROHIBITED}, {PROHIBITED, REGION, TRAINS}),
    ("restricted", "closed_api"): ({PROHIBITED}, {PROHIBITED, REGION, TRAINS}),
    ("restricted", "open_cloud"): ({PROHIBITED}, {PROHIBITED}),
    ("restricted", "open_self_hosted"): (set(), set()),
}
MATRIX_CASES = [
    pytest.param(level, style, vendor_kind, expected[index], id=f"{level}-{style}-{vendor_kind}")
    for (level, style), expected in MATRIX_EXPECTED.items()
    for index, vendor_kind in enumerate(("approved", "unapproved"))
]


def test_the_matrix_table_covers_every_cell():
    assert set(MATRIX_EXPECTED) == {(level, style) for level in LEVELS for style in STYLES}
    assert set(DataClassification.values) == set(LEVELS) and set(DeploymentStyle.values) == set(STYLES)


@pytest.mark.django_db
@pytest.mark.parametrize("level, style, vendor_kind, expected", MATRIX_CASES)
def test_matrix_cell(level, style, vendor_kind, expected):
    vendor = good_vendor(level) if vendor_kind == "approved" else bad_vendor()
    use_case = use_case_with(vendor, style, level)
    results = check(use_case)
    assert ids(results, "classification.", "vendor.") == expected
    assert blocking(results) == expected
    if expected:
        assert use_case_blocked(use_case)
    else:
        assert not use_case_blocked(use_case)
    if PROHIBITED in expected:
        [finding] = [r for r in results if r.rule_id == PROHIBITED]
        assert finding.subject == f"style:{style}"
    for result in results:
        if result.rule_id.startswith("vendor.") or result.rule_id in (NOT_APPROVED, ZERO_RETENTION, NO_TRAINING):
            assert result.subject == f"vendor:{vendor.pk}"


def use_case_blocked(use_case):
    return bool(checks.open_blocking_findings(use_case))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, expected_block, expected_warn",
    [
        pytest.param({"zero_retention_available": False}, {ZERO_RETENTION}, set(), id="no-zero-retention"),
        pytest.param({"training_use": "no_opt_out"}, {NO_TRAINING, TRAINS}, set(), id="trains-no-opt-out"),
        pytest.param({"training_use": "unknown"}, {NO_TRAINING}, {"vendor.training-unknown"}, id="training-unknown"),
        pytest.param({"training_use": "opt_out"}, set(), set(), id="trains-with-opt-out"),
        pytest.param({"training_use": "opt_in"}, set(), set(), id="trains-on-opt-in"),
        pytest.param({"processing_regions": ["JP", "US"]}, {REGION}, set(), id="one-region-outside"),
    ],
)
def test_confidential_closed_api_conditions_one_at_a_time(fields, expected_block, expected_warn):
    """The conditional cell: an approved vendor failing exactly one condition."""
    results = check(use_case_with(good_vendor("confidential", **fields), "closed_api", "confidential"))
    assert blocking(results) == expected_block
    assert ids(results, "classification.", "vendor.") - expected_block == expected_warn


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, expected",
    [
        ("prospective", {NOT_APPROVED}),
        ("under_assessment", {NOT_APPROVED}),
        ("rejected", {NOT_APPROVED}),
        ("offboarded", {NOT_APPROVED}),
        ("approved", set()),
        ("approved_with_conditions", set()),
    ],
)
@pytest.mark.parametrize("style", ["closed_saas", "closed_api"])
def test_internal_data_needs_an_approved_vendor(style, status, expected):
    vendor = good_vendor("internal")
    Vendor.objects.filter(pk=vendor.pk).update(status=status)
    vendor.refresh_from_db()
    results = check(use_case_with(vendor, style, "internal"))
    assert blocking(results) == expected


# --- The hybrid table of typical areas, as whole use cases ------------------------------------------------


@pytest.mark.django_db
def test_hybrid_competitor_reports_go_closed():
    use_case = use_case_with(
        good_vendor("internal"),
        "closed_api",
        "public",
        category=UseCaseCategory.ANALYTICS,
        audience="internal",
        title="競合レポートの要約",
    )
    results = check(use_case)
    assert blocking(results) == set()
    assert recommend(use_case).style == "closed"


@pytest.mark.django_db
def test_hybrid_internal_faq_goes_open(reviewer):
    vendor = VendorFactory(kind="open_weights", name="Meta")
    use_case = use_case_with(
        vendor,
        "open_self_hosted",
        "internal",
        licence=LLAMA,
        category=UseCaseCategory.CONTENT_SEO,
        audience="internal",
        uses_internal_knowledge=True,
        title="社内FAQ検索",
    )
    complete_readiness(reviewer, vendor)
    results = check(use_case)
    assert blocking(results) == set()
    assert "open.readiness-missing" not in ids(results)
    # Internal FAQ: the Llama user limit and acceptable-use policy do not matter here; attribution is information.
    assert ids(results) == {"licence.attribution"}
    assert recommend(use_case).style == "open"


@pytest.mark.django_db
def test_hybrid_confidential_analysis_is_blocked_on_a_training_vendor_and_goes_self_hosted():
    vendor = good_vendor("confidential", training_use="no_opt_out")
    use_case = use_case_with(
        vendor, "closed_api", "confidential", category=UseCaseCategory.ANALYTICS, title="売上明細の分析"
    )
    results = check(use_case)
    assert blocking(results) == {NO_TRAINING, TRAINS}
    assert use_case_blocked(use_case)
    assert recommend(use_case).style == "open_self_hosted"


@pytest.mark.django_db
def test_hybrid_external_customer_chat_goes_closed():
    use_case = use_case_with(
        good_vendor("internal"),
        "closed_api",
        "internal",
        category=UseCaseCategory.SALES_SUPPORT,
        audience="customer_facing",
        customers_see_output=True,
        title="顧客向けチャット",
    )
    results = check(use_case)
    assert blocking(results) == set()
    assert "content.no-human-check" in ids(results)  # a warning, not a block
    assert UseCase.objects.get(pk=use_case.pk).risk_tier == "limited"
    assert recommend(use_case).style == "closed"


# --- The licence table ----------------------------------------------------------------------------------

NC, RESTRICTIONS, ATTRIBUTION = "licence.non-commercial", "licence.restrictions", "licence.attribution"
NC_INTERNAL, USER_LIMIT = "licence.non-commercial-internal", "licence.user-limit"
ACCEPTABLE_USE, DERIVATIVES = "licence.acceptable-use", "licence.derivatives"
JURISDICTION, CONTRADICTION = "vendor.jurisdiction-not-allowed", "usecase.style-contradiction"
# The seeded catalogue against a plain use case (not tuned, no personal data, not creative):
# only what matters to the audience warns; attribution is information; the vendor's contract
# terms of a proprietary API are the vendor assessment's business.
LICENCE_EXPECTED = {
    (APACHE, "internal"): {ATTRIBUTION},
    (APACHE, "customer_facing"): {ATTRIBUTION},
    (MIT, "internal"): {ATTRIBUTION},
    (MIT, "customer_facing"): {ATTRIBUTION},
    (CC_BY_NC, "internal"): {NC_INTERNAL, ATTRIBUTION},
    (CC_BY_NC, "customer_facing"): {NC, ATTRIBUTION},
    (LLAMA, "internal"): {ATTRIBUTION},
    (LLAMA, "customer_facing"): {USER_LIMIT, ACCEPTABLE_USE, ATTRIBUTION},
    (PROPRIETARY, "internal"): set(),
    (PROPRIETARY, "customer_facing"): set(),
}
LICENCE_SEVERITY = {
    NC: BLOCK,
    NC_INTERNAL: WARN,
    USER_LIMIT: WARN,
    ACCEPTABLE_USE: WARN,
    DERIVATIVES: WARN,
    RESTRICTIONS: WARN,
    ATTRIBUTION: INFO,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "identifier, audience, expected",
    [pytest.param(*key, value, id=f"{key[0]}-{key[1]}") for key, value in LICENCE_EXPECTED.items()],
)
def test_licence_table(identifier, audience, expected):
    style = "closed_api" if identifier == PROPRIETARY else "open_self_hosted"
    use_case = use_case_with(
        good_vendor("internal"), style, "public", licence=identifier, audience=audience, category="analytics"
    )
    results = check(use_case)
    model = use_case.model_choices.get().ai_model
    licence_findings = [r for r in results if r.rule_id.startswith("licence.")]
    assert {r.rule_id for r in licence_findings} == expected
    for finding in licence_findings:
        assert finding.severity == LICENCE_SEVERITY[finding.rule_id]
        assert finding.subject == f"model:{model.pk}"
    assert (NC in blocking(results)) == (NC in expected)
    assert {r.rule_id for r in licence_findings if r.severity == WARN} == expected - {NC, ATTRIBUTION}
    if USER_LIMIT in expected:
        [limit] = [r for r in licence_findings if r.rule_id == USER_LIMIT]
        assert limit.facts["user_limit"] == 700_000_000
        for language in ("en", "ja"):
            with translation.override(language):
                assert "700,000,000" in limit.explanation and identifier in limit.explanation


@pytest.mark.django_db
def test_a_non_commercial_model_is_refused_when_customers_see_its_output_even_if_internal():
    use_case = use_case_with(
        good_vendor("internal"),
        "open_self_hosted",
        "public",
        licence=CC_BY_NC,
        audience="internal",
        customers_see_output=True,
        human_checks_output=True,
    )
    assert NC in blocking(check(use_case))


@pytest.mark.django_db
@pytest.mark.parametrize("restrictions", ["", "   \n ", "Keep the copyright notice."])
def test_a_licence_without_conditions_gives_no_licence_finding(restrictions):
    """Free text alone explains; only the structured kinds make a finding (the old cry-wolf warning)."""
    Licence.objects.create(identifier="LicenseRef-Plain", name="Plain", restrictions=restrictions)
    use_case = use_case_with(
        good_vendor("internal"), "open_self_hosted", "public", licence="LicenseRef-Plain", audience="customer_facing"
    )
    assert ids(check(use_case), "licence.") == set()


# --- The other rules, one at a time ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, expected",
    [
        ("blocked", {("model.blocked", BLOCK)}),
        ("restricted", {("model.restricted", WARN)}),
        ("approved", set()),
        ("under_review", set()),
    ],
)
@pytest.mark.parametrize("style", ["closed_api", "open_self_hosted"])
def test_model_status(style, status, expected):
    use_case = use_case_with(good_vendor("internal"), style, "public", model_fields={"status": status})
    results = check(use_case)
    model_id = use_case.model_choices.get().ai_model_id
    found = {(r.rule_id, r.severity) for r in results if r.rule_id.startswith("model.")}
    assert found == expected
    assert all(r.subject == f"model:{model_id}" for r in results if r.rule_id.startswith("model."))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "approved_level, level, expected",
    [
        ("public", "internal", {"vendor.approved-below-level"}),
        ("internal", "confidential", {"vendor.approved-below-level"}),
        ("confidential", "restricted", {"vendor.approved-below-level", PROHIBITED}),
        ("internal", "internal", set()),
        ("confidential", "confidential", set()),
        ("restricted", "confidential", set()),
        ("public", "public", set()),
    ],
)
def test_vendor_approved_below_the_data_level(approved_level, level, expected):
    vendor = good_vendor(approved_level)
    results = check(use_case_with(vendor, "closed_api", level))
    assert blocking(results) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "days, status, style, expired",
    [
        (-1, "approved", "closed_api", True),
        (-30, "approved_with_conditions", "closed_saas", True),
        (0, "approved", "closed_api", False),  # due today: still valid today
        (30, "approved", "closed_api", False),
        (-1, "approved", "open_self_hosted", False),  # the publisher does not process our data
    ],
)
def test_vendor_assessment_expired(days, status, style, expired):
    vendor = good_vendor("confidential")
    Vendor.objects.filter(pk=vendor.pk).update(status=status, next_reassessment_on=in_days(days))
    vendor.refresh_from_db()
    results = check(use_case_with(vendor, style, "internal"))
    assert ("vendor.assessment-expired" in blocking(results)) is expired
    if expired:
        [finding] = [r for r in results if r.rule_id == "vendor.assessment-expired"]
        assert finding.facts["reassess_on"] == in_days(days).isoformat()
        with translation.override("en"):
            assert in_days(days).isoformat() in finding.explanation


@pytest.mark.django_db
@pytest.mark.parametrize(
    "regions, level, blocked",
    [
        (["US"], "confidential", True),
        (["JP", "US"], "confidential", True),
        ([], "confidential", True),  # unknown regions are not allowed ones
        (["JP"], "confidential", False),
        (["US"], "internal", False),  # internal data may be processed anywhere (no allowed list)
        (["US"], "public", False),
    ],
)
def test_region_not_allowed(regions, level, blocked):
    vendor = good_vendor("restricted", processing_regions=regions)
    results = check(use_case_with(vendor, "closed_api", level))
    assert blocking(results) == ({REGION} if blocked else set())
    if blocked:
        [finding] = [r for r in results if r.rule_id == REGION]
        with translation.override("en"):
            text = finding.explanation
        assert "JP" in text
        for region in regions:
            assert region in text


@pytest.mark.django_db
def test_an_admin_region_condition_applies_to_a_less_sensitive_level(admin_user):
    """require_region on a cell checks the level's list even below confidential."""
    level = ClassificationRule.objects.get(level__code="internal", style="closed_api").level
    services.update_level(level, admin_user, {"allowed_regions": ["JP"]})
    rule = ClassificationRule.objects.get(level__code="internal", style="closed_api")
    services.update_matrix_rule(
        rule, admin_user, {"verdict": "conditional", "require_vendor_approval": True, "require_region": True}
    )
    results = check(use_case_with(good_vendor("internal", processing_regions=["US"]), "closed_api", "internal"))
    assert blocking(results) == {REGION}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "training_use, level, expected_block, expected_warn",
    [
        ("no_opt_out", "confidential", {TRAINS, NO_TRAINING}, set()),
        ("no_opt_out", "internal", set(), set()),
        ("no_opt_out", "public", set(), set()),
        ("unknown", "confidential", {NO_TRAINING}, {"vendor.training-unknown"}),
        ("unknown", "internal", set(), set()),
        ("opt_out", "confidential", set(), set()),
        ("never", "confidential", set(), set()),
    ],
)
def test_vendor_training_on_our_data(training_use, level, expected_block, expected_warn):
    results = check(use_case_with(good_vendor("confidential", training_use=training_use), "closed_api", level))
    assert blocking(results) == expected_block
    assert {r.rule_id for r in results if r.severity == WARN and r.rule_id.startswith("vendor.")} == expected_warn


@pytest.mark.django_db
@pytest.mark.parametrize("style", ["open_cloud", "open_self_hosted"])
def test_vendor_rules_do_not_apply_to_an_open_model_we_run(style):
    """A training, US-based, unapproved publisher: our data never reaches it."""
    results = check(use_case_with(bad_vendor(), style, "confidential"))
    assert ids(results, "vendor.", "classification.") == set()
    assert blocking(results) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("personal_data", [True, False])
def test_personal_data_is_information(personal_data):
    results = check(use_case_with(good_vendor("internal"), involves_personal_data=personal_data))
    found = [(r.rule_id, r.subject, r.severity) for r in results if r.rule_id == "privacy.personal-data"]
    assert found == ([("privacy.personal-data", "", INFO)] if personal_data else [])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, warned",
    [
        ({"customers_see_output": True, "human_checks_output": False}, True),
        ({"customers_see_output": True, "human_checks_output": True}, False),
        ({"customers_see_output": False, "human_checks_output": False}, False),
        ({"customers_see_output": True, "audience": "customer_facing"}, True),
    ],
)
def test_customer_facing_output_without_a_human_check(fields, warned):
    results = check(use_case_with(good_vendor("internal"), **fields))
    found = [(r.rule_id, r.severity) for r in results if r.rule_id == "content.no-human-check"]
    assert found == ([("content.no-human-check", WARN)] if warned else [])


@pytest.mark.django_db
def test_a_prohibited_practice_blocks():
    use_case = use_case_with(good_vendor("internal"), prohibited_practice=True)
    results = check(use_case)
    assert blocking(results) == {"risk.prohibited"}
    assert UseCase.objects.get(pk=use_case.pk).risk_tier == "prohibited"


@pytest.mark.django_db
def test_a_reviewer_setting_the_prohibited_tier_blocks(reviewer):
    use_case = use_case_with(good_vendor("internal"))
    assert "risk.prohibited" not in ids(check(use_case))
    services.override_risk_tier(use_case, reviewer, "prohibited", "生体情報で個人を識別している")
    assert "risk.prohibited" in stored_ids(use_case)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "level, intended_style, expected",
    [
        ("internal", "closed_api", {("usecase.no-model", "", INFO)}),
        ("restricted", "hybrid", {("usecase.no-model", "", INFO)}),
        ("", "closed_saas", {("usecase.no-model", "", INFO)}),
        (
            "restricted",
            "closed_api",
            {("usecase.no-model", "", INFO), (PROHIBITED, "style:closed_api", BLOCK)},
        ),
        (
            "confidential",
            "closed_saas",
            {("usecase.no-model", "", INFO), (PROHIBITED, "style:closed_saas", BLOCK)},
        ),
    ],
)
def test_no_model_chosen(level, intended_style, expected):
    use_case = UseCaseFactory(complete=True, data_classification=level, intended_style=intended_style)
    results = check(use_case)
    assert {(r.rule_id, r.subject, r.severity) for r in results} == expected


@pytest.mark.django_db
def test_findings_come_most_severe_first_and_once_per_rule_and_subject():
    vendor = bad_vendor()
    terms = Licence.objects.create(
        identifier="LicenseRef-Terms", name="Terms", restriction_kinds=["other"], restrictions="Read the terms."
    )
    use_case = use_case_with(
        vendor, "closed_api", "confidential", licence=terms.identifier, involves_personal_data=True
    )
    second = AIModelFactory(publisher=vendor, licence=terms, status="restricted")
    choose_model(use_case, second, "closed_api")
    results = check(use_case)
    order = {BLOCK: 0, WARN: 1, INFO: 2}
    assert [order[r.severity] for r in results] == sorted(order[r.severity] for r in results)
    keys = [(r.rule_id, r.subject) for r in results]
    assert len(keys) == len(set(keys))
    # Two models of one vendor: vendor rules once, model rules per model.
    assert [r.subject for r in results if r.rule_id == NOT_APPROVED] == [f"vendor:{vendor.pk}"]
    assert len([r for r in results if r.rule_id == RESTRICTIONS]) == 2


# --- Open models and the readiness checklist ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("style", ["open_cloud", "open_self_hosted"])
def test_an_open_model_without_a_readiness_check_is_warned(style):
    results = check(use_case_with(VendorFactory(kind="open_weights"), style, "internal"))
    assert [(r.rule_id, r.severity) for r in results if r.rule_id == "open.readiness-missing"] == [
        ("open.readiness-missing", WARN)
    ]


@pytest.mark.django_db
def test_a_closed_model_needs_no_readiness_check():
    assert "open.readiness-missing" not in ids(check(use_case_with(good_vendor("internal"), "closed_api")))


@pytest.mark.django_db
def test_a_completed_readiness_check_clears_the_warning(reviewer, django_capture_on_commit_callbacks):
    """Submitted through vendors.assessments (save_answers + submit_assessment); the assessment's
    save re-checks the use cases of that vendor."""
    vendor = VendorFactory(kind="open_weights")
    use_case = use_case_with(vendor, "open_self_hosted", "internal")
    check(use_case)
    assert "open.readiness-missing" in stored_ids(use_case)

    assessment, _token = send_assessment(reviewer, vendor, key="open-model-readiness")
    assert "open.readiness-missing" in ids(check(use_case))  # sent, not yet answered
    with django_capture_on_commit_callbacks(execute=True):
        submit_through_service(assessment)
    assert Assessment.objects.get(pk=assessment.pk).status == "submitted"
    assert "open.readiness-missing" not in stored_ids(use_case)
    assert "open.readiness-missing" not in ids(check(use_case))


@pytest.mark.django_db
def test_a_readiness_check_of_another_vendor_does_not_count(reviewer):
    vendor, other = VendorFactory(kind="open_weights"), VendorFactory(kind="open_weights")
    use_case = use_case_with(vendor, "open_self_hosted", "internal")
    complete_readiness(reviewer, other)
    assert "open.readiness-missing" in ids(check(use_case))


@pytest.mark.django_db
def test_a_vendor_assessment_is_not_a_readiness_check(reviewer):
    vendor = VendorFactory(kind="open_weights")
    use_case = use_case_with(vendor, "open_self_hosted", "internal")
    assessment, _token = send_assessment(reviewer, vendor)  # the vendor questionnaire
    Assessment.objects.filter(pk=assessment.pk).update(status="submitted")
    assert "open.readiness-missing" in ids(check(use_case))


@pytest.mark.django_db
def test_a_revoked_readiness_check_no_longer_counts(reviewer, django_capture_on_commit_callbacks):
    vendor = VendorFactory(kind="open_weights")
    use_case = use_case_with(vendor, "open_self_hosted", "internal")
    assessment = complete_readiness(reviewer, vendor)
    assert "open.readiness-missing" not in ids(check(use_case))
    with django_capture_on_commit_callbacks(execute=True):
        vendor_assessments.revoke_assessment(assessment, reviewer, "回答に誤り")
    assert "open.readiness-missing" in stored_ids(use_case)


@pytest.mark.django_db
def test_a_readiness_check_answered_no_is_not_completed(reviewer):
    """Each of the four readiness questions is a knockout ("All four are needed before an
    open-model PoC"); a checklist answered "no" (e.g. no team to operate the model) is
    submitted, but readiness is not established."""
    vendor = VendorFactory(kind="open_weights")
    use_case = use_case_with(vendor, "open_self_hosted", "internal")
    assessment = complete_readiness(reviewer, vendor, knockout=True)
    assert assessment.status == "submitted" and assessment.knockout_count == 1
    assert "open.readiness-missing" in ids(check(use_case))


# --- Re-checks when a dependency changes ----------------------------------------------------------------


@pytest.fixture
def submitted(requester):
    """Submit a complete use case as its owner (the lifecycle runs the first checks)."""

    def make(vendor, style="closed_api", level="internal", **fields):
        use_case = use_case_with(vendor, style, level, owner=requester, **fields)
        return usecase_services.submit(use_case, requester)

    return make


@pytest.mark.django_db
def test_a_vendor_that_starts_training_re_checks_its_use_cases(
    submitted, requester, reviewer, django_capture_on_commit_callbacks
):
    vendor = good_vendor("confidential")
    open_case = submitted(vendor, level="confidential")
    withdrawn = usecase_services.withdraw(submitted(vendor, level="confidential"), requester)
    other = submitted(good_vendor("confidential"), level="confidential")
    assert blocking_stored(open_case) == set()
    untouched = {uc.pk: evaluated(uc) for uc in (withdrawn, other)}

    with django_capture_on_commit_callbacks(execute=True):
        vendor_services.update_vendor(vendor, reviewer, {"training_use": "no_opt_out"})
    assert blocking_stored(open_case) == {NO_TRAINING, TRAINS}
    # A closed use case and one of another vendor are left alone.
    assert {uc.pk: evaluated(uc) for uc in (withdrawn, other)} == untouched
    assert blocking_stored(withdrawn) == set()

    with django_capture_on_commit_callbacks(execute=True):
        vendor_services.update_vendor(vendor, reviewer, {"training_use": "never"})
    assert blocking_stored(open_case) == set()


def blocking_stored(use_case):
    return {rule_id for rule_id, _subject, severity in stored(use_case) if severity == BLOCK}


def evaluated(use_case):
    return sorted(Finding.objects.filter(use_case=use_case).values_list("rule_id", "evaluated_at"))


@pytest.mark.django_db
def test_a_blocked_model_re_checks_its_use_cases(submitted, reviewer, django_capture_on_commit_callbacks):
    use_case = submitted(good_vendor("internal"))
    model = AIModel.objects.get(use_case_choices__use_case=use_case)
    assert "model.blocked" not in stored_ids(use_case)
    with django_capture_on_commit_callbacks(execute=True):
        vendor_services.update_model(model, reviewer, {"status": "blocked"})
    assert ("model.blocked", f"model:{model.pk}", BLOCK) in stored(use_case)
    with django_capture_on_commit_callbacks(execute=True):
        vendor_services.update_model(model, reviewer, {"status": "restricted"})
    assert {"model.restricted"} == stored_ids(use_case) & {"model.blocked", "model.restricted"}


@pytest.mark.django_db
def test_a_changed_licence_re_checks_its_use_cases(submitted, admin_user, django_capture_on_commit_callbacks):
    licence = Licence.objects.create(identifier="LicenseRef-Research", name="Research licence")
    vendor = VendorFactory(kind="open_weights")
    use_case = submitted(
        vendor, "open_self_hosted", "public", licence="LicenseRef-Research", audience="customer_facing"
    )
    assert stored_ids(use_case) & {NC, RESTRICTIONS, ATTRIBUTION} == set()
    with django_capture_on_commit_callbacks(execute=True):
        vendor_services.update_licence(
            licence,
            admin_user,
            {
                "non_commercial_only": True,
                "commercial_use": False,
                "restrictions": "Research use only.",
                "restriction_kinds": ["other"],
            },
        )
    assert stored_ids(use_case) & {NC, RESTRICTIONS, ATTRIBUTION} == {NC, RESTRICTIONS}
    assert NC in blocking_stored(use_case)


@pytest.mark.django_db
def test_a_changed_matrix_cell_re_checks_the_use_cases_of_its_level(
    submitted, admin_user, django_capture_on_commit_callbacks
):
    unapproved = VendorFactory()
    internal = submitted(unapproved, "closed_api", "internal")
    public = submitted(VendorFactory(), "closed_api", "public")
    assert blocking_stored(internal) == {NOT_APPROVED}
    public_before = evaluated(public)
    rule = ClassificationRule.objects.get(level__code="internal", style="closed_api")

    with django_capture_on_commit_callbacks(execute=True):
        services.update_matrix_rule(rule, admin_user, {"verdict": "allowed"})
    assert blocking_stored(internal) == set()

    with django_capture_on_commit_callbacks(execute=True):
        services.update_matrix_rule(rule, admin_user, {"verdict": "prohibited"})
    assert blocking_stored(internal) == {PROHIBITED}
    assert (PROHIBITED, "style:closed_api", BLOCK) in stored(internal)
    assert evaluated(public) == public_before  # another level is not re-checked

    with django_capture_on_commit_callbacks(execute=True):
        services.update_matrix_rule(rule, admin_user, {"verdict": "conditional", "require_vendor_approval": True})
    assert blocking_stored(internal) == {NOT_APPROVED}


@pytest.mark.django_db
def test_changing_allowed_regions_re_checks_the_level(submitted, admin_user, django_capture_on_commit_callbacks):
    use_case = submitted(good_vendor("confidential", processing_regions=["US"]), "closed_api", "confidential")
    assert blocking_stored(use_case) == {REGION}
    level = ClassificationRule.objects.get(level__code="confidential", style="closed_api").level
    with django_capture_on_commit_callbacks(execute=True):
        services.update_level(level, admin_user, {"allowed_regions": ["JP", "US"]})
    assert blocking_stored(use_case) == set()


@pytest.mark.django_db
def test_recheck_skips_closed_use_cases(submitted, requester):
    vendor = good_vendor("internal")
    open_case = submitted(vendor)
    withdrawn = usecase_services.withdraw(submitted(vendor), requester)
    withdrawn_before = evaluated(withdrawn)
    Vendor.objects.filter(pk=vendor.pk).update(status="rejected")  # no signal: nothing re-checked yet
    assert blocking_stored(open_case) == set()
    assert checks.recheck([open_case.pk, withdrawn.pk]) == 1
    assert blocking_stored(open_case) == {NOT_APPROVED}
    assert evaluated(withdrawn) == withdrawn_before


@pytest.mark.django_db
def test_the_daily_recheck_catches_an_assessment_that_expired(submitted):
    """Nothing is saved when a date passes; the scheduled task brings the findings up to date."""
    from governance.tasks import recheck_open_use_cases

    vendor = good_vendor("internal")
    use_case = submitted(vendor)
    assert "vendor.assessment-expired" not in stored_ids(use_case)
    Vendor.objects.filter(pk=vendor.pk).update(next_reassessment_on=in_days(-1))
    assert recheck_open_use_cases.delay().get() >= 1
    assert ("vendor.assessment-expired", f"vendor:{vendor.pk}", BLOCK) in stored(use_case)


@pytest.mark.django_db
def test_dependent_use_case_ids(submitted, requester):
    vendor = good_vendor("internal")
    use_case = submitted(vendor)
    model = use_case.model_choices.get().ai_model
    withdrawn = usecase_services.withdraw(submitted(vendor), requester)
    assert checks.dependent_use_case_ids(vendor_id=vendor.pk) == [use_case.pk]
    assert checks.dependent_use_case_ids(model_id=model.pk) == [use_case.pk]
    assert use_case.pk in checks.dependent_use_case_ids(licence_id=model.licence_id)
    assert withdrawn.pk not in checks.dependent_use_case_ids(licence_id=model.licence_id)
    assert use_case.pk in checks.dependent_use_case_ids(level="internal")
    assert use_case.pk not in checks.dependent_use_case_ids(level="public")
    assert checks.dependent_use_case_ids(vendor_id=VendorFactory().pk) == []


# --- The pure engine: every rule, both languages --------------------------------------------------------

TODAY = datetime.date(2026, 4, 1)


def seeded_matrix():
    return {
        (level, style): MatrixCell(verdict, **conditions)
        for level, row in SEED_POLICY.MATRIX.items()
        for style, (verdict, conditions) in row.items()
    }


def seeded_regions():
    return {code: regions for code, _rank, _ja, _en, regions in SEED_POLICY.LEVELS}


def seeded_jurisdictions():
    return seeded_regions()  # governance migration 0007 starts them from the regions


def pure_vendor(pk, **fields):
    values = {
        "name": f"Acme AI {pk}",
        "kind": "closed_api",
        "status": "approved",
        "approved_level": "restricted",
        "zero_retention_available": True,
        "training_use": "never",
        "processing_regions": ["JP"],
        "headquarters_country": "JP",
        "next_reassessment_on": TODAY + datetime.timedelta(days=365),
        **fields,
    }
    return Vendor(pk=pk, **values)


def pure_licence(pk, **fields):
    values = {"identifier": f"LicenseRef-Test-{pk}", "name": f"Test {pk}", "restrictions": "", **fields}
    return Licence(pk=pk, **values)


def pure_model(pk, vendor, licence, **fields):
    return AIModel(
        pk=pk, name=f"acme-{pk}", publisher=vendor, licence=licence, **{"status": "approved", "openness": "x", **fields}
    )


def context(**fields):
    values = {
        "level": "public",
        "audience": "internal",
        "personal_data": False,
        "customers_see_output": False,
        "human_checks_output": False,
        "risk_tier": "minimal",
        "intended_style": "closed_api",
        "matrix": seeded_matrix(),
        "allowed_regions": seeded_regions(),
        "allowed_jurisdictions": seeded_jurisdictions(),
        "today": TODAY,
        **fields,
    }
    return CheckContext(**values)


def pure_contexts():
    """A handful of contexts that together produce every rule (ASCII names throughout)."""
    plain = pure_licence(1)
    bad = pure_vendor(
        2,
        status="prospective",
        approved_level="",
        zero_retention_available=False,
        training_use="no_opt_out",
        processing_regions=["US"],
        headquarters_country="US",
        next_reassessment_on=None,
    )
    lapsed = pure_vendor(
        3, approved_level="internal", training_use="unknown", next_reassessment_on=TODAY - datetime.timedelta(days=1)
    )
    publisher = pure_vendor(4, kind="open_weights", status="prospective")
    nc = pure_licence(5, non_commercial_only=True, commercial_use=False, attribution_required=True)
    conditions = pure_licence(
        6,
        restrictions="Fewer than 700 million monthly users.",
        restriction_kinds=["user_limit"],
        user_limit=700_000_000,
        attribution_required=True,
    )
    research = pure_licence(
        7, restrictions="Research only.", restriction_kinds=["acceptable_use", "derivatives", "other", "contract_terms"]
    )
    return {
        "no-model": context(
            level="restricted",
            risk_tier="prohibited",
            personal_data=True,
            customers_see_output=True,
            intended_style="closed_api",
        ),
        "bad-vendor": context(level="confidential", choices=[("closed_api", pure_model(10, bad, plain))]),
        "lapsed-vendor": context(level="confidential", choices=[("closed_api", pure_model(11, lapsed, plain))]),
        "open-models": context(
            level="public",
            audience="customer_facing",
            choices=[
                ("open_self_hosted", pure_model(12, publisher, nc, status="blocked")),
                ("open_cloud", pure_model(13, publisher, conditions, status="restricted")),
            ],
        ),
        # Staff-only creative work, tuned on our data, with the models it meant to use.
        "licence-terms": context(
            level="public",
            category="creative",
            tuned_on_own_data=True,
            intended_style="open_self_hosted",
            choices=[
                ("open_self_hosted", pure_model(14, publisher, nc)),
                ("open_self_hosted", pure_model(15, publisher, research)),
            ],
        ),
    }


PURE_EXPECTED = {
    "no-model": {
        ("risk.prohibited", ""),
        ("privacy.personal-data", ""),
        ("content.no-human-check", ""),
        ("usecase.no-model", ""),
        (PROHIBITED, "style:closed_api"),
    },
    "bad-vendor": {
        (NOT_APPROVED, "vendor:2"),
        (ZERO_RETENTION, "vendor:2"),
        (NO_TRAINING, "vendor:2"),
        (REGION, "vendor:2"),
        (JURISDICTION, "vendor:2"),
        (TRAINS, "vendor:2"),
    },
    "lapsed-vendor": {
        ("vendor.approved-below-level", "vendor:3"),
        ("vendor.assessment-expired", "vendor:3"),
        (NO_TRAINING, "vendor:3"),
        ("vendor.training-unknown", "vendor:3"),
    },
    "open-models": {
        ("model.blocked", "model:12"),
        (NC, "model:12"),
        (ATTRIBUTION, "model:12"),
        ("open.readiness-missing", "model:12"),
        ("model.restricted", "model:13"),
        (USER_LIMIT, "model:13"),
        (ATTRIBUTION, "model:13"),
        ("open.readiness-missing", "model:13"),
        (CONTRADICTION, ""),  # intended closed API, both models open
    },
    "licence-terms": {
        (NC_INTERNAL, "model:14"),
        (ATTRIBUTION, "model:14"),
        ("open.readiness-missing", "model:14"),
        (ACCEPTABLE_USE, "model:15"),
        (DERIVATIVES, "model:15"),
        (RESTRICTIONS, "model:15"),
        ("open.readiness-missing", "model:15"),
    },
}


def evaluate_all():
    return {name: evaluate(ctx) for name, ctx in pure_contexts().items()}


def first_finding(rule_id):
    return next(f for findings in evaluate_all().values() for f in findings if f.rule_id == rule_id)


@pytest.mark.parametrize("name", list(PURE_EXPECTED))
def test_pure_engine_table(name):
    findings = evaluate(pure_contexts()[name])
    assert {(f.rule_id, f.subject) for f in findings} == PURE_EXPECTED[name]
    for finding in findings:
        assert finding.severity == RULES[finding.rule_id].severity


def test_every_rule_is_produced_by_the_table():
    produced = {f.rule_id for findings in evaluate_all().values() for f in findings}
    assert produced == set(RULES)
    assert {rule_id for expected in PURE_EXPECTED.values() for rule_id, _subject in expected} == set(RULES)


def test_every_rule_has_a_severity_title_and_explanation():
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id
        assert rule.severity in FindingSeverity.values
        assert str(rule.title).strip() and str(rule.explanation).strip()


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_explanation_renders_without_a_missing_placeholder(rule_id, language):
    with translation.override(language):
        finding = first_finding(rule_id)
        template = str(finding.rule.explanation)
        # Every fact the (translated) text names is collected by the rule ...
        assert set(re.findall(r"%\((\w+)\)", template)) <= set(finding.facts)
        # ... and the text comes out filled: explain() falls back to the raw template on a
        # missing fact, which would leave a placeholder behind.
        text = finding.explanation
        assert text.strip() and not PLACEHOLDER.search(text) and "%(" not in text
        assert str(finding.rule.title).strip()


def test_explanations_and_titles_are_japanese_when_read_in_japanese():
    """Facts use ASCII names here, so Japanese text can only come from the catalogue."""
    untranslated = []
    with translation.override("ja"):
        for rule_id in sorted(RULES):
            finding = first_finding(rule_id)
            if not (JAPANESE.search(finding.explanation) and JAPANESE.search(str(finding.rule.title))):
                untranslated.append(rule_id)
    assert untranslated == [], f"rules without a Japanese title or explanation: {untranslated}"


def test_an_explanation_follows_the_readers_language_not_the_checkers():
    """Findings are stored once (with their facts) and read in either language: a check run
    in Japanese must read in English with English labels (level, style, status, training
    use), and the other way round."""
    with translation.override("ja"):
        checked_in_japanese = {f.rule_id: f for findings in evaluate_all().values() for f in findings}
    with translation.override("en"):
        mixed = sorted(
            rule_id for rule_id, finding in checked_in_japanese.items() if JAPANESE.search(finding.explanation)
        )
    assert mixed == [], f"English explanations showing Japanese labels: {mixed}"

    with translation.override("en"):
        checked_in_english = {f.rule_id: f for findings in evaluate_all().values() for f in findings}
    with translation.override("ja"):
        level = str(DataClassification.CONFIDENTIAL.label)
        text = checked_in_english[NO_TRAINING].explanation
    assert level in text and "Confidential" not in text


def test_facts_hold_what_the_explanation_needs():
    finding = first_finding(REGION)
    assert finding.facts["vendor"] == "Acme AI 2"
    assert finding.facts["regions"] == "US" and finding.facts["allowed_regions"] == "JP"
    with translation.override("en"):
        assert "Acme AI 2 processes data in US" in finding.explanation
        assert "may be processed only in JP" in finding.explanation


def test_unknown_regions_are_named_in_the_explanation():
    vendor = pure_vendor(20, processing_regions=[])
    ctx = context(level="confidential", choices=[("closed_api", pure_model(21, vendor, pure_licence(22)))])
    [finding] = [f for f in evaluate(ctx) if f.rule_id == REGION]
    with translation.override("en"):
        assert "unknown regions" in finding.explanation


def test_the_engine_reads_only_its_context():
    """evaluate() is pure: the same context gives the same findings, and no database is needed
    (this test has no database access)."""
    ctx = pure_contexts()["bad-vendor"]
    assert evaluate(ctx) == evaluate(ctx)
    assert rules.LEVEL_RANK == {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


def test_a_level_missing_from_the_matrix_applies_only_the_vendor_rules():
    vendor = pure_vendor(30, status="prospective", training_use="no_opt_out")
    ctx = context(level="confidential", matrix={}, choices=[("closed_api", pure_model(31, vendor, pure_licence(32)))])
    assert {f.rule_id for f in evaluate(ctx)} == {TRAINS}
