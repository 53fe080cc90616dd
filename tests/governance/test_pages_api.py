"""The governance pages and API at work: the use-case panel (findings, recommendation,
stages, the decide form), decisions, exceptions and risk-tier overrides, the
classification matrix and its audited edits, the recommendation, chosen models, the
review queue, and bad input answered with messages or 400s, never a 500."""

import datetime
import html
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from governance import checks, services
from governance.choices import RecommendedStyle, StageStatus
from governance.models import ApprovalStage, ClassificationLevel, ClassificationRule, Finding, PolicyException
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import AIModelFactory, UseCaseFactory
from usecases import services as usecase_services
from usecases.choices import DataClassification, DeploymentStyle
from usecases.models import UseCase, UseCaseModel
from vendors.models import Licence

pytestmark = pytest.mark.django_db

BLOCKED_RULE, BLOCKED_SUBJECT = "classification.prohibited", "style:closed_saas"
COMMENT_REQUIRED = "Explain the decision: a comment is required unless you approve."


# --- Helpers ---------------------------------------------------------------------------------------------


class _Elements(HTMLParser):
    """Collect the elements matching ``wanted(tag, attrs)``: their attributes and text."""

    def __init__(self, wanted):
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.found = []
        self.open = []  # [(tag, depth, record)]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for open_tag, _depth, record in self.open:
            if open_tag == tag:
                record["depth"] += 1
        if self.wanted(tag, attrs):
            record = {"tag": tag, "attrs": attrs, "text": "", "depth": 1}
            self.found.append(record)
            self.open.append((tag, 1, record))

    def handle_endtag(self, tag):
        for open_tag, _depth, record in list(self.open):
            if open_tag == tag:
                record["depth"] -= 1
                if record["depth"] == 0:
                    self.open.remove((open_tag, _depth, record))

    def handle_data(self, data):
        for _tag, _depth, record in self.open:
            record["text"] += data


def elements(response, tag, **attrs):
    """Elements of ``tag`` whose attributes have the given values (True: present at all)."""

    def wanted(found_tag, found_attrs):
        return found_tag == tag and all(
            (name.replace("_", "-") in found_attrs)
            if value is True
            else found_attrs.get(name.replace("_", "-")) == value
            for name, value in attrs.items()
        )

    parser = _Elements(wanted)
    parser.feed(response.content.decode())
    return [{**record["attrs"], "text": " ".join(record["text"].split())} for record in parser.found]


def page_messages(response):
    return [html.unescape(element["text"]) for element in elements(response, "div", role="alert")]


def governance_panel(response):
    return next(context for name, context in response.context["panels"] if name.startswith("governance/"))


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def submitted_use_case(owner, **fields):
    use_case = UseCaseFactory(complete=True, owner=owner, **fields)
    return usecase_services.submit(use_case, owner)


def blocked_use_case(owner, **fields):
    """Confidential data meant for a SaaS feature: the matrix forbids it."""
    return submitted_use_case(owner, data_classification="confidential", intended_style="closed_saas", **fields)


def formset(prefix, rows, initial=0):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


@pytest.fixture(autouse=True)
def _requests_leave_no_language_behind():
    """Work outside requests (fixtures, services) runs in the default language, whatever
    language the previous test's last request activated."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def en(client):
    """The test client, asking for English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def high_risk(requester):
    """A high-risk use case in review: IT, data/security, legal and executive stages, IT first."""
    return submitted_use_case(requester, decides_about_people=True, title="採用候補者の書類選考支援")


@pytest.fixture
def blocked(requester):
    return blocked_use_case(requester, title="顧客データをSaaSで要約")


def decide_url(use_case, stage):
    return reverse("governance:decide", args=[use_case.reference, stage.pk])


def stage_rows(response):
    return {row["data-stage"]: row for row in elements(response, "tr", data_stage=True)}


# --- The use-case detail page --------------------------------------------------------------------------


def test_detail_shows_findings_recommendation_and_stages(en, blocked, reviewer):
    en.force_login(reviewer)
    response = en.get(blocked.get_absolute_url())
    assert response.status_code == 200
    findings = {row["data-rule"]: row for row in elements(response, "li", data_rule=True)}
    assert findings.keys() == {BLOCKED_RULE, "usecase.no-model"}
    assert findings[BLOCKED_RULE]["data-severity"] == "block"
    assert "Data level not allowed for this deployment" in findings[BLOCKED_RULE]["text"]
    assert f"Rule {BLOCKED_RULE} · {BLOCKED_SUBJECT}" in findings[BLOCKED_RULE]["text"]
    # The blocking finding comes first.
    assert [row["data-rule"] for row in elements(response, "li", data_rule=True)][0] == BLOCKED_RULE
    # Confidential data: the open, self-hosted recommendation with its reason.
    [style] = elements(response, "strong", id="recommended-style")
    assert style["text"] == "Open model, self-hosted"
    assert "Confidential data: self-hosting keeps it inside the company." in response.content.decode()
    rows = stage_rows(response)
    assert list(rows) == ["it-review"]
    assert rows["it-review"]["class"] == "table-primary" and "current" in rows["it-review"]["text"]
    assert elements(response, "form", id="decide-form")
    # A reviewer may not grant exceptions, but may set the risk tier.
    assert not elements(response, "a", id="grant-exception")
    assert elements(response, "a", id="override-risk-tier")


