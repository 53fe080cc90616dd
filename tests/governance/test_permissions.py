"""Who may do what with the governance pages and API.

Each row: persona x operation -> expected HTTP status. Anonymous visitors are sent to the
login page (pages) or get 401 (API); signed-in users without the right get 403; a use
case they may not see is 404. Successful writes are checked in the database, refused
ones must change nothing. Lists are scoped to the use cases the user may see and keep a
constant number of queries as rows grow.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance import services
from governance.choices import StageStatus
from governance.models import ApprovalStage, ClassificationLevel, ClassificationRule, PolicyException, StageDefinition
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import UseCaseFactory
from usecases import services as usecase_services
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "requester", "other_requester", "reviewer", "executive", "admin", "outsider"]
LOGIN = 302  # anonymous visitors are sent to the login page
NO_AUTH = 401
BLOCKED_RULE, BLOCKED_SUBJECT = "classification.prohibited", "style:closed_saas"


def statuses(everyone, *, anonymous, outsider=403, **roles):
    row = dict.fromkeys(PERSONAS, everyone)
    row.update(anonymous=anonymous, outsider=outsider, **roles)
    return row


def submitted_use_case(owner, **fields):
    """A complete use case submitted through the service: risk tier, findings and stages planned."""
    use_case = UseCaseFactory(complete=True, owner=owner, **fields)
    return usecase_services.submit(use_case, owner)


def blocked_use_case(owner, **fields):
    """Confidential data meant for a SaaS feature: the matrix forbids it (a blocking finding)."""
    return submitted_use_case(owner, data_classification="confidential", intended_style="closed_saas", **fields)


def in_future(days=30):
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def world(personas, requester, other_requester, admin_user):
    """Of marketing (the requester's): a clean use case in review and one blocked by the matrix.
    Of sales: a draft (with findings, a stage and an exception, none of which marketing may see)
    and a submitted use case (visible to everyone with a role)."""
    clean = submitted_use_case(requester, title="マーケの審査中")
    blocked = blocked_use_case(requester, title="マーケのブロック")
    other_draft = usecase_services.create_draft(
        other_requester,
        {"title": "営業の下書き", "data_classification": "confidential", "intended_style": "closed_saas"},
    )
    other_submitted = submitted_use_case(other_requester, title="営業の提出済み")
    it_review = StageDefinition.objects.get(code="it-review")
    hidden_stage = ApprovalStage.objects.create(use_case=other_draft, definition=it_review, group=it_review.group)
    hidden_exception = PolicyException.objects.create(
        use_case=other_draft,
        rule_id=BLOCKED_RULE,
        subject=BLOCKED_SUBJECT,
        justification="テスト",
        expires_on=in_future(),
        granted_by=admin_user,
    )
    return {
        **personas,
        "clean": clean,
        "blocked": blocked,
        "other_draft": other_draft,
        "other_submitted": other_submitted,
        "stage": services.active_stage(clean),
        "blocked_stage": services.active_stage(blocked),
        "hidden_stage": hidden_stage,
        "hidden_exception": hidden_exception,
        "exception": PolicyException.objects.create(
            use_case=other_submitted,
            rule_id="usecase.no-model",
            subject="",
            justification="既存の例外",
            expires_on=in_future(),
            granted_by=admin_user,
        ),
        "rule": ClassificationRule.objects.get(level__code="confidential", style="open_cloud"),
        "level": ClassificationLevel.objects.get(code="internal"),
    }


def snapshot():
    """What a refused request (or a read) must leave unchanged."""
    return {
        "use_cases": list(
            UseCase.objects.order_by("pk").values("pk", "status", "risk_tier_override", "risk_tier_justification")
        ),
        "stages": list(
            ApprovalStage.objects.order_by("pk").values("pk", "status", "decision", "decided_by", "comment")
        ),
        "exceptions": list(PolicyException.objects.order_by("pk").values("pk", "rule_id", "expires_on")),
        "rules": list(ClassificationRule.objects.order_by("pk").values()),
        "levels": list(
            ClassificationLevel.objects.order_by("pk").values(
                "pk", "allowed_regions", "allowed_jurisdictions", "description_en"
            )
        ),
        "audit": AuditEvent.objects.count(),
    }


def governance_panel(response):
    """The context of the governance panel on a use-case detail page."""
    return next(context for name, context in response.context["panels"] if name.startswith("governance/"))


def page_client(client, user):
    if user is not None:
        client.force_login(user)
    return client


# --- Pages: reads ------------------------------------------------------------------------------------

PAGE_READS = {
    "matrix": statuses(200, anonymous=LOGIN, outsider=200),
    "rule_edit": statuses(403, anonymous=LOGIN, admin=200),
    "level_edit": statuses(403, anonymous=LOGIN, admin=200),
    "queue": statuses(403, anonymous=LOGIN, reviewer=200, executive=200, admin=200),
    "recommendation": statuses(200, anonymous=LOGIN),
    "audit": statuses(403, anonymous=LOGIN, reviewer=200, executive=200, admin=200),
    "audit_export": statuses(403, anonymous=LOGIN, reviewer=200, executive=200, admin=200),
    "grant_exception_form": statuses(403, anonymous=LOGIN, executive=200, admin=200),
    "override_form": statuses(403, anonymous=LOGIN, reviewer=200, admin=200),
    "use_case_detail": statuses(200, anonymous=LOGIN),
}


def _page_url(operation, world):
    blocked = world["blocked"].reference
    return {
        "matrix": reverse("governance:matrix"),
        "rule_edit": reverse("governance:rule-update", args=[world["rule"].pk]),
        "level_edit": reverse("governance:level-update", args=[world["level"].pk]),
        "queue": reverse("governance:queue"),
        "recommendation": reverse("governance:recommendation") + "?category=analytics&data_classification=internal",
        "audit": reverse("governance:audit"),
        "audit_export": reverse("governance:audit-export"),
        "grant_exception_form": reverse("governance:grant-exception", args=[blocked]),
        "override_form": reverse("governance:override-risk-tier", args=[blocked]),
        "use_case_detail": world["blocked"].get_absolute_url(),
    }[operation]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(PAGE_READS))
def test_page_reads(client, world, persona, operation):
    before = snapshot()
    response = page_client(client, world[persona]).get(_page_url(operation, world))
    assert response.status_code == PAGE_READS[operation][persona]
    if response.status_code == LOGIN:
        assert response.url.startswith(reverse("login"))
    if operation == "audit_export" and response.status_code == 200:
        assert response["Content-Type"].startswith("text/csv")
        assert b"".join(response.streaming_content).count(b"\n") > 1
    assert snapshot() == before, "a page read changed data"


@pytest.mark.parametrize(
    "persona, expected",
    [("anonymous", LOGIN), ("requester", 404), ("other_requester", 200), ("reviewer", 200), ("outsider", 403)],
)
def test_detail_page_of_another_departments_draft(client, world, persona, expected):
    response = page_client(client, world[persona]).get(world["other_draft"].get_absolute_url())
    assert response.status_code == expected


@pytest.mark.parametrize(
    "persona, name", [("executive", "governance:grant-exception"), ("reviewer", "governance:override-risk-tier")]
)
def test_action_pages_of_an_unknown_use_case_are_not_found(client, world, persona, name):
    client.force_login(world[persona])
    assert client.get(reverse(name, args=["UC-1999-9999"])).status_code == 404
    assert client.post(reverse(name, args=["UC-1999-9999"]), {}).status_code == 404


def test_requester_action_pages_check_the_role_before_the_use_case(client, world):
    """The role is checked first: a requester gets 403 even for a use case that does not exist."""
    client.force_login(world["requester"])
    assert client.get(reverse("governance:grant-exception", args=["UC-1999-9999"])).status_code == 403
    assert client.get(reverse("governance:override-risk-tier", args=["UC-1999-9999"])).status_code == 403


def test_policy_edit_of_an_unknown_cell_is_not_found(client, world):
    client.force_login(world["admin"])
    assert client.get(reverse("governance:rule-update", args=[999999])).status_code == 404
    assert client.get(reverse("governance:level-update", args=[999999])).status_code == 404


def test_matrix_edit_links_only_for_governance_admins(client, world):
    client.force_login(world["reviewer"])
    assert (
        reverse("governance:rule-update", args=[world["rule"].pk])
        not in client.get(reverse("governance:matrix")).content.decode()
    )
    client.force_login(world["admin"])
    assert (
        reverse("governance:rule-update", args=[world["rule"].pk])
        in client.get(reverse("governance:matrix")).content.decode()
    )


# --- Pages: writes -----------------------------------------------------------------------------------

PAGE_WRITES = {
    "decide": statuses(403, anonymous=LOGIN, reviewer=302),
    "grant_exception": statuses(403, anonymous=LOGIN, executive=302, admin=302),
    "override": statuses(403, anonymous=LOGIN, reviewer=302, admin=302),
    "rule_edit": statuses(403, anonymous=LOGIN, admin=302),
    "level_edit": statuses(403, anonymous=LOGIN, admin=302),
}


def _page_post(client, operation, world):
    blocked = world["blocked"]
    rule = world["rule"]
    calls = {
        "decide": lambda: client.post(
            reverse("governance:decide", args=[world["clean"].reference, world["stage"].pk]),
            {"stage-decision": "approve", "stage-comment": ""},
        ),
        "grant_exception": lambda: client.post(
            reverse("governance:grant-exception", args=[blocked.reference]),
            {
                "finding": f"{BLOCKED_RULE}|{BLOCKED_SUBJECT}",
                "justification": "経営判断で期限付きの例外とする",
                "expires_on": in_future().isoformat(),
            },
        ),
        "override": lambda: client.post(
            reverse("governance:override-risk-tier", args=[blocked.reference]),
            {"tier": "high", "justification": "顧客に影響するため"},
        ),
        "rule_edit": lambda: client.post(
            reverse("governance:rule-update", args=[rule.pk]), {"verdict": "prohibited", "note": "全面禁止"}
        ),
        "level_edit": lambda: client.post(
            reverse("governance:level-update", args=[world["level"].pk]),
            {
                "description_ja": world["level"].description_ja,
                "description_en": world["level"].description_en,
                "allowed_regions": ["JP", "US"],
            },
        ),
    }
    return calls[operation]()


def _assert_write_happened(operation, world, user):
    if operation == "decide":
        stage = ApprovalStage.objects.get(pk=world["stage"].pk)
        assert (stage.status, stage.decided_by) == (StageStatus.APPROVED, user)
        assert UseCase.objects.get(pk=world["clean"].pk).status == "approved"
    elif operation == "grant_exception":
        exception = PolicyException.objects.get(use_case=world["blocked"], rule_id=BLOCKED_RULE)
        assert (exception.subject, exception.granted_by) == (BLOCKED_SUBJECT, user)
    elif operation == "override":
        assert UseCase.objects.get(pk=world["blocked"].pk).risk_tier_override == "high"
    elif operation == "rule_edit":
        rule = ClassificationRule.objects.get(pk=world["rule"].pk)
        assert (rule.verdict, rule.note) == ("prohibited", "全面禁止")
    elif operation == "level_edit":
        level = ClassificationLevel.objects.get(pk=world["level"].pk)
        assert sorted(str(country) for country in level.allowed_regions) == ["JP", "US"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(PAGE_WRITES))
def test_page_writes(client, world, persona, operation):
    before = snapshot()
    response = _page_post(page_client(client, world[persona]), operation, world)
    expected = PAGE_WRITES[operation][persona]
    assert response.status_code == expected
    if expected == LOGIN and persona == "anonymous":
        assert response.url.startswith(reverse("login"))
    if expected >= 400 or persona == "anonymous":
        assert snapshot() == before, "a refused request changed data"
    else:
        _assert_write_happened(operation, world, world[persona])
        assert AuditEvent.objects.count() > before["audit"]


def test_decide_page_refuses_the_owner_even_in_the_deciding_group(client, reviewer):
    """A reviewer who owns a use case cannot decide its stage (no self-approval)."""
    reviewer.groups.add(Group.objects.get(name="requester"))
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)
    own = submitted_use_case(reviewer)
    stage = services.active_stage(own)
    assert stage.group.name == "it-review" and reviewer.groups.filter(pk=stage.group_id).exists()
    client.force_login(reviewer)
    url = reverse("governance:decide", args=[own.reference, stage.pk])
    assert client.post(url, {"stage-decision": "approve"}).status_code == 403
    response = api_client_for(reviewer).post(
        f"/api/v1/approval-stages/{stage.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 403
    assert ApprovalStage.objects.get(pk=stage.pk).status == StageStatus.PENDING
    assert stage.pk not in [
        row["id"] for row in api_client_for(reviewer).get("/api/v1/approval-stages/?mine=true").json()["results"]
    ]
    assert list(client.get(reverse("governance:queue")).context["stages"]) == []
    response = client.get(own.get_absolute_url())
    assert governance_panel(response)["current_stage"] == stage
    decision = next(context for name, context in response.context["top_panels"] if name.endswith("decision.html"))
    assert decision.get("decide_form") is None


def test_only_members_of_the_stage_group_may_decide(client, world, legal_reviewer):
    """A reviewer of another group holds the decide permission but not this stage."""
    stage = world["stage"]
    client.force_login(legal_reviewer)
    url = reverse("governance:decide", args=[world["clean"].reference, stage.pk])
    assert client.post(url, {"stage-decision": "approve"}).status_code == 403
    api = api_client_for(legal_reviewer)
    assert api.post(f"/api/v1/approval-stages/{stage.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert ApprovalStage.objects.get(pk=stage.pk).status == StageStatus.PENDING


def test_decide_page_rejects_a_stage_of_another_use_case(client, world):
    client.force_login(world["reviewer"])
    url = reverse("governance:decide", args=[world["clean"].reference, world["blocked_stage"].pk])
    assert client.post(url, {"stage-decision": "approve"}).status_code == 404
    assert ApprovalStage.objects.get(pk=world["blocked_stage"].pk).status == StageStatus.PENDING


def test_decide_page_is_post_only(client, world):
    client.force_login(world["reviewer"])
    url = reverse("governance:decide", args=[world["clean"].reference, world["stage"].pk])
    assert client.get(url).status_code == 405


# --- API ---------------------------------------------------------------------------------------------

API_READ = statuses(200, anonymous=NO_AUTH)
API_POLICY_READ = statuses(200, anonymous=NO_AUTH, outsider=200)
API_AUDIT = statuses(403, anonymous=NO_AUTH, reviewer=200, executive=200, admin=200)

API_MATRIX = {
    "stages_list": API_READ,
    "stage_retrieve": API_READ,
    "stage_decide": statuses(403, anonymous=NO_AUTH, reviewer=200),
    "findings_list": API_READ,
    "exceptions_list": API_READ,
    "exception_retrieve": API_READ,
    "exception_create": statuses(403, anonymous=NO_AUTH, executive=201, admin=201),
    "review_retrieve": API_READ,
    "override": statuses(403, anonymous=NO_AUTH, reviewer=200, admin=200),
    "levels_list": API_POLICY_READ,
    "level_retrieve": API_POLICY_READ,
    "rules_list": API_POLICY_READ,
    "rule_retrieve": API_POLICY_READ,
    "rule_patch": statuses(403, anonymous=NO_AUTH, admin=200),
    "level_patch": statuses(403, anonymous=NO_AUTH, admin=200),
    "audit_list": API_AUDIT,
    "audit_retrieve": API_AUDIT,
    "recommendation": API_READ,
}


def _api_call(client, operation, world):
    stage, blocked, rule, level = world["stage"], world["blocked"], world["rule"], world["level"]
    event = AuditEvent.objects.order_by("pk").first()
    calls = {
        "stages_list": lambda: client.get("/api/v1/approval-stages/"),
        "stage_retrieve": lambda: client.get(f"/api/v1/approval-stages/{stage.pk}/"),
        "stage_decide": lambda: client.post(
            f"/api/v1/approval-stages/{stage.pk}/decide/", {"decision": "approve"}, format="json"
        ),
        "findings_list": lambda: client.get("/api/v1/findings/"),
        "exceptions_list": lambda: client.get("/api/v1/policy-exceptions/"),
        "exception_retrieve": lambda: client.get(f"/api/v1/policy-exceptions/{world['exception'].pk}/"),
        "exception_create": lambda: client.post(
            "/api/v1/policy-exceptions/",
            {
                "use_case": blocked.reference,
                "rule_id": BLOCKED_RULE,
                "subject": BLOCKED_SUBJECT,
                "justification": "期限付きで認める",
                "expires_on": in_future().isoformat(),
            },
            format="json",
        ),
        "review_retrieve": lambda: client.get(f"/api/v1/use-case-reviews/{blocked.reference}/"),
        "override": lambda: client.post(
            f"/api/v1/use-case-reviews/{blocked.reference}/override-risk-tier/",
            {"tier": "high", "justification": "顧客に影響するため"},
            format="json",
        ),
        "levels_list": lambda: client.get("/api/v1/classification-levels/"),
        "level_retrieve": lambda: client.get(f"/api/v1/classification-levels/{level.pk}/"),
        "rules_list": lambda: client.get("/api/v1/classification-rules/"),
        "rule_retrieve": lambda: client.get(f"/api/v1/classification-rules/{rule.pk}/"),
        "rule_patch": lambda: client.patch(
            f"/api/v1/classification-rules/{rule.pk}/", {"verdict": "prohibited", "note": "全面禁止"}, format="json"
        ),
        "level_patch": lambda: client.patch(
            f"/api/v1/classification-levels/{level.pk}/", {"allowed_regions": ["JP", "US"]}, format="json"
        ),
        "audit_list": lambda: client.get("/api/v1/audit-events/"),
        "audit_retrieve": lambda: client.get(f"/api/v1/audit-events/{event.pk}/"),
        "recommendation": lambda: client.post(
            "/api/v1/recommendations/", {"category": "analytics", "data_classification": "confidential"}, format="json"
        ),
    }
    return calls[operation]()


API_WRITES = {
    "stage_decide": "decide",
    "exception_create": "grant_exception",
    "override": "override",
    "rule_patch": "rule_edit",
    "level_patch": "level_edit",
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(API_MATRIX))
def test_api_matrix(world, persona, operation):
    before = snapshot()
    response = _api_call(api_client_for(world[persona]), operation, world)
    expected = API_MATRIX[operation][persona]
    assert response.status_code == expected, response.content
    if expected >= 400 or operation not in API_WRITES:
        assert snapshot() == before, "a refused request or a read changed data"
    else:
        _assert_write_happened(API_WRITES[operation], world, world[persona])
        assert AuditEvent.objects.count() > before["audit"]
    if expected == NO_AUTH:
        assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize("method", ["put", "delete"])
def test_policy_api_has_no_put_or_delete(world, method):
    client = api_client_for(world["admin"])
    response = getattr(client, method)(f"/api/v1/classification-rules/{world['rule'].pk}/", {}, format="json")
    assert response.status_code == 405
    assert ClassificationRule.objects.filter(pk=world["rule"].pk).exists()


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_audit_events_are_read_only_through_the_api(world, method):
    event = AuditEvent.objects.order_by("pk").first()
    client = api_client_for(world["admin"])
    url = "/api/v1/audit-events/" if method == "post" else f"/api/v1/audit-events/{event.pk}/"
    assert getattr(client, method)(url, {"action": "x"}, format="json").status_code == 405
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


# --- Scoping -----------------------------------------------------------------------------------------


def _references(response):
    assert response.status_code == 200, response.content
    return {row["use_case"] for row in response.json()["results"]}


@pytest.mark.parametrize("endpoint", ["approval-stages", "findings", "policy-exceptions"])
def test_requester_lists_only_visible_use_cases(world, endpoint):
    visible = {world["clean"].reference, world["blocked"].reference, world["other_submitted"].reference}
    seen = _references(api_client_for(world["requester"]).get(f"/api/v1/{endpoint}/?page_size=1000"))
    assert world["other_draft"].reference not in seen
    assert seen <= visible
    if endpoint != "policy-exceptions":
        assert seen == visible
    else:
        assert seen == {world["other_submitted"].reference}
    # The draft's own department sees it; reviewers see everything.
    assert world["other_draft"].reference in _references(
        api_client_for(world["other_requester"]).get(f"/api/v1/{endpoint}/?page_size=1000")
    )
    assert world["other_draft"].reference in _references(
        api_client_for(world["reviewer"]).get(f"/api/v1/{endpoint}/?page_size=1000")
    )


def test_hidden_rows_are_not_found_one_by_one(world):
    requester = api_client_for(world["requester"])
    assert requester.get(f"/api/v1/approval-stages/{world['hidden_stage'].pk}/").status_code == 404
    assert requester.get(f"/api/v1/policy-exceptions/{world['hidden_exception'].pk}/").status_code == 404
    assert requester.get(f"/api/v1/use-case-reviews/{world['other_draft'].reference}/").status_code == 404
    assert requester.get(f"/api/v1/findings/?use_case={world['other_draft'].reference}").json()["results"] == []
    other = api_client_for(world["other_requester"])
    assert other.get(f"/api/v1/approval-stages/{world['hidden_stage'].pk}/").status_code == 200
    assert other.get(f"/api/v1/use-case-reviews/{world['other_draft'].reference}/").status_code == 200


def test_requester_cannot_see_a_hidden_draft_through_the_use_case_filter(world):
    response = api_client_for(world["requester"]).get(
        f"/api/v1/approval-stages/?use_case={world['other_draft'].reference}"
    )
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_mine_lists_only_the_stages_waiting_for_my_groups(world, executive):
    reviewer_rows = api_client_for(world["reviewer"]).get("/api/v1/approval-stages/?mine=true").json()["results"]
    assert {row["id"] for row in reviewer_rows} == {
        services.active_stage(use_case).pk for use_case in (world["clean"], world["blocked"], world["other_submitted"])
    }
    assert api_client_for(executive).get("/api/v1/approval-stages/?mine=true").json()["results"] == []
    assert api_client_for(world["requester"]).get("/api/v1/approval-stages/?mine=true").json()["results"] == []


# --- Query counts ------------------------------------------------------------------------------------


def _grow(requester, admin_user, count):
    """``count`` more blocked use cases in review, each with findings, stages and an exception."""
    for _index in range(count):
        use_case = blocked_use_case(requester)
        services.grant_exception(use_case, admin_user, BLOCKED_RULE, BLOCKED_SUBJECT, "例外", in_future())
        services.override_risk_tier(use_case, admin_user, "high", "影響が大きい")


LISTS = [
    ("api", "/api/v1/approval-stages/"),
    ("api", "/api/v1/approval-stages/?mine=true"),
    ("api", "/api/v1/findings/"),
    ("api", "/api/v1/policy-exceptions/"),
    ("api", "/api/v1/audit-events/"),
    ("api", "/api/v1/classification-levels/"),
    ("api", "/api/v1/classification-rules/"),
    ("page", "/governance/queue/"),
    ("page", "/governance/audit/"),
    ("page", "/governance/matrix/"),
]


@pytest.mark.parametrize("kind, url", LISTS)
def test_lists_use_a_constant_number_of_queries(
    client, requester, reviewer, admin_user, kind, url, django_assert_max_num_queries
):
    _grow(requester, admin_user, 1)
    if kind == "api":
        api = api_client_for(reviewer)

        def fetch():
            return api.get(url)

    else:
        client.force_login(reviewer)

        def fetch():
            return client.get(url)

    assert fetch().status_code == 200  # warm up per-process caches
    with CaptureQueriesContext(connection) as one:
        first = fetch()
    assert first.status_code == 200
    _grow(requester, admin_user, 9)
    with django_assert_max_num_queries(len(one.captured_queries)):
        many = fetch()
    assert many.status_code == 200
    if kind == "api" and "classification" not in url:
        assert len(many.json()["results"]) > len(first.json()["results"])


def test_use_case_review_uses_a_constant_number_of_queries(
    requester, reviewer, admin_user, django_assert_max_num_queries
):
    """One use case's review with few or many stages and exceptions (one of each kind at least,
    so both requests load the same relations)."""
    few = blocked_use_case(requester)
    services.grant_exception(few, admin_user, BLOCKED_RULE, BLOCKED_SUBJECT, "例外", in_future())
    many = blocked_use_case(requester)
    services.override_risk_tier(many, admin_user, "high", "影響が大きい")
    for days in (30, 60, 90):
        services.grant_exception(many, admin_user, BLOCKED_RULE, BLOCKED_SUBJECT, "例外", in_future(days))
    api = api_client_for(reviewer)
    api.get(f"/api/v1/use-case-reviews/{few.reference}/")
    with CaptureQueriesContext(connection) as one:
        assert api.get(f"/api/v1/use-case-reviews/{few.reference}/").status_code == 200
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = api.get(f"/api/v1/use-case-reviews/{many.reference}/")
    assert len(response.json()["stages"]) > 1 and len(response.json()["exceptions"]) == 3
