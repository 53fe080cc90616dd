"""The policy checks on licences, jurisdictions and styles: licence restrictions that matter to the use case (not every
licence with a sentence of text), the vendor's jurisdiction beside its processing regions,
and a contradiction between the intended style and the chosen models.

Each rule has a case that fires and one that does not, against the seeded catalogue and
matrix (the migrations ran in the test database); editing paths (API, admin, matrix page)
are checked for the new fields.
"""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from governance import services
from governance.choices import FindingSeverity
from governance.models import ClassificationLevel, ClassificationRule
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import UseCaseFactory, choose_model
from tests.governance.test_rules import (
    APACHE,
    CC_BY_NC,
    LLAMA,
    MIT,
    PROPRIETARY,
    blocking,
    check,
    good_vendor,
    ids,
    model_for,
    stored,
    use_case_with,
)
from usecases import services as usecase_services
from vendors import services as vendor_services
from vendors.models import Licence

BLOCK, WARN, INFO = FindingSeverity.BLOCK, FindingSeverity.WARN, FindingSeverity.INFO
NC, NC_INTERNAL = "licence.non-commercial", "licence.non-commercial-internal"
USER_LIMIT, ACCEPTABLE_USE = "licence.user-limit", "licence.acceptable-use"
DERIVATIVES, RESTRICTIONS, ATTRIBUTION = "licence.derivatives", "licence.restrictions", "licence.attribution"
JURISDICTION, REGION = "vendor.jurisdiction-not-allowed", "vendor.region-not-allowed"
CONTRADICTION = "usecase.style-contradiction"
CLASSIFY = importlib.import_module("vendors.migrations.0005_licence_restriction_kinds")

# A use case none of the licence conditions apply to: staff only, analytics, no personal data.
PLAIN = {"audience": "internal", "category": "analytics", "customers_see_output": False}


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def licence_results(identifier, **fields):
    use_case = use_case_with(
        good_vendor("internal"), "open_self_hosted", "public", licence=identifier, **{**PLAIN, **fields}
    )
    return {(r.rule_id, r.severity): r for r in check(use_case) if r.rule_id.startswith("licence.")}


# --- The seeded catalogue, classified by the data migration ----------------------------------------------


@pytest.mark.django_db
def test_the_seeded_licences_are_classified():
    kinds = {licence.identifier: (licence.restriction_kinds, licence.user_limit) for licence in Licence.objects.all()}
    assert kinds[LLAMA] == (["user_limit", "acceptable_use", "derivatives"], 700_000_000)
    assert kinds[PROPRIETARY] == (["contract_terms"], None)
    assert kinds[APACHE] == kinds[MIT] == kinds[CC_BY_NC] == ([], None)
    # The free text stays, as the explanation.
    assert Licence.objects.get(identifier=MIT).restrictions == "Keep the copyright notice."


@pytest.mark.django_db
def test_the_migration_flags_an_unclassified_licence_with_text_as_other():
    with_text = Licence.objects.create(identifier="LicenseRef-Own", name="Own", restrictions="Only on Tuesdays.")
    without = Licence.objects.create(identifier="LicenseRef-Free", name="Free")
    Licence.objects.filter(identifier=LLAMA).update(restriction_kinds=[], user_limit=None)
    CLASSIFY.classify(apps, None)
    assert Licence.objects.get(pk=with_text.pk).restriction_kinds == ["other"]
    assert Licence.objects.get(pk=without.pk).restriction_kinds == []
    assert Licence.objects.get(identifier=LLAMA).user_limit == 700_000_000


# --- Licence rules: fires / does not fire -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", [MIT, APACHE])
@pytest.mark.parametrize("audience", ["internal", "customer_facing"])
def test_mit_and_apache_attribution_is_information_not_a_warning(identifier, audience):
    found = licence_results(identifier, audience=audience)
    assert set(found) == {(ATTRIBUTION, INFO)}


@pytest.mark.django_db
def test_a_user_limit_warns_for_a_customer_audience():
    found = licence_results(LLAMA, audience="customer_facing")
    finding = found[(USER_LIMIT, WARN)]
    with translation.override("en"):
        assert "at most 700,000,000 monthly active users" in finding.explanation
    with translation.override("ja"):
        assert "700,000,000" in finding.explanation and "月間アクティブユーザー" in finding.explanation


