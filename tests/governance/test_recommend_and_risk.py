"""The risk tier derived from the intake answers, and the closed/open recommendation.

Both are pure functions of a use case's answers, so they are tested as tables on plain
objects; one database test each checks that the lifecycle stores the derived tier and
that a real ``UseCase`` row is accepted by ``recommend``.
"""

from types import SimpleNamespace

import pytest
from django.utils import translation

from governance import checks
from governance.choices import RecommendedStyle
from governance.recommend import recommend
from governance.risk import derive_risk_tier
from tests.factories import UseCaseFactory
from usecases import services as usecase_services
from usecases.choices import DataClassification, RiskTier, UseCaseAudience, UseCaseCategory
from usecases.models import UseCase

INTERNAL, CUSTOMER_FACING = UseCaseAudience.INTERNAL, UseCaseAudience.CUSTOMER_FACING


def answers(**fields):
    """The intake answers of a use case; everything not given is the form's default."""
    defaults = {
        "prohibited_practice": False,
        "decides_about_people": False,
        "customers_see_output": False,
        "human_checks_output": False,
        "audience": INTERNAL,
        "category": "",
        "data_classification": "",
        "tuned_on_own_data": False,
        "uses_internal_knowledge": False,
        "fast_start": False,
    }
    return SimpleNamespace(**{**defaults, **fields})


# --- Risk tier ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, tier",
    [
        ({}, RiskTier.MINIMAL),
        ({"audience": ""}, RiskTier.MINIMAL),
        ({"human_checks_output": True}, RiskTier.MINIMAL),
        ({"prohibited_practice": True}, RiskTier.PROHIBITED),
        ({"decides_about_people": True}, RiskTier.HIGH),
        ({"customers_see_output": True}, RiskTier.LIMITED),
        ({"audience": CUSTOMER_FACING}, RiskTier.LIMITED),
        ({"customers_see_output": True, "human_checks_output": True}, RiskTier.LIMITED),
        # Precedence: the most severe answer wins.
        ({"prohibited_practice": True, "decides_about_people": True}, RiskTier.PROHIBITED),
        (
            {"prohibited_practice": True, "customers_see_output": True, "audience": CUSTOMER_FACING},
            RiskTier.PROHIBITED,
        ),
        ({"decides_about_people": True, "customers_see_output": True}, RiskTier.HIGH),
        ({"decides_about_people": True, "audience": CUSTOMER_FACING}, RiskTier.HIGH),
        (
            {
                "prohibited_practice": True,
                "decides_about_people": True,
                "customers_see_output": True,
                "audience": CUSTOMER_FACING,
            },
            RiskTier.PROHIBITED,
        ),
    ],
)
def test_risk_tier_table(fields, tier):
    assert derive_risk_tier(answers(**fields)) == tier


def test_risk_tier_of_an_unsaved_use_case_with_defaults_is_minimal():
    assert derive_risk_tier(UseCase()) == RiskTier.MINIMAL


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, tier",
    [
        ({}, RiskTier.MINIMAL),
        ({"customers_see_output": True, "human_checks_output": True}, RiskTier.LIMITED),
        ({"decides_about_people": True}, RiskTier.HIGH),
        ({"prohibited_practice": True, "decides_about_people": True}, RiskTier.PROHIBITED),
    ],
)
def test_submitting_stores_the_derived_tier(requester, fields, tier):
    use_case = UseCaseFactory(complete=True, owner=requester, **fields)
    usecase_services.submit(use_case, requester)
    assert UseCase.objects.get(pk=use_case.pk).risk_tier == tier


@pytest.mark.django_db
def test_refresh_follows_a_changed_answer(requester):
    use_case = UseCaseFactory(complete=True, owner=requester, decides_about_people=True)
    assert checks.refresh_risk_tier(use_case) == RiskTier.HIGH
    use_case.decides_about_people = False
    use_case.audience = CUSTOMER_FACING
    assert checks.refresh_risk_tier(use_case) == RiskTier.LIMITED
    assert UseCase.objects.get(pk=use_case.pk).risk_tier == RiskTier.LIMITED