def test_finding_explanations_follow_the_readers_language(client, requester, reviewer):
    """Findings are stored once but read in two languages: the level and style named in the
    explanation must be in the reader's language, whichever language was active when the
    checks ran (the requester's Japanese submission, or a re-check from an English request)."""
    with translation.override("ja"):
        use_case = blocked_use_case(requester)
    client.force_login(reviewer)
    english = client.get(use_case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    [finding] = elements(english, "li", data_rule=BLOCKED_RULE)
    assert (
        "Confidential data may not be used with a model deployed as “Closed: AI feature of a SaaS tool”"
        in finding["text"]
    )
    api = api_client_for(reviewer).get(f"/api/v1/findings/?rule_id={BLOCKED_RULE}", HTTP_ACCEPT_LANGUAGE="en")
    assert api.json()["results"][0]["explanation"].startswith("Confidential data may not be used")

    with translation.override("en"):
        checks.run_checks(use_case)
    japanese = client.get(use_case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja")
    [finding] = elements(japanese, "li", data_rule=BLOCKED_RULE)
    with translation.override("ja"):
        level, style = str(DataClassification.CONFIDENTIAL.label), str(DeploymentStyle.CLOSED_SAAS.label)
    assert level in finding["text"] and style in finding["text"]
    assert "Confidential" not in finding["text"] and "Closed: AI feature" not in finding["text"]


def test_the_current_stage_moves_and_the_decide_form_follows_the_group(
    en, four_eyes_off, high_risk, reviewer, legal_reviewer, requester, executive
):
    def page(user):
        en.force_login(user)
        return en.get(high_risk.get_absolute_url())

    response = page(reviewer)
    rows = stage_rows(response)
    assert list(rows) == ["it-review", "data-security-review", "legal-review", "executive-signoff"]
    assert [rows[code]["data-status"] for code in rows] == ["pending"] * 4
    assert [("current" in row["text"]) for row in rows.values()] == [True, False, False, False]
    assert [row["class"] for row in rows.values()] == ["table-primary", "", "", ""]
    assert elements(response, "form", id="decide-form")[0]["action"] == decide_url(
        high_risk, services.active_stage(high_risk)
    )
    for user in (requester, legal_reviewer, executive):
        assert not elements(page(user), "form", id="decide-form"), user.username

    # IT approves: data/security is next, still the reviewer's group.
    en.force_login(reviewer)
    response = en.post(decide_url(high_risk, services.active_stage(high_risk)), {"stage-decision": "approve"})
    assert response.status_code == 302
    rows = stage_rows(page(reviewer))
    assert rows["it-review"]["data-status"] == "approved" and "reviewer" in rows["it-review"]["text"]
    assert "current" in rows["data-security-review"]["text"]
    en.post(decide_url(high_risk, services.active_stage(high_risk)), {"stage-decision": "approve"})
    # Legal is next: only the legal reviewer sees the form now.
    assert not elements(page(reviewer), "form", id="decide-form")
    response = page(legal_reviewer)
    assert "current" in stage_rows(response)["legal-review"]["text"]
    assert elements(response, "form", id="decide-form")
    assert UseCase.objects.get(pk=high_risk.pk).status == "in_review"


def test_owner_sees_the_panel_without_the_decide_form(en, blocked, requester):
    en.force_login(requester)
    response = en.get(blocked.get_absolute_url())
    assert response.status_code == 200
    assert BLOCKED_RULE in {row["data-rule"] for row in elements(response, "li", data_rule=True)}
    assert "current" in stage_rows(response)["it-review"]["text"]
    assert not elements(response, "form", id="decide-form")
    assert not elements(response, "a", id="override-risk-tier")
    assert not elements(response, "a", id="grant-exception")


# --- Deciding through the page ---------------------------------------------------------------------------


def test_approving_through_the_page(en, reviewer, requester):
    use_case = submitted_use_case(requester)
    stage = services.active_stage(use_case)
    en.force_login(reviewer)
    response = en.post(decide_url(use_case, stage), {"stage-decision": "approve", "stage-comment": "問題なし"})
    assert response.status_code == 302 and response.url == use_case.get_absolute_url()
    stage.refresh_from_db()
    assert (stage.status, stage.decision, stage.decided_by, stage.comment) == (
        "approved",
        "approve",
        reviewer,
        "問題なし",
    )
    use_case.refresh_from_db()
    assert use_case.status == "approved" and use_case.next_review_on is not None
    assert "Decision recorded." in page_messages(en.get(response.url))
    assert AuditEvent.objects.filter(object_id=str(use_case.pk), action="approve").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"stage-decision": "reject", "stage-comment": "  "}, COMMENT_REQUIRED),
        ({"stage-decision": "request_changes"}, COMMENT_REQUIRED),
        ({"stage-decision": "maybe"}, "Select a valid choice. maybe is not one of the available choices."),
        ({}, "This field is required."),
    ],
)
def test_invalid_decisions_come_back_as_messages(en, reviewer, requester, data, message):
    use_case = submitted_use_case(requester)
    stage = services.active_stage(use_case)
    en.force_login(reviewer)
    response = en.post(decide_url(use_case, stage), data, follow=True)
    assert response.status_code == 200
    assert message in page_messages(response)
    stage.refresh_from_db()
    assert stage.status == StageStatus.PENDING and stage.decided_by is None
    assert UseCase.objects.get(pk=use_case.pk).status == "submitted"


def test_a_blocking_finding_refuses_approval_with_a_message(en, blocked, reviewer):
    stage = services.active_stage(blocked)
    en.force_login(reviewer)
    response = en.post(decide_url(blocked, stage), {"stage-decision": "approve"}, follow=True)
    assert response.status_code == 200
    [message] = page_messages(response)
    assert message.startswith("Approval is blocked by: Data level not allowed for this deployment.")
    assert ApprovalStage.objects.get(pk=stage.pk).status == StageStatus.PENDING
    assert UseCase.objects.get(pk=blocked.pk).status == "submitted"
    # The findings shown are the ones just re-checked.
    assert BLOCKED_RULE in {row["data-rule"] for row in elements(response, "li", data_rule=True)}


def test_rejecting_with_a_comment_through_the_page(en, blocked, reviewer):
    stage = services.active_stage(blocked)
    en.force_login(reviewer)
    response = en.post(decide_url(blocked, stage), {"stage-decision": "reject", "stage-comment": "SaaSは不可"})
    assert response.status_code == 302
    blocked.refresh_from_db()
    assert blocked.status == "rejected"
    assert ApprovalStage.objects.get(pk=stage.pk).comment == "SaaSは不可"


def test_deciding_a_stage_twice_is_a_message_not_an_error(en, reviewer, requester):
    use_case = submitted_use_case(requester, customers_see_output=True, human_checks_output=True)
    stage = services.active_stage(use_case)
    en.force_login(reviewer)
    assert en.post(decide_url(use_case, stage), {"stage-decision": "approve"}).status_code == 302
    response = en.post(
        decide_url(use_case, stage), {"stage-decision": "reject", "stage-comment": "遅れて却下"}, follow=True
    )
    assert response.status_code == 200
    assert any("already decided" in message for message in page_messages(response))
    assert ApprovalStage.objects.get(pk=stage.pk).decision == "approve"
    assert UseCase.objects.get(pk=use_case.pk).status == "in_review"


# --- Exceptions through the page -------------------------------------------------------------------------