@pytest.mark.django_db
def test_a_user_limit_does_not_warn_for_staff_only_use():
    assert (USER_LIMIT, WARN) not in licence_results(LLAMA)


@pytest.mark.django_db
def test_customers_seeing_the_output_count_as_a_customer_audience():
    assert (USER_LIMIT, WARN) in licence_results(LLAMA, customers_see_output=True, human_checks_output=True)


@pytest.mark.django_db
def test_a_user_limit_without_a_number_says_so():
    Licence.objects.create(identifier="LicenseRef-Capped", name="Capped", restriction_kinds=["user_limit"])
    finding = licence_results("LicenseRef-Capped", audience="customer_facing")[(USER_LIMIT, WARN)]
    assert finding.facts["user_limit"] is None
    with translation.override("en"):
        assert "not recorded in the licence catalogue" in finding.explanation


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, triggers",
    [
        ({}, []),
        ({"audience": "customer_facing"}, ["customer_facing"]),
        ({"category": "creative"}, ["published"]),
        ({"category": "content_seo"}, []),  # knowledge search: "customers see it" decides
        ({"involves_personal_data": True}, ["personal_data"]),
        ({"decides_about_people": True}, ["high_risk"]),
        ({"involves_personal_data": True, "category": "creative"}, ["published", "personal_data"]),
    ],
)
def test_an_acceptable_use_policy_warns_only_where_the_use_case_touches_it(fields, triggers):
    found = licence_results(LLAMA, **fields)
    if not triggers:
        assert (ACCEPTABLE_USE, WARN) not in found
        return
    finding = found[(ACCEPTABLE_USE, WARN)]
    assert finding.facts["triggers"] == triggers
    with translation.override("en"):
        assert "acceptable-use policy" in finding.explanation
        if "personal_data" in triggers:
            assert "it processes personal data" in finding.explanation


@pytest.mark.django_db
@pytest.mark.parametrize("tuned, warned", [(True, True), (False, False)])
def test_derived_models_inherit_the_licence_when_tuning_on_own_data(tuned, warned):
    assert ((DERIVATIVES, WARN) in licence_results(LLAMA, tuned_on_own_data=tuned)) is warned
    # A licence without the derivative term says nothing about tuning.
    assert (DERIVATIVES, WARN) not in licence_results(APACHE, tuned_on_own_data=tuned)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "audience, expected",
    [("customer_facing", (NC, BLOCK)), ("internal", (NC_INTERNAL, WARN))],
)
def test_non_commercial_blocks_for_customers_and_warns_in_business_use(audience, expected):
    found = licence_results(CC_BY_NC, audience=audience)
    assert expected in found
    assert {key for key in found if key[0].startswith("licence.non-commercial")} == {expected}


@pytest.mark.django_db
def test_a_commercial_licence_has_no_non_commercial_finding():
    found = licence_results(APACHE, audience="customer_facing")
    assert not {key for key in found if key[0].startswith("licence.non-commercial")}


@pytest.mark.django_db
@pytest.mark.parametrize("kinds, warned", [(["other"], True), (["contract_terms"], False), ([], False)])
def test_other_restrictions_warn_with_their_text(kinds, warned):
    Licence.objects.create(
        identifier="LicenseRef-Terms", name="Terms", restriction_kinds=kinds, restrictions="No use on Sundays."
    )
    found = licence_results("LicenseRef-Terms")
    assert ((RESTRICTIONS, WARN) in found) is warned
    if warned:
        with translation.override("en"):
            assert "No use on Sundays." in found[(RESTRICTIONS, WARN)].explanation


@pytest.mark.django_db
def test_a_proprietary_api_gives_no_licence_finding():
    use_case = use_case_with(good_vendor("internal"), "closed_api", "internal", **PLAIN, involves_personal_data=True)
    assert ids(check(use_case), "licence.") == set()