# --- Recommendation -----------------------------------------------------------------------------

CLOSED, OPEN, SELF_HOSTED = RecommendedStyle.CLOSED, RecommendedStyle.OPEN, RecommendedStyle.OPEN_SELF_HOSTED
DEFAULT_REASON = "A general task: start small on closed AI and measure (roadmap step 3)."
PUBLIC_REASON = "Public data: any AI service may process it, so the task decides the style."
INTERNAL_REASON = (
    "Internal data: closed AI or an open model may process it within the classification matrix; the task decides."
)
CONFIDENTIAL_REASON = "Confidential data: self-hosting keeps it inside the company."
CONFIDENTIAL_ON_CLOSED_REASON = (
    "Confidential data on closed AI: only where the classification matrix allows it, on its conditions "
    "(see the policy checks)."
)
RESTRICTED_REASON = "Restricted data never leaves the company: only a self-hosted open model may process it."
KNOWLEDGE_REASON = "Answers from internal knowledge (FAQ, search) work best on our own data."
FAST_REASON = "A quick start matters: use an existing tool or vendor API first."
CUSTOMER_REASON = "Customers see it: closed models give stable answers in many languages."
REPORT_REASON = "Reports and competitor analysis: closed models organise information fast."
CREATIVE_REASON = "Mass-produced creative: the AI built into ad and design tools is enough."
TUNED_REASONS = {
    UseCaseCategory.CREATIVE: "Brand tone tuned on our own past creative: open models can be fine-tuned.",
    UseCaseCategory.CONTENT_SEO: "Domain-specific writing from our own documents fits a tuned open model.",
    UseCaseCategory.SALES_SUPPORT: "Product and contract terms need fine control: a tuned open model.",
    UseCaseCategory.ANALYTICS: "Own metrics and business logic: an open model coupled to our data.",
    UseCaseCategory.OTHER: "Tuning on our own data is easier with an open model.",
}