def test_granting_an_exception_through_the_page_lets_the_stage_be_approved(en, blocked, executive, reviewer):
    url = reverse("governance:grant-exception", args=[blocked.reference])
    en.force_login(executive)
    form = en.get(url).context["form"]
    assert [value for value, _label in form.fields["finding"].choices] == [f"{BLOCKED_RULE}|{BLOCKED_SUBJECT}"]
    assert elements(en.get(blocked.get_absolute_url()), "a", id="grant-exception")
    response = en.post(
        url,
        {
            "finding": f"{BLOCKED_RULE}|{BLOCKED_SUBJECT}",
            "justification": "期限付きで試行を認める",
            "expires_on": in_days(60).isoformat(),
        },
    )
    assert response.status_code == 302 and response.url == blocked.get_absolute_url()
    exception = PolicyException.objects.get(use_case=blocked)
    assert (exception.rule_id, exception.subject, exception.granted_by) == (BLOCKED_RULE, BLOCKED_SUBJECT, executive)
    assert exception.expires_on == in_days(60)
    event = AuditEvent.objects.filter(object_id=str(blocked.pk), action="grant_exception").get()
    assert event.comment == "期限付きで試行を認める" and event.data["rule_id"] == BLOCKED_RULE
    page = en.get(blocked.get_absolute_url())
    assert "Exception granted." in page_messages(page)
    [finding] = elements(page, "li", data_rule=BLOCKED_RULE)
    assert "exception granted" in finding["text"]
    assert not elements(page, "a", id="grant-exception")  # nothing left to except
    # The reviewer may now approve.
    en.force_login(reviewer)
    assert (
        en.post(decide_url(blocked, services.active_stage(blocked)), {"stage-decision": "approve"}).status_code == 302
    )
    assert UseCase.objects.get(pk=blocked.pk).status == "approved"


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"expires_on": -30}, "expires_on", "The expiry date must be in the future."),
        ({"expires_on": 0}, "expires_on", "The expiry date must be in the future."),
        ({"expires_on": "not-a-date"}, "expires_on", "Enter a valid date."),
        ({"expires_on": 730}, "expires_on", "An exception lasts at most a year."),
        ({"justification": "   "}, "justification", "This field is required."),
        ({"finding": "licence.non-commercial|model:1"}, "finding", None),
    ],
)
def test_invalid_exceptions_show_form_errors(en, blocked, admin_user, change, field, message):
    data = {"finding": f"{BLOCKED_RULE}|{BLOCKED_SUBJECT}", "justification": "理由", "expires_on": 30, **change}
    if isinstance(data["expires_on"], int):
        data["expires_on"] = in_days(data["expires_on"]).isoformat()
    en.force_login(admin_user)
    response = en.post(reverse("governance:grant-exception", args=[blocked.reference]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert message in errors[field]
    assert not PolicyException.objects.exists()
    assert not AuditEvent.objects.filter(action="grant_exception").exists()


def test_the_exception_page_of_a_use_case_without_blocking_findings(en, requester, executive):
    use_case = submitted_use_case(requester)
    en.force_login(executive)
    response = en.get(reverse("governance:grant-exception", args=[use_case.reference]))
    assert response.status_code == 200
    assert "This use case has no blocking finding." in response.content.decode()
    response = en.post(
        reverse("governance:grant-exception", args=[use_case.reference]),
        {"finding": "usecase.no-model|", "justification": "x", "expires_on": in_days(10).isoformat()},
    )
    assert response.status_code == 200 and "finding" in response.context["form"].errors
    assert not PolicyException.objects.exists()


# --- The risk tier ---------------------------------------------------------------------------------------


def test_risk_override_page(en, blocked, reviewer):
    url = reverse("governance:override-risk-tier", args=[blocked.reference])
    en.force_login(reviewer)
    page = en.get(url)
    assert page.status_code == 200
    assert any(p["text"] == "From the answers: Minimal risk" for p in elements(page, "p"))
    response = en.post(url, {"tier": "high", "justification": "顧客データの大量処理"})
    assert response.status_code == 302 and response.url == blocked.get_absolute_url()
    blocked.refresh_from_db()
    assert (blocked.risk_tier, blocked.risk_tier_override, blocked.effective_risk_tier) == ("minimal", "high", "high")
    event = AuditEvent.objects.filter(object_id=str(blocked.pk), action="override_risk_tier").get()
    assert (event.from_state, event.to_state, event.actor) == ("minimal", "high", reviewer)
    # High risk needs more stages: they are planned at once.
    codes = set(
        ApprovalStage.objects.filter(use_case=blocked, status="pending").values_list("definition__code", flat=True)
    )
    assert codes == {"it-review", "data-security-review", "legal-review", "executive-signoff"}
    detail = en.get(response.url)
    assert "Risk tier saved." in page_messages(detail)
    assert "Risk tier set to High risk by a reviewer (the answers give Minimal risk): 顧客データの大量処理" in " ".join(
        html.unescape(detail.content.decode()).split()
    )
    # Back to the derived tier.
    assert en.get(url).context["form"].initial == {"tier": "high"}
    assert en.post(url, {"tier": "", "justification": "元に戻す"}).status_code == 302
    blocked.refresh_from_db()
    assert (blocked.risk_tier_override, blocked.effective_risk_tier) == ("", "minimal")


def test_the_override_audit_records_the_fields_own_before_and_after(blocked, reviewer):
    """``changes`` holds ``{field: [before, after]}`` of the field itself; the derived tier
    the use case had is the event's ``from_state``, not a value the override field held."""
    services.override_risk_tier(blocked, reviewer, "high", "顧客データの大量処理")
    services.override_risk_tier(blocked, reviewer, "limited", "見直し")
    services.override_risk_tier(blocked, reviewer, "", "元に戻す")
    events = AuditEvent.objects.filter(object_id=str(blocked.pk), action="override_risk_tier").order_by("pk")
    assert [(event.from_state, event.to_state) for event in events] == [
        ("minimal", "high"),
        ("high", "limited"),
        ("limited", "minimal"),
    ]
    assert [event.changes for event in events] == [
        {"risk_tier_override": ["", "high"]},
        {"risk_tier_override": ["high", "limited"]},
        {"risk_tier_override": ["limited", ""]},
    ]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"tier": "high", "justification": ""}, "justification"),
        ({"tier": "catastrophic", "justification": "x"}, "tier"),
    ],
)
def test_invalid_override_shows_form_errors(en, blocked, admin_user, data, field):
    en.force_login(admin_user)
    response = en.post(reverse("governance:override-risk-tier", args=[blocked.reference]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert UseCase.objects.get(pk=blocked.pk).risk_tier_override == ""


def test_override_of_a_closed_use_case_is_refused_on_the_page_and_the_api(en, requester, reviewer):
    use_case = submitted_use_case(requester)
    usecase_services.withdraw(use_case, requester)
    en.force_login(reviewer)
    response = en.post(
        reverse("governance:override-risk-tier", args=[use_case.reference]), {"tier": "high", "justification": "x"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    response = api_client_for(reviewer).post(
        f"/api/v1/use-case-reviews/{use_case.reference}/override-risk-tier/",
        {"tier": "high", "justification": "x"},
        format="json",
    )
    assert response.status_code == 409 and response.json()["detail"]
    assert UseCase.objects.get(pk=use_case.pk).risk_tier_override == ""


# --- The classification matrix ---------------------------------------------------------------------------

STYLES = ["closed_saas", "closed_api", "open_cloud", "open_self_hosted"]
LEVELS = ["public", "internal", "confidential", "restricted"]


def test_matrix_page_shows_four_levels_by_four_styles(en, requester):
    en.force_login(requester)
    response = en.get(reverse("governance:matrix"))
    assert response.status_code == 200
    levels = response.context["levels"]
    assert [level.code for level in levels] == LEVELS
    assert all([rule.style for rule in level.cells] == STYLES for level in levels)
    cells = {(cell["data-level"], cell["data-style"]): cell for cell in elements(response, "td", data_level=True)}
    assert set(cells) == {(level, style) for level in LEVELS for style in STYLES}
    assert len(elements(response, "td", data_level=True)) == 16
    headers = elements(response, "th", scope="row")
    labels = ["Public", "Internal", "Confidential", "Restricted"]
    assert [header["text"].startswith(label) for header, label in zip(headers, labels, strict=True)] == [True] * 4
    assert cells[("restricted", "closed_api")]["class"] == "table-danger"
    assert cells[("public", "closed_api")]["class"] == "table-success"
    confidential_api = cells[("confidential", "closed_api")]
    assert confidential_api["class"] == "table-warning"
    assert "Allowed with conditions" in confidential_api["text"] and "zero retention" in confidential_api["text"]
    assert "Processing allowed in: Japan" in headers[2]["text"]
    assert not elements(response, "a", href=reverse("governance:rule-update", args=[1]))


def test_editing_a_matrix_cell_through_the_page_is_audited(en, admin_user, reviewer):
    rule = ClassificationRule.objects.get(level__code="confidential", style="closed_api")
    url = reverse("governance:rule-update", args=[rule.pk])
    en.force_login(admin_user)
    form = en.get(url).context["form"]
    assert form.initial["verdict"] == "conditional" and form.initial["require_region"] is True
    data = {
        "verdict": "conditional",
        "require_vendor_approval": "on",
        "require_zero_retention": "on",
        "require_no_training": "on",
        "note": "地域要件は契約で担保",
    }
    response = en.post(url, data)
    assert response.status_code == 302 and response.url == reverse("governance:matrix")
    rule.refresh_from_db()
    assert (rule.require_region, rule.require_zero_retention, rule.note) == (False, True, "地域要件は契約で担保")
    event = AuditEvent.objects.get(action="change_matrix")
    assert event.actor == admin_user and event.object_id == str(rule.pk)
    assert event.changes == {
        "require_region": [True, False],
        "note": ["Zero retention, no training on our data, approved at confidential.", "地域要件は契約で担保"],
    }
    assert (event.from_state, event.to_state) == ("conditional", "conditional")
    matrix = en.get(response.url)
    assert any("Saved; the change is in the audit trail" in message for message in page_messages(matrix))
    [history] = elements(matrix, "ul", id="matrix-history")
    # Field names and values read as the form labels them, not as codes (issue 19).
    assert "Processing region and vendor jurisdiction in the level's allowed lists: yes → no" in history["text"]
    assert "require_region" not in history["text"] and "True" not in history["text"]
    # The same form again changes nothing, and records nothing.
    assert en.post(url, data).status_code == 302
    assert AuditEvent.objects.filter(action="change_matrix").count() == 1
    # Through the API too, readable by a reviewer.
    [row] = api_client_for(reviewer).get("/api/v1/audit-events/?action=change_matrix").json()["results"]
    assert row["changes"]["require_region"] == [True, False] and row["object_type"] == "governance.classificationrule"


def test_prohibiting_a_cell_re_checks_the_use_cases_it_affects(
    en, admin_user, requester, django_capture_on_commit_callbacks
):
    use_case = submitted_use_case(requester, data_classification="internal", intended_style="open_cloud")
    assert not Finding.objects.filter(use_case=use_case, rule_id=BLOCKED_RULE).exists()
    rule = ClassificationRule.objects.get(level__code="internal", style="open_cloud")
    en.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = en.post(reverse("governance:rule-update", args=[rule.pk]), {"verdict": "prohibited"})
    assert response.status_code == 302
    finding = Finding.objects.get(use_case=use_case, rule_id=BLOCKED_RULE)
    assert finding.subject == "style:open_cloud" and finding.severity == "block"
    event = AuditEvent.objects.get(action="change_matrix")
    assert event.changes == {"verdict": ["allowed", "prohibited"]}
    assert (event.from_state, event.to_state) == ("allowed", "prohibited")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"verdict": "conditional"}, "Choose at least one condition, or allow the cell without conditions."),
        ({"verdict": "allowed", "require_zero_retention": "on"}, "Conditions apply only to “allowed with conditions”."),
        ({"verdict": "sometimes"}, None),
    ],
)
def test_invalid_matrix_edits_show_a_form_error(en, admin_user, data, message):
    rule = ClassificationRule.objects.get(level__code="internal", style="closed_api")
    before = ClassificationRule.objects.filter(pk=rule.pk).values().get()
    en.force_login(admin_user)
    response = en.post(reverse("governance:rule-update", args=[rule.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "verdict" in errors
    if message:
        assert message in errors["verdict"]
        assert message in html.unescape(response.content.decode())
    assert ClassificationRule.objects.filter(pk=rule.pk).values().get() == before
    assert not AuditEvent.objects.filter(action="change_matrix").exists()


def test_editing_a_level_changes_its_allowed_regions(en, admin_user):
    level = ClassificationLevel.objects.get(code="confidential")
    url = reverse("governance:level-update", args=[level.pk])
    en.force_login(admin_user)
    assert en.get(url).status_code == 200
    data = {
        "description_ja": level.description_ja,
        "description_en": level.description_en,
        "allowed_regions": ["JP", "DE"],
        "allowed_jurisdictions": ["JP"],
    }
    response = en.post(url, data)
    assert response.status_code == 302 and response.url == reverse("governance:matrix")
    level.refresh_from_db()
    assert sorted(str(country) for country in level.allowed_regions) == ["DE", "JP"]
    event = AuditEvent.objects.get(action="change_level")
    assert event.actor == admin_user and event.object_id == str(level.pk)
    assert event.changes.keys() == {"allowed_regions"}
    before, after = event.changes["allowed_regions"]
    assert (before, sorted(after)) == (["JP"], ["DE", "JP"])
    matrix = en.get(reverse("governance:matrix"))
    assert "Processing allowed in: Germany, Japan" in elements(matrix, "th", scope="row")[2]["text"]
    # An unknown country is a form error.
    response = en.post(url, {**data, "allowed_regions": ["ZZ"]})
    assert response.status_code == 200 and "allowed_regions" in response.context["form"].errors
    assert AuditEvent.objects.filter(action="change_level").count() == 1


# --- The recommendation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ja"])
def test_recommendation_fragment_in_the_active_language(client, requester, language):
    client.force_login(requester)
    response = client.get(
        reverse("governance:recommendation") + "?category=analytics&data_classification=confidential",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert response["Content-Language"] == language
    with translation.override(language):
        label = str(RecommendedStyle.OPEN_SELF_HOSTED.label)
        reason = str(translation.gettext("Confidential data: self-hosting keeps it inside the company."))
    [style] = elements(response, "strong", id="recommended-style")
    assert style["text"] == label
    [body] = elements(response, "div", id="recommendation-body")
    assert reason in body["text"]
    assert "<html" not in response.content.decode()  # a fragment, not a page


def test_recommendation_labels_are_translated(client, requester):
    with translation.override("ja"):
        japanese = str(RecommendedStyle.OPEN_SELF_HOSTED.label)
    with translation.override("en"):
        english = str(RecommendedStyle.OPEN_SELF_HOSTED.label)
    assert japanese != english


@pytest.mark.parametrize(
    "query, style",
    [
        ("", RecommendedStyle.CLOSED),
        ("category=analytics&data_classification=internal", RecommendedStyle.CLOSED),
        ("category=content_seo&data_classification=internal&uses_internal_knowledge=on", RecommendedStyle.OPEN),
        (
            "category=nonsense&data_classification=top-secret&monthly_requests=lots&audience=%00",
            RecommendedStyle.CLOSED,
        ),
        # Restricted data stays on a self-hosted model however much speaks for closed AI.
        ("data_classification=restricted&fast_start=on&customers_see_output=on", RecommendedStyle.OPEN_SELF_HOSTED),
    ],
)
def test_recommendation_fragment_follows_the_answers_and_ignores_bad_ones(en, requester, query, style):
    en.force_login(requester)
    response = en.get(reverse("governance:recommendation") + "?" + query)
    assert response.status_code == 200
    assert response.context["recommendation"].style == style


def test_api_recommendation(reviewer):
    api = api_client_for(reviewer)
    response = api.post(
        "/api/v1/recommendations/",
        {"category": "analytics", "data_classification": "confidential", "tuned_on_own_data": True},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["style"] == "open_self_hosted" and body["label"] == "Open model, self-hosted"
    assert body["reasons"] == [
        "Confidential data: self-hosting keeps it inside the company.",
        "Own metrics and business logic: an open model coupled to our data.",
    ]
    assert (body["open_points"], body["closed_points"]) == (8, 0)
    closed = api.post("/api/v1/recommendations/", {"fast_start": True}, format="json").json()
    assert closed["style"] == "closed" and closed["closed_points"] == 3 and len(closed["reasons"]) == 1


@pytest.mark.parametrize(
    "data, fields",
    [
        ({"category": "nonsense"}, {"category"}),
        ({"data_classification": "top-secret", "fast_start": "maybe"}, {"data_classification", "fast_start"}),
        ({"audience": ["internal"]}, {"audience"}),
    ],
)
def test_api_recommendation_bad_input(reviewer, data, fields):
    response = api_client_for(reviewer).post("/api/v1/recommendations/", data, format="json")
    assert response.status_code == 400
    assert response.json().keys() == fields
    assert all(isinstance(messages, list) and messages for messages in response.json().values())


# --- Chosen models on the use-case form and API -----------------------------------------------------------


@pytest.fixture
def closed_model(db):
    return AIModelFactory(name="closed-chat", openness="closed_api")


@pytest.fixture
def open_model(db):
    return AIModelFactory(
        name="open-weights-7b", openness="open_weights", licence=Licence.objects.get(identifier="Apache-2.0")
    )


def use_case_form(title, models):
    return {
        "title": title,
        "data_classification": "internal",
        **formset("tasks", []),
        **formset("kpis", []),
        **formset("models", models),
    }


def test_form_page_shows_the_recommendation_and_the_models_rows(en, requester):
    en.force_login(requester)
    response = en.get(reverse("usecases:create"))
    assert response.status_code == 200
    [panel] = elements(response, "div", id="recommendation")
    assert panel["data-url"] == reverse("governance:recommendation")
    assert elements(response, "strong", id="recommended-style")[0]["text"] == str(RecommendedStyle.CLOSED.label)
    assert elements(response, "input", name="models-TOTAL_FORMS")
    assert elements(response, "select", name="models-0-ai_model")
    assert elements(response, "select", name="models-0-deployment")


def test_the_form_saves_chosen_models(en, requester, closed_model, open_model):
    en.force_login(requester)
    response = en.post(
        reverse("usecases:create"),
        use_case_form(
            "モデルを選んだ下書き",
            [
                {"ai_model": closed_model.pk, "deployment": "closed_api"},
                {"ai_model": open_model.pk, "deployment": "open_self_hosted"},
            ],
        ),
    )
    use_case = UseCase.objects.get(title="モデルを選んだ下書き")
    assert response.status_code == 302 and response.url == use_case.get_absolute_url()
    assert [(choice.ai_model, choice.deployment) for choice in use_case.model_choices.all()] == [
        (closed_model, "closed_api"),
        (open_model, "open_self_hosted"),
    ]
    # The policy checks ran on the chosen models.
    assert Finding.objects.filter(
        use_case=use_case, rule_id="open.readiness-missing", subject=f"model:{open_model.pk}"
    ).exists()
    assert not Finding.objects.filter(use_case=use_case, rule_id="usecase.no-model").exists()


def test_an_open_weights_model_cannot_be_deployed_as_a_closed_api(en, requester, closed_model, open_model):
    en.force_login(requester)
    response = en.post(
        reverse("usecases:create"),
        use_case_form(
            "誤ったデプロイ",
            [
                {"ai_model": closed_model.pk, "deployment": "closed_api"},
                {"ai_model": open_model.pk, "deployment": "closed_api"},
            ],
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("open-weights-7b" in error and "cannot be deployed as" in error for error in errors)
    assert "Please correct the errors below; nothing was saved yet." in page_messages(response)
    assert not UseCase.objects.exists() and not UseCaseModel.objects.exists()


def test_editing_a_draft_adds_and_checks_models(en, requester, open_model):
    draft = UseCaseFactory(owner=requester, title="編集する下書き")
    en.force_login(requester)
    url = reverse("usecases:update", args=[draft.reference])
    refused = en.post(url, use_case_form("編集する下書き", [{"ai_model": open_model.pk, "deployment": "closed_saas"}]))
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    assert not draft.model_choices.exists()
    saved = en.post(url, use_case_form("編集する下書き", [{"ai_model": open_model.pk, "deployment": "open_cloud"}]))
    assert saved.status_code == 302
    assert [(choice.ai_model, choice.deployment) for choice in draft.model_choices.all()] == [
        (open_model, "open_cloud")
    ]


def test_the_api_accepts_chosen_models_and_rejects_a_wrong_deployment(requester, closed_model, open_model):
    api = api_client_for(requester)
    response = api.post(
        "/api/v1/use-cases/",
        {"title": "API でモデル選択", "models": [{"ai_model": closed_model.pk, "deployment": "closed_api"}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    [row] = response.json()["models"]
    assert (row["ai_model"], row["deployment"]) == (closed_model.pk, "closed_api")
    use_case = UseCase.objects.get(reference=response.json()["reference"])
    assert [(choice.ai_model_id, choice.deployment) for choice in use_case.model_choices.all()] == [
        (closed_model.pk, "closed_api")
    ]
    refused = api.post(
        "/api/v1/use-cases/",
        {"title": "誤ったデプロイ", "models": [{"ai_model": open_model.pk, "deployment": "closed_api"}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert "models" in refused.json() and "cannot be deployed as" in str(refused.json()["models"])
    assert not UseCase.objects.filter(title="誤ったデプロイ").exists()
    # Editing the draft checks the rows too.
    refused = api.patch(
        f"/api/v1/use-cases/{use_case.reference}/",
        {"models": [{"ai_model": open_model.pk, "deployment": "closed_saas"}]},
        format="json",
    )
    assert refused.status_code == 400 and "models" in refused.json()
    assert [choice.ai_model_id for choice in use_case.model_choices.all()] == [closed_model.pk]


def test_a_model_listed_twice_is_refused_on_the_page_and_the_api(en, requester, closed_model):
    rows = [{"ai_model": closed_model.pk, "deployment": "closed_api"}] * 2
    en.force_login(requester)
    response = en.post(reverse("usecases:create"), use_case_form("重複したモデル", rows))
    assert response.status_code == 200
    assert "Please correct the errors below; nothing was saved yet." in page_messages(response)
    response = api_client_for(requester).post(
        "/api/v1/use-cases/", {"title": "重複したモデル", "models": rows}, format="json"
    )
    assert response.status_code == 400 and "models" in response.json()
    assert not UseCase.objects.exists() and not UseCaseModel.objects.exists()


@pytest.mark.parametrize(
    "row",
    [
        {"ai_model": 999999, "deployment": "closed_api"},
        {"ai_model": "x", "deployment": "closed_api"},
        {"deployment": "closed_api"},
        {"ai_model": 1, "deployment": "on_a_floppy"},
    ],
)
def test_the_api_rejects_bad_model_rows(requester, closed_model, row):
    row = {**row, "ai_model": closed_model.pk} if row.get("ai_model") == 1 else row
    response = api_client_for(requester).post(
        "/api/v1/use-cases/", {"title": "不正な行", "models": [row]}, format="json"
    )
    assert response.status_code == 400
    assert "models" in response.json()
    assert not UseCase.objects.exists()


# --- The review queue ------------------------------------------------------------------------------------


def test_the_queue_lists_soonest_due_first_and_marks_overdue_stages(en, requester, other_requester, reviewer):
    later = submitted_use_case(requester, title="後で期限")
    overdue = submitted_use_case(other_requester, title="期限切れ")
    soon = submitted_use_case(requester, title="すぐ期限")
    for use_case, days in ((later, 4), (overdue, -2), (soon, 1)):
        ApprovalStage.objects.filter(pk=services.active_stage(use_case).pk).update(due_on=in_days(days))
    en.force_login(reviewer)
    response = en.get(reverse("governance:queue"))
    assert response.status_code == 200
    assert [stage.use_case for stage in response.context["stages"]] == [overdue, soon, later]
    assert elements(response, "table", id="queue")
    rows = [
        row for row in elements(response, "tr") if any(uc.reference in row["text"] for uc in (later, overdue, soon))
    ]
    assert [re.search(r"UC-\d{4}-\d+", row["text"]).group() for row in rows] == [
        overdue.reference,
        soon.reference,
        later.reference,
    ]
    assert rows[0]["class"] == "table-danger" and "overdue" in rows[0]["text"]
    assert in_days(-2).isoformat() in rows[0]["text"]
    assert all(row["class"] == "" and "overdue" not in row["text"] for row in rows[1:])
    # The API agrees.
    api_rows = api_client_for(reviewer).get("/api/v1/approval-stages/?mine=true&overdue=true").json()["results"]
    assert [(row["use_case"], row["is_overdue"]) for row in api_rows] == [(overdue.reference, True)]


def test_the_queue_leaves_out_decided_stages_and_other_groups(en, four_eyes_off, requester, reviewer, legal_reviewer):
    use_case = submitted_use_case(requester, decides_about_people=True)
    en.force_login(legal_reviewer)
    assert list(en.get(reverse("governance:queue")).context["stages"]) == []
    assert "Nothing is waiting for your groups." in en.get(reverse("governance:queue")).content.decode()
    en.force_login(reviewer)
    for _step in range(2):  # IT, then data/security
        stage = services.active_stage(use_case)
        assert [s.pk for s in en.get(reverse("governance:queue")).context["stages"]] == [stage.pk]
        en.post(decide_url(use_case, stage), {"stage-decision": "approve"})
    assert list(en.get(reverse("governance:queue")).context["stages"]) == []
    en.force_login(legal_reviewer)
    [stage] = en.get(reverse("governance:queue")).context["stages"]
    assert stage.definition.code == "legal-review"


# --- The API at work -------------------------------------------------------------------------------------


def test_api_decide_and_its_errors(reviewer, requester, blocked):
    api = api_client_for(reviewer)
    stage = services.active_stage(blocked)
    url = f"/api/v1/approval-stages/{stage.pk}/decide/"
    response = api.post(url, {"decision": "maybe"}, format="json")
    assert response.status_code == 400 and "decision" in response.json()
    response = api.post(url, {"decision": "reject"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.json() == {"comment": [COMMENT_REQUIRED]}
    response = api.post(url, {"decision": "approve"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Approval is blocked by:")
    assert [(row["rule_id"], row["subject"]) for row in response.json()["blocking"]] == [
        (BLOCKED_RULE, BLOCKED_SUBJECT)
    ]
    assert ApprovalStage.objects.get(pk=stage.pk).status == StageStatus.PENDING
    response = api.post(url, {"decision": "request_changes", "comment": "SaaS以外で再申請を"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["decision"], body["decided_by"]["username"]) == (
        "changes_requested",
        "request_changes",
        "reviewer",
    )
    assert UseCase.objects.get(pk=blocked.pk).status == "changes_requested"
    again = api.post(url, {"decision": "approve"}, format="json")
    assert again.status_code == 409 and again.json()["detail"]
    assert api.post("/api/v1/approval-stages/999999/decide/", {"decision": "approve"}).status_code == 404
    assert api.post(url, "not json", content_type="application/json").status_code == 400


def test_api_exception_and_its_errors(executive, blocked):
    api = api_client_for(executive)
    base = {
        "use_case": blocked.reference,
        "rule_id": BLOCKED_RULE,
        "subject": BLOCKED_SUBJECT,
        "justification": "期限付き",
        "expires_on": in_days(30).isoformat(),
    }
    response = api.post(
        "/api/v1/policy-exceptions/",
        {**base, "expires_on": in_days(-1).isoformat()},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {"expires_on": ["The expiry date must be in the future."]}
    for change, field in (
        ({"expires_on": "soon"}, "expires_on"),
        ({"expires_on": in_days(400).isoformat()}, "expires_on"),
        ({"use_case": "UC-1999-9999"}, "use_case"),
        ({"rule_id": "no.such-rule"}, "rule_id"),
        ({"justification": ""}, "justification"),
        ({"subject": "x" * 61}, "subject"),
    ):
        response = api.post("/api/v1/policy-exceptions/", {**base, **change}, format="json")
        assert response.status_code == 400, change
        assert field in response.json(), (change, response.json())
    assert not PolicyException.objects.exists()
    response = api.post("/api/v1/policy-exceptions/", base, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["use_case"], body["rule_id"], body["is_valid"], body["granted_by"]["username"]) == (
        blocked.reference,
        BLOCKED_RULE,
        True,
        "executive",
    )
    review = api.get(f"/api/v1/use-case-reviews/{blocked.reference}/").json()
    assert [row["id"] for row in review["exceptions"]] == [body["id"]]
    valid = api.get(f"/api/v1/policy-exceptions/?use_case={blocked.reference}&valid=true").json()["results"]
    assert [row["id"] for row in valid] == [body["id"]]


def test_api_exception_on_a_closed_use_case_is_a_conflict(executive, requester, blocked):
    usecase_services.withdraw(blocked, requester)
    response = api_client_for(executive).post(
        "/api/v1/policy-exceptions/",
        {
            "use_case": blocked.reference,
            "rule_id": BLOCKED_RULE,
            "subject": BLOCKED_SUBJECT,
            "justification": "x",
            "expires_on": in_days(30).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 409
    assert not PolicyException.objects.exists()


def test_api_review_of_a_use_case(reviewer, blocked):
    body = api_client_for(reviewer).get(f"/api/v1/use-case-reviews/{blocked.reference}/").json()
    assert (body["reference"], body["risk_tier"], body["effective_risk_tier"]) == (
        blocked.reference,
        "minimal",
        "minimal",
    )
    assert body["recommendation"]["style"] == "open_self_hosted"
    assert {(row["rule_id"], row["severity"]) for row in body["findings"]} == {
        (BLOCKED_RULE, "block"),
        ("usecase.no-model", "info"),
    }
    [stage] = body["stages"]
    assert (stage["stage"], stage["status"], stage["is_overdue"]) == ("it-review", "pending", False)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"tier": "catastrophic", "justification": "x"}, "tier"),
        ({"tier": "high"}, "justification"),
        ({"tier": "high", "justification": "   "}, "justification"),
    ],
)
def test_api_override_bad_input(reviewer, blocked, data, field):
    response = api_client_for(reviewer).post(
        f"/api/v1/use-case-reviews/{blocked.reference}/override-risk-tier/", data, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert UseCase.objects.get(pk=blocked.pk).risk_tier_override == ""


def test_api_override(reviewer, blocked):
    response = api_client_for(reviewer).post(
        f"/api/v1/use-case-reviews/{blocked.reference}/override-risk-tier/",
        {"tier": "limited", "justification": "顧客向けの出力あり"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["risk_tier_override"], body["effective_risk_tier"], body["risk_tier_justification"]) == (
        "limited",
        "limited",
        "顧客向けの出力あり",
    )
    assert {row["stage"] for row in body["stages"] if row["status"] == "pending"} == {
        "it-review",
        "data-security-review",
    }


@pytest.mark.parametrize(
    "data, field",
    [
        ({"verdict": "conditional"}, "verdict"),
        ({"verdict": "allowed", "require_region": True}, "verdict"),
        ({"verdict": "sometimes"}, "verdict"),
        ({"note": "x" * 301}, "note"),
    ],
)
def test_api_matrix_patch_bad_input(admin_user, data, field):
    rule = ClassificationRule.objects.get(level__code="public", style="closed_api")
    before = ClassificationRule.objects.filter(pk=rule.pk).values().get()
    response = api_client_for(admin_user).patch(f"/api/v1/classification-rules/{rule.pk}/", data, format="json")
    assert response.status_code == 400 and field in response.json()
    assert ClassificationRule.objects.filter(pk=rule.pk).values().get() == before
    assert not AuditEvent.objects.exists()


def test_api_matrix_patch_is_audited_and_read_only_fields_are_refused(admin_user):
    rule = ClassificationRule.objects.get(level__code="internal", style="closed_api")
    client = api_client_for(admin_user)
    url = f"/api/v1/classification-rules/{rule.pk}/"
    # The cell's level and style are its identity: sending them is a 400 naming them,
    # not a silent no-op, and nothing else of the request is applied.
    refused = client.patch(url, {"verdict": "allowed", "style": "open_cloud", "level": "restricted"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"style", "level"}
    rule.refresh_from_db()
    assert (rule.verdict, rule.style, rule.level.code) == ("conditional", "closed_api", "internal")
    response = client.patch(url, {"verdict": "allowed"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["verdict"], body["style"], body["level"], body["require_vendor_approval"]) == (
        "allowed",
        "closed_api",
        "internal",
        False,
    )
    event = AuditEvent.objects.get(action="change_matrix")
    assert event.changes == {"verdict": ["conditional", "allowed"], "require_vendor_approval": [True, False]}


@pytest.mark.parametrize("regions", [["ZZ"], "JP", [None]])
def test_api_level_patch_bad_regions(admin_user, regions):
    level = ClassificationLevel.objects.get(code="confidential")
    response = api_client_for(admin_user).patch(
        f"/api/v1/classification-levels/{level.pk}/", {"allowed_regions": regions}, format="json"
    )
    assert response.status_code == 400 and "allowed_regions" in response.json()
    level.refresh_from_db()
    assert [str(country) for country in level.allowed_regions] == ["JP"]


def test_api_level_patch_is_audited(admin_user):
    level = ClassificationLevel.objects.get(code="internal")
    response = api_client_for(admin_user).patch(
        f"/api/v1/classification-levels/{level.pk}/", {"allowed_regions": ["JP", "SG"]}, format="json"
    )
    assert response.status_code == 200
    assert sorted(response.json()["allowed_regions"]) == ["JP", "SG"]
    event = AuditEvent.objects.get(action="change_level")
    assert event.changes["allowed_regions"][0] == [] and sorted(event.changes["allowed_regions"][1]) == ["JP", "SG"]


# --- The audit trail -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["since=not-a-date", "until=2026-13-45", "action=no_such_action", "object_type=auth.user", "object_id=" + "9" * 41],
)
def test_audit_bad_filters(en, reviewer, blocked, query):
    response = api_client_for(reviewer).get(f"/api/v1/audit-events/?{query}")
    assert response.status_code == 400
    assert response.json().keys() == {query.split("=")[0]}
    en.force_login(reviewer)
    page = en.get(reverse("governance:audit") + "?" + query)
    assert page.status_code == 200
    assert query.split("=")[0] in page.context["filter"].form.errors
    assert list(page.context["object_list"]) == []
    export = en.get(reverse("governance:audit-export") + "?" + query)
    assert export.status_code == 200
    assert b"".join(export.streaming_content).decode("utf-8-sig").strip().count("\n") == 0  # the header only


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/approval-stages/?status=bogus",
        "/api/v1/approval-stages/?use_case=" + "X" * 41,
        "/api/v1/findings/?severity=fatal",
        "/api/v1/findings/?rule_id=" + "r" * 61,
        "/api/v1/policy-exceptions/?use_case=" + "X" * 41,
    ],
)
def test_governance_list_bad_filters_are_400(reviewer, blocked, url):
    response = api_client_for(reviewer).get(url)
    assert response.status_code == 400
    assert response.json()


def test_audit_filters_work_on_the_page_api_and_export(en, reviewer, blocked):
    today = timezone.localdate().isoformat()
    query = f"action=plan_stages&since={today}&until={today}&object_type=usecases.usecase"
    rows = api_client_for(reviewer).get(f"/api/v1/audit-events/?{query}").json()["results"]
    assert [(row["action"], row["object_id"]) for row in rows] == [("plan_stages", str(blocked.pk))]
    assert rows[0]["data"]["stages"] == ["it-review"]
    en.force_login(reviewer)
    assert [event.action for event in en.get(reverse("governance:audit") + "?" + query).context["object_list"]] == [
        "plan_stages"
    ]
    export = b"".join(en.get(reverse("governance:audit-export") + "?" + query).streaming_content).decode("utf-8-sig")
    lines = export.strip().splitlines()
    assert len(lines) == 2 and blocked.reference in lines[1]
    tomorrow = in_days(1).isoformat()
    assert api_client_for(reviewer).get(f"/api/v1/audit-events/?since={tomorrow}").json()["results"] == []


def test_a_stage_that_has_not_started_cannot_be_decided_yet(en, high_risk, legal_reviewer):
    legal = ApprovalStage.objects.get(use_case=high_risk, definition__code="legal-review")
    assert legal.started_at is None
    response = api_client_for(legal_reviewer).post(
        f"/api/v1/approval-stages/{legal.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 409 and response.json()["detail"]
    en.force_login(legal_reviewer)
    page = en.post(decide_url(high_risk, legal), {"stage-decision": "approve"}, follow=True)
    assert page.status_code == 200
    assert any("not the one waiting for a decision" in message for message in page_messages(page))
    legal.refresh_from_db()
    assert (legal.status, legal.decided_by) == (StageStatus.PENDING, None)


def test_a_high_risk_use_case_is_approved_stage_by_stage_through_the_api(
    four_eyes_off, high_risk, reviewer, legal_reviewer, executive
):
    deciders = [reviewer, reviewer, legal_reviewer, executive]
    for index, user in enumerate(deciders):
        stage = services.active_stage(high_risk)
        response = api_client_for(user).post(
            f"/api/v1/approval-stages/{stage.pk}/decide/", {"decision": "approve"}, format="json"
        )
        assert response.status_code == 200, (stage.definition.code, response.content)
        high_risk.refresh_from_db()
        assert high_risk.status == ("approved" if index == len(deciders) - 1 else "in_review")
    assert services.active_stage(high_risk) is None
    assert high_risk.next_review_on == in_days(90)  # the high-risk review cadence
    stages = api_client_for(reviewer).get(f"/api/v1/approval-stages/?use_case={high_risk.reference}").json()
    assert [(row["stage"], row["decided_by"]["username"]) for row in stages["results"]] == [
        ("it-review", "reviewer"),
        ("data-security-review", "reviewer"),
        ("legal-review", "legal"),
        ("executive-signoff", "executive"),
    ]