# --- Jurisdiction: the vendor's headquarters against the level's list ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "country, level, style, fires",
    [
        ("US", "confidential", "closed_api", True),
        ("CN", "confidential", "closed_api", True),
        ("", "confidential", "closed_api", True),  # an unknown headquarters is not an allowed one
        ("JP", "confidential", "closed_api", False),
        ("US", "internal", "closed_api", False),  # no list for internal data
        ("US", "public", "closed_saas", False),
        ("US", "confidential", "open_self_hosted", False),  # the publisher never sees our data
        ("US", "confidential", "open_cloud", False),
    ],
)
def test_headquarters_outside_the_allowed_jurisdictions(country, level, style, fires):
    vendor = good_vendor("restricted", headquarters_country=country)
    results = check(use_case_with(vendor, style, level))
    found = [r for r in results if r.rule_id == JURISDICTION]
    assert bool(found) is fires
    assert REGION not in ids(results)  # the vendor processes in Japan: only the jurisdiction is at issue
    if fires:
        [finding] = found
        assert finding.severity == BLOCK and finding.subject == f"vendor:{vendor.pk}"
        assert finding.facts["country"] == country and finding.facts["allowed_jurisdictions"] == "JP"
        with translation.override("en"):
            text = finding.explanation
        assert "only to vendors headquartered in JP" in text
        assert (country or "an unknown country") in text


@pytest.mark.django_db
def test_a_cell_region_condition_applies_the_jurisdiction_list_below_confidential(admin_user):
    level = ClassificationLevel.objects.get(code="internal")
    services.update_level(level, admin_user, {"allowed_jurisdictions": ["JP"]})
    vendor = good_vendor("internal", headquarters_country="US")
    assert JURISDICTION not in ids(check(use_case_with(vendor, "closed_api", "internal")))
    rule = ClassificationRule.objects.get(level=level, style="closed_api")
    services.update_matrix_rule(
        rule, admin_user, {"verdict": "conditional", "require_vendor_approval": True, "require_region": True}
    )
    assert blocking(check(use_case_with(vendor, "closed_api", "internal"))) == {JURISDICTION}


@pytest.mark.django_db
def test_changing_jurisdictions_re_checks_the_level_and_is_audited(
    requester, admin_user, django_capture_on_commit_callbacks
):
    def submitted(level):
        use_case = use_case_with(good_vendor("confidential", headquarters_country="US"), level=level, owner=requester)
        return usecase_services.submit(use_case, requester)

    confidential, internal = submitted("confidential"), submitted("internal")
    assert (JURISDICTION, f"vendor:{confidential.model_choices.get().ai_model.publisher_id}", BLOCK) in stored(
        confidential
    )
    internal_before = stored(internal)
    level = ClassificationLevel.objects.get(code="confidential")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_level(level, admin_user, {"allowed_jurisdictions": ["JP", "US"]})
    assert JURISDICTION not in {rule_id for rule_id, _subject, _severity in stored(confidential)}
    assert stored(internal) == internal_before
    event = AuditEvent.objects.get(action="change_level")
    assert event.actor == admin_user and event.changes.keys() == {"allowed_jurisdictions"}
    before, after = event.changes["allowed_jurisdictions"]
    assert (before, sorted(after)) == (["JP"], ["JP", "US"])
    # Nothing changed, nothing audited or re-checked.
    services.update_level(level, admin_user, {"allowed_jurisdictions": ["US", "JP"]})
    assert AuditEvent.objects.filter(action="change_level").count() == 1


@pytest.mark.django_db
def test_a_vendor_moving_its_headquarters_re_checks_its_use_cases(
    requester, reviewer, django_capture_on_commit_callbacks
):
    vendor = good_vendor("confidential", headquarters_country="JP")
    use_case = usecase_services.submit(use_case_with(vendor, level="confidential", owner=requester), requester)
    assert JURISDICTION not in {rule_id for rule_id, _subject, _severity in stored(use_case)}
    with django_capture_on_commit_callbacks(execute=True):
        vendor_services.update_vendor(vendor, reviewer, {"headquarters_country": "US"})
    assert (JURISDICTION, f"vendor:{vendor.pk}", BLOCK) in stored(use_case)


@pytest.mark.django_db
def test_the_matrix_page_edits_and_shows_jurisdictions(en, admin_user):
    level = ClassificationLevel.objects.get(code="confidential")
    url = reverse("governance:level-update", args=[level.pk])
    en.force_login(admin_user)
    assert "allowed_jurisdictions" in en.get(url).context["form"].fields
    data = {
        "description_ja": level.description_ja,
        "description_en": level.description_en,
        "allowed_regions": ["JP"],
        "allowed_jurisdictions": ["JP", "DE"],
    }
    response = en.post(url, data)
    assert response.status_code == 302
    assert sorted(str(c) for c in ClassificationLevel.objects.get(pk=level.pk).allowed_jurisdictions) == ["DE", "JP"]
    assert AuditEvent.objects.get(action="change_level").changes.keys() == {"allowed_jurisdictions"}
    assert "Vendors headquartered in: Germany, Japan" in en.get(reverse("governance:matrix")).content.decode()
    response = en.post(url, {**data, "allowed_jurisdictions": ["ZZ"]})
    assert response.status_code == 200 and "allowed_jurisdictions" in response.context["form"].errors
    assert AuditEvent.objects.filter(action="change_level").count() == 1