# (answers, style, open points, closed points, reasons in order)
RECOMMENDATIONS = {
    "nothing-answered": ({}, CLOSED, 0, 0, [DEFAULT_REASON]),
    "public-general-task": ({"data_classification": "public"}, CLOSED, 0, 0, [PUBLIC_REASON, DEFAULT_REASON]),
    "internal-other": (
        {"data_classification": "internal", "category": UseCaseCategory.OTHER},
        CLOSED,
        0,
        0,
        [INTERNAL_REASON, DEFAULT_REASON],
    ),
    "confidential": ({"data_classification": "confidential"}, SELF_HOSTED, 5, 0, [CONFIDENTIAL_REASON]),
    "restricted": ({"data_classification": "restricted"}, SELF_HOSTED, 5, 0, [RESTRICTED_REASON]),
    # Closed signals outweigh confidential data: the reasons say on which terms closed AI may have it.
    "confidential-outweighed": (
        {"data_classification": "confidential", "fast_start": True, "audience": CUSTOMER_FACING},
        CLOSED,
        5,
        5,
        [CONFIDENTIAL_ON_CLOSED_REASON, FAST_REASON, CUSTOMER_REASON],
    ),
    # Restricted data is never outweighed: it stays on a self-hosted model.
    "restricted-with-every-closed-signal": (
        {
            "data_classification": "restricted",
            "fast_start": True,
            "audience": CUSTOMER_FACING,
            "category": UseCaseCategory.CREATIVE,
        },
        SELF_HOSTED,
        5,
        6,
        [RESTRICTED_REASON],
    ),
    "internal-knowledge": (
        {"data_classification": "internal", "uses_internal_knowledge": True},
        OPEN,
        3,
        0,
        [INTERNAL_REASON, KNOWLEDGE_REASON],
    ),
    "fast-start": ({"fast_start": True}, CLOSED, 0, 3, [FAST_REASON]),
    "customer-facing": ({"audience": CUSTOMER_FACING}, CLOSED, 0, 2, [CUSTOMER_REASON]),
    "customers-see-output-internally": ({"customers_see_output": True}, CLOSED, 0, 2, [CUSTOMER_REASON]),
    "both-customer-answers-count-once": (
        {"audience": CUSTOMER_FACING, "customers_see_output": True},
        CLOSED,
        0,
        2,
        [CUSTOMER_REASON],
    ),
    "analytics-public": (
        {"category": UseCaseCategory.ANALYTICS, "data_classification": "public"},
        CLOSED,
        0,
        2,
        [PUBLIC_REASON, REPORT_REASON],
    ),
    "analytics-internal": (
        {"category": UseCaseCategory.ANALYTICS, "data_classification": "internal"},
        CLOSED,
        0,
        2,
        [INTERNAL_REASON, REPORT_REASON],
    ),
    "analytics-confidential": (
        {"category": UseCaseCategory.ANALYTICS, "data_classification": "confidential"},
        SELF_HOSTED,
        5,
        0,
        [CONFIDENTIAL_REASON],
    ),
    "analytics-internal-tuned": (
        {"category": UseCaseCategory.ANALYTICS, "data_classification": "internal", "tuned_on_own_data": True},
        OPEN,
        3,
        2,
        [INTERNAL_REASON, TUNED_REASONS[UseCaseCategory.ANALYTICS]],
    ),
    "creative-mass-produced": ({"category": UseCaseCategory.CREATIVE}, CLOSED, 0, 1, [CREATIVE_REASON]),
    "creative-tuned": (
        {"category": UseCaseCategory.CREATIVE, "tuned_on_own_data": True},
        OPEN,
        3,
        0,
        [TUNED_REASONS[UseCaseCategory.CREATIVE]],
    ),
    "content-tuned": (
        {"category": UseCaseCategory.CONTENT_SEO, "tuned_on_own_data": True},
        OPEN,
        3,
        0,
        [TUNED_REASONS[UseCaseCategory.CONTENT_SEO]],
    ),
    "sales-tuned": (
        {"category": UseCaseCategory.SALES_SUPPORT, "tuned_on_own_data": True},
        OPEN,
        3,
        0,
        [TUNED_REASONS[UseCaseCategory.SALES_SUPPORT]],
    ),
    "other-tuned": (
        {"category": UseCaseCategory.OTHER, "tuned_on_own_data": True},
        OPEN,
        3,
        0,
        [TUNED_REASONS[UseCaseCategory.OTHER]],
    ),
    # A tie goes to closed AI (the roadmap's small start).
    "tie-goes-to-closed": (
        {"uses_internal_knowledge": True, "fast_start": True},
        CLOSED,
        3,
        3,
        [FAST_REASON],
    ),
    "open-wins-by-one": (
        {"uses_internal_knowledge": True, "audience": CUSTOMER_FACING},
        OPEN,
        3,
        2,
        [KNOWLEDGE_REASON],
    ),
    "closed-wins-by-one": (
        {
            "uses_internal_knowledge": True,
            "fast_start": True,
            "category": UseCaseCategory.CREATIVE,
        },
        CLOSED,
        3,
        4,
        [FAST_REASON, CREATIVE_REASON],
    ),
    "every-open-signal": (
        {
            "data_classification": "restricted",
            "category": UseCaseCategory.SALES_SUPPORT,
            "tuned_on_own_data": True,
            "uses_internal_knowledge": True,
        },
        SELF_HOSTED,
        11,
        0,
        [RESTRICTED_REASON, TUNED_REASONS[UseCaseCategory.SALES_SUPPORT], KNOWLEDGE_REASON],
    ),
    "customer-chat-with-own-knowledge-and-tuning": (
        {
            "category": UseCaseCategory.SALES_SUPPORT,
            "data_classification": "internal",
            "audience": CUSTOMER_FACING,
            "customers_see_output": True,
            "fast_start": True,
            "tuned_on_own_data": True,
            "uses_internal_knowledge": True,
        },
        OPEN,
        6,
        5,
        [INTERNAL_REASON, TUNED_REASONS[UseCaseCategory.SALES_SUPPORT], KNOWLEDGE_REASON],
    ),
    "every-closed-signal": (
        {
            "category": UseCaseCategory.ANALYTICS,
            "data_classification": "public",
            "audience": CUSTOMER_FACING,
            "fast_start": True,
        },
        CLOSED,
        0,
        7,
        [PUBLIC_REASON, FAST_REASON, CUSTOMER_REASON, REPORT_REASON],
    ),
}