@pytest.mark.django_db
def test_api_reads_and_patches_jurisdictions(admin_user):
    api = api_client_for(admin_user)
    level = ClassificationLevel.objects.get(code="restricted")
    url = f"/api/v1/classification-levels/{level.pk}/"
    assert api.get(url).json()["allowed_jurisdictions"] == ["JP"]
    response = api.patch(url, {"allowed_jurisdictions": ["JP", "SG"]}, format="json")
    assert response.status_code == 200 and sorted(response.json()["allowed_jurisdictions"]) == ["JP", "SG"]
    event = AuditEvent.objects.get(action="change_level")
    assert event.changes["allowed_jurisdictions"][0] == ["JP"]
    for bad in (["ZZ"], "JP", [None]):
        response = api.patch(url, {"allowed_jurisdictions": bad}, format="json")
        assert response.status_code == 400 and "allowed_jurisdictions" in response.json(), bad
    assert AuditEvent.objects.filter(action="change_level").count() == 1


@pytest.mark.django_db
def test_a_requester_cannot_patch_jurisdictions(requester):
    level = ClassificationLevel.objects.get(code="confidential")
    response = api_client_for(requester).patch(
        f"/api/v1/classification-levels/{level.pk}/", {"allowed_jurisdictions": []}, format="json"
    )
    assert response.status_code == 403
    assert [str(c) for c in ClassificationLevel.objects.get(pk=level.pk).allowed_jurisdictions] == ["JP"]


# --- Intended style against the chosen models ------------------------------------------------------------


def with_models(intended, *styles):
    """A use case meant to run as ``intended`` whose models are deployed as ``styles``."""
    use_case = UseCaseFactory(complete=True, data_classification="public", intended_style=intended, **PLAIN)
    vendor = good_vendor("internal")
    for style in styles:
        choose_model(use_case, model_for(vendor, style), style)
    return use_case


@pytest.mark.django_db
@pytest.mark.parametrize(
    "intended, styles, contradicting",
    [
        ("closed_api", ["open_self_hosted"], ["open_self_hosted"]),  # the example
        ("closed_api", ["closed_api", "open_self_hosted"], ["open_self_hosted"]),
        ("closed_api", ["closed_saas"], ["closed_saas"]),
        ("closed_saas", ["open_cloud"], ["open_cloud"]),
        ("open_self_hosted", ["open_cloud"], ["open_cloud"]),
        ("open_self_hosted", ["closed_api"], ["closed_api"]),
        ("open_cloud", ["closed_saas", "open_cloud"], ["closed_saas"]),
        ("hybrid", ["closed_api"], ["closed_api"]),
        ("hybrid", ["open_self_hosted", "open_cloud"], ["open_self_hosted", "open_cloud"]),
        ("closed_api", ["closed_api"], []),
        ("closed_api", ["closed_api", "closed_api"], []),
        ("open_self_hosted", ["open_self_hosted"], []),
        ("hybrid", ["closed_api", "open_self_hosted"], []),
        ("hybrid", ["closed_saas", "open_cloud", "open_self_hosted"], []),
        ("", ["open_self_hosted"], []),  # nothing intended yet: nothing to contradict
        ("closed_api", [], []),  # no model yet: usecase.no-model says so
    ],
)
def test_style_contradiction(intended, styles, contradicting):
    use_case = with_models(intended, *styles)
    found = [r for r in check(use_case) if r.rule_id == CONTRADICTION]
    if not contradicting:
        assert found == []
        return
    [finding] = found
    assert finding.severity == WARN and finding.subject == ""
    assert finding.facts["intended_style"] == intended
    assert [style for _model, style in finding.facts["deployments"]] == contradicting
    assert CONTRADICTION not in blocking([finding])