@pytest.mark.parametrize(
    "fields, style, open_points, closed_points, reasons",
    list(RECOMMENDATIONS.values()),
    ids=list(RECOMMENDATIONS),
)
def test_recommendation_table(fields, style, open_points, closed_points, reasons):
    with translation.override("en"):
        result = recommend(answers(**fields))
        assert result.style == style
        assert (result.open_points, result.closed_points) == (open_points, closed_points)
        assert result.reasons, "a recommendation always comes with a reason"
        assert all(str(reason).strip() for reason in result.reasons)
        assert [str(reason) for reason in result.reasons] == reasons
        assert str(result.label) == str(RecommendedStyle(style).label)


@pytest.mark.parametrize("fields", [fields for fields, *_rest in RECOMMENDATIONS.values()], ids=list(RECOMMENDATIONS))
def test_reasons_are_never_empty_in_japanese_either(fields):
    with translation.override("ja"):
        result = recommend(answers(**fields))
        assert result.reasons
        assert all(str(reason).strip() for reason in result.reasons)


LEVEL_REASONS = {
    "public": PUBLIC_REASON,
    "internal": INTERNAL_REASON,
    "confidential": CONFIDENTIAL_REASON,
    "restricted": RESTRICTED_REASON,
}


def test_every_level_has_a_reason_of_its_own():
    """The old recommendation gave restricted data the confidential-data reason."""
    assert set(LEVEL_REASONS) == set(DataClassification.values)
    for language in ("en", "ja"):
        with translation.override(language):
            texts = [str(recommend(answers(data_classification=level)).reasons[0]) for level in LEVEL_REASONS]
        assert len(set(texts)) == len(texts), texts
        if language == "ja":
            assert all(text not in LEVEL_REASONS.values() for text in texts), "untranslated level reason"


@pytest.mark.parametrize("level", list(LEVEL_REASONS))
@pytest.mark.parametrize(
    "others",
    [{}, {"fast_start": True}, {"uses_internal_knowledge": True, "tuned_on_own_data": True}],
    ids=["alone", "closed-signal", "open-signals"],
)
def test_the_level_reason_comes_first_whichever_side_wins(level, others):
    with translation.override("en"):
        reasons = [str(reason) for reason in recommend(answers(data_classification=level, **others)).reasons]
    expected = LEVEL_REASONS[level]
    if level == "confidential" and others.get("fast_start"):
        expected = CONFIDENTIAL_REASON  # 5 open points against 3 closed: still self-hosted
    assert reasons[0] == expected
    assert [reason for reason in reasons if reason in LEVEL_REASONS.values()] == [expected]


def test_the_open_style_depends_only_on_the_data_level():
    """Open wins in both cases; only confidential or restricted data makes it self-hosted."""
    shared = {"uses_internal_knowledge": True, "tuned_on_own_data": True}
    for level, style in [("", OPEN), ("public", OPEN), ("internal", OPEN), ("confidential", SELF_HOSTED)]:
        assert recommend(answers(data_classification=level, **shared)).style == style, level


def test_recommend_reads_any_object_missing_attributes():
    """The live recommendation on the form passes partial answers."""
    result = recommend(SimpleNamespace())
    assert result.style == CLOSED and (result.open_points, result.closed_points) == (0, 0)
    assert result.reasons


@pytest.mark.django_db
def test_recommend_reads_a_stored_use_case():
    use_case = UseCaseFactory(
        complete=True,
        category=UseCaseCategory.CONTENT_SEO,
        data_classification="internal",
        uses_internal_knowledge=True,
        tuned_on_own_data=True,
    )
    result = recommend(UseCase.objects.get(pk=use_case.pk))
    assert result.style == OPEN and (result.open_points, result.closed_points) == (6, 0)