@pytest.mark.django_db
def test_a_style_contradiction_reads_in_both_languages():
    use_case = with_models("closed_api", "open_self_hosted")
    [finding] = [r for r in check(use_case) if r.rule_id == CONTRADICTION]
    model = use_case.model_choices.get().ai_model
    with translation.override("en"):
        text = finding.explanation
    assert "“Closed: vendor API”" in text and f"{model} (Open model, self-hosted)" in text
    with translation.override("ja"):
        text = finding.explanation
    assert "ハイブリッド" in text and str(model) in text and "Closed: vendor API" not in text


@pytest.mark.django_db
def test_fixing_the_models_clears_the_contradiction():
    use_case = with_models("closed_api", "open_self_hosted")
    assert CONTRADICTION in ids(check(use_case))
    use_case.model_choices.all().delete()
    choose_model(use_case, model_for(good_vendor("internal"), "closed_api"), "closed_api")
    assert CONTRADICTION not in ids(check(use_case))


# --- Editing the structured restrictions -----------------------------------------------------------------


@pytest.mark.django_db
def test_api_edits_restriction_kinds_and_user_limit(admin_user):
    api = api_client_for(admin_user)
    licence = Licence.objects.get(identifier=LLAMA)
    body = api.get(f"/api/v1/licences/{licence.pk}/").json()
    assert body["restriction_kinds"] == ["user_limit", "acceptable_use", "derivatives"]
    assert body["user_limit"] == 700_000_000 and body["restrictions"].startswith("Commercial use allowed")
    response = api.patch(
        f"/api/v1/licences/{licence.pk}/",
        {"restriction_kinds": ["user_limit", "acceptable_use"], "user_limit": 1000},
        format="json",
    )
    assert response.status_code == 200, response.json()
    licence.refresh_from_db()
    assert (licence.restriction_kinds, licence.user_limit) == (["user_limit", "acceptable_use"], 1000)
    created = api.post(
        "/api/v1/licences/",
        {"identifier": "LicenseRef-New", "name": "New", "restriction_kinds": ["other"], "restrictions": "Ask."},
        format="json",
    )
    assert created.status_code == 201 and created.json()["restriction_kinds"] == ["other"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, field",
    [
        ({"restriction_kinds": ["monthly_users"]}, "restriction_kinds"),
        ({"restriction_kinds": "user_limit"}, "restriction_kinds"),
        ({"restriction_kinds": ["other", "other"]}, "restriction_kinds"),
        ({"restriction_kinds": ["other"], "user_limit": 5}, "user_limit"),  # a limit needs its kind
        ({"user_limit": 0}, "user_limit"),
        ({"user_limit": 10**13}, "user_limit"),
        ({"user_limit": 99999999999999999999}, "user_limit"),
    ],
)
def test_api_refuses_bad_restrictions_naming_the_field(admin_user, data, field):
    licence = Licence.objects.get(identifier=MIT)
    response = api_client_for(admin_user).patch(f"/api/v1/licences/{licence.pk}/", data, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    licence.refresh_from_db()
    assert (licence.restriction_kinds, licence.user_limit) == ([], None)


@pytest.mark.django_db
def test_admin_edits_restriction_kinds(client, admin_user):
    licence = Licence.objects.get(identifier=APACHE)
    url = reverse("admin:vendors_licence_change", args=[licence.pk])
    client.force_login(admin_user)
    page = client.get(url)
    assert page.status_code == 200 and 'name="restriction_kinds"' in page.content.decode()
    data = {
        "identifier": licence.identifier,
        "name": licence.name,
        "commercial_use": "on",
        "redistribution": "on",
        "attribution_required": "on",
        "restriction_kinds": ["acceptable_use", "user_limit"],
        "user_limit": "5000",
        "restrictions": licence.restrictions,
        "url": licence.url,
    }
    assert client.post(url, data).status_code == 302
    licence.refresh_from_db()
    assert (sorted(licence.restriction_kinds), licence.user_limit) == (["acceptable_use", "user_limit"], 5000)
    # A limit without its kind is a form error; nothing changes.
    response = client.post(url, {**data, "restriction_kinds": ["other"]})
    assert response.status_code == 200 and "user_limit" in response.context["adminform"].form.errors
    licence.refresh_from_db()
    assert licence.user_limit == 5000 and "other" not in licence.restriction_kinds


@pytest.mark.django_db
def test_the_licence_page_shows_kinds_and_limit(en, requester):
    en.force_login(requester)
    text = en.get(reverse("vendors:licence-list")).content.decode()
    assert "User-count limit" in text and "at most 700,000,000 monthly active users" in text
