"""The permission matrix: every URL pattern and every API operation, as every persona.

Personas: ``anonymous``; ``requester`` (marketing); ``other_requester`` (sales); ``reviewer``
(IT, it-review + data-security-review); ``executive``; ``admin`` (governance admin, staff, not
superuser); ``vendor_link`` (an anonymous browser that has opened vendor A's questionnaire link
and keeps the cookies that page set: it reaches its own questionnaire and nothing else).

What is checked, and how
------------------------
* **Pages**: every pattern of ``get_resolver()`` (walked recursively) outside ``admin/`` and
  the API's operations, i.e. also the health check, i18n, the dashboard exports, the API
  root, schema and docs, the vendor questionnaire and the API's JSON 404; one cell per (route,
  persona), keyed ``namespace:name`` (the route itself when unnamed). GET, or for POST-only
  views a POST with empty data (CSRF checks are off in the test client). A few extra URLs
  of one route are keyed ``route[variant]``: the vendor questionnaire with a superseded, a
  revoked, a forged (validly signed for B with A's nonce) and a tampered token; a use case
  detail of the published inventory.
* **API**: every (method, path) of the drf-spectacular schema, keyed ``"METHOD /api/v1/path/"``,
  sent with an empty JSON body (permission is checked before validation: an allowed write is a
  400, or 200/204/409 when no body is needed; a refused one 403, or 404 when ``visible_to``
  hides the object; anonymous 401).
* **DRF format-suffix variants** (``…\\.(?P<format>…)/?$``): grouped by rule. Each suffixed
  pattern is one cell per persona, keyed ``"METHOD /api/v1/path.json"``: one operation of its
  plain pattern (GET when there is one) with ``.json`` appended, expected to answer exactly as
  the plain operation's cell. The API root's variant follows the root's row.
* **Django admin**: grouped by rule, every pattern checked. ``ADMIN_MODELS`` in the table states
  per registered model what the governance admin may do (view/add/change/delete, from the roles
  migration and the ModelAdmins); the rule turns it into the status of each model view
  (changelist/change/history need view or change, add needs add, delete needs delete, else 403;
  ``<id>/`` redirects). Nobody else is staff: the admin login. ``admin/<app>/`` is checked for
  every app label; ``ADMIN_SITE`` lists the site's own views explicitly.
* **Completeness** (``test_every_route_has_an_entry_and_every_entry_a_route``): fails when a
  pattern, an API operation or an admin model has no entry, when an entry names a route,
  operation or model that no longer exists, and when an API pattern serves no schema operation.
* **Lists** (``test_lists_hide_what_details_hide``): an object whose detail is hidden (404) from
  a persona is also missing from that persona's list, API and pages.

Expected values: an int is the exact status (a 302 must then *not* point at a login page);
``LOGIN`` is a 302 to the login page, ``ADMIN_LOGIN`` to the admin's. Streamed responses
(exports, files) are read to the end.

The world
---------
One world (users, use cases, vendors with assessments and links, policies, courses, prompts,
reminders, tokens, a row of every admin model) is built once per module inside a transaction
rolled back when the module ends. Each cell is a ``django_db`` test, i.e. runs in a savepoint of
that transaction rolled back after it: what a successful POST writes never reaches the next
cell. The personas' sessions are made once; every cell uses the module's one test client with
only that persona's cookies.

Cells whose correct expectation the code does not meet yet are listed in ``KNOWN_BUGS`` of the
table and collected as ``test_pending_bug_permission_cell``: they fail until the fix lands.
"""

import datetime
import re
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, clear_url_caches, get_resolver, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from portal.roles import Role
from tests.factories import (
    AIModelFactory,
    DepartmentFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
    published_version,
    send_assessment,
)
from tests.portal import permission_matrix_table as table

PERSONAS = table.PERSONAS
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
SUFFIX = re.compile(r"\\\.\(\?P<format>[^)]*\)/\?\$$|<drf_format_suffix:format>$")


# --- Discovery (at collection: no database needed) -------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            name = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), name)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name


def all_patterns():
    """(route, key) of every URL pattern; the key is ``namespace:name``, or the route when unnamed."""
    return [(route, name or route) for route, name in _walk(get_resolver().url_patterns)]


def is_suffix(route):
    return bool(SUFFIX.search(route))


def page_patterns():
    """Patterns checked as pages: all but the admin's and the API's operations (the API root and
    unnamed API patterns, such as the JSON 404 for unknown API paths, are checked as pages)."""
    return [
        (route, key)
        for route, key in all_patterns()
        if not route.startswith("admin/")
        and not is_suffix(route)
        and (not route.startswith("api/v1/") or key == "api:api-root" or key == route)
    ]


def admin_patterns():
    return [(route, key) for route, key in all_patterns() if route.startswith("admin/")]


def suffix_patterns():
    return [(route, key) for route, key in all_patterns() if route.startswith("api/v1/") and is_suffix(route)]


_SCHEMA = []


def schema():
    if not _SCHEMA:
        _SCHEMA.append(SchemaGenerator().get_schema(request=None, public=True))
    return _SCHEMA[0]


def api_operations():
    return [
        f"{method.upper()} {path}"
        for path, operations in schema()["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    ]


# Sample values for the path parameters, enough to resolve a schema path to its URL pattern.
SAMPLE_PARAMETERS = {"reference": "UC-2026-0001", "key": "usage-rules", "currency": "USD", "kind": "pilot"}


def resolved_route(path):
    """The URL pattern (route string) a schema path is served by."""
    url = re.sub(r"\{(\w+)\}", lambda match: SAMPLE_PARAMETERS.get(match.group(1), "1"), path)
    return normal(resolve(url).route)


def normal(route):
    """A route as ResolverMatch.route spells it (without the regex anchors' ``^``)."""
    return route.replace("^", "")


def plain_route(suffix_route):
    """The pattern a format-suffix variant repeats: ``…\\.(?P<format>…)/?$`` -> ``…/$``."""
    if suffix_route.endswith("<drf_format_suffix:format>"):
        return suffix_route.removesuffix("<drf_format_suffix:format>")
    return SUFFIX.sub("/$", suffix_route)


_SUFFIX_CASES = {}


def suffixed(path):
    """``/api/v1/use-cases/{reference}/`` -> ``…/{reference}.json``; the root: ``/api/v1/.json``."""
    return path + ".json" if path == "/api/v1/" else path.removesuffix("/") + ".json"


def suffix_cases():
    """Each format-suffix pattern as a cell key ``"METHOD /api/v1/path.json"`` -> (route, method,
    plain path, key of the expectation it shares). A pattern repeating no operation keeps its
    route as key and no method (the completeness test reports it)."""
    if _SUFFIX_CASES:
        return _SUFFIX_CASES
    by_route = {}
    for key in api_operations():
        method, path = key.split(" ", 1)
        by_route.setdefault(resolved_route(path), []).append((method, path, key))
    for route, _key in suffix_patterns():
        plain = normal(plain_route(route))
        if plain == "api/v1/":
            method, path, expectation = "GET", "/api/v1/", "api:api-root"
        else:
            operations = sorted(by_route.get(plain, []), key=lambda operation: operation[0] != "GET")
            if not operations:
                _SUFFIX_CASES[route] = (route, None, None, None)
                continue
            method, path, expectation = operations[0]
        _SUFFIX_CASES[f"{method} {suffixed(path)}"] = (route, method, path, expectation)
    return _SUFFIX_CASES


# --- Admin URLs: each pattern with its rule --------------------------------------------------------

ADMIN_MODEL_VIEWS = ("changelist", "add", "change", "delete", "history", "password_change")


def admin_case(route, key):
    """(label or None, view) of an admin pattern: a model's view, its id redirect, an app page, a site view."""
    labels = sorted(table.ADMIN_MODELS, key=len, reverse=True)
    if key.startswith("admin:") and key not in table.ADMIN_SITE and key != "admin:app_list":
        name = key.removeprefix("admin:")
        if name == "auth_user_password_change":  # Django's UserAdmin names it so for any user model
            return settings.AUTH_USER_MODEL.lower(), "password_change"
        for label in labels:
            prefix = label.replace(".", "_") + "_"
            view = name.removeprefix(prefix)
            if name.startswith(prefix) and view in ADMIN_MODEL_VIEWS:
                return label, view
        return None, name
    match = re.fullmatch(r"admin/(\w+)/(\w+)/<path:object_id>/", route)
    if match:
        return f"{match.group(1)}.{match.group(2)}", "redirect"
    return None, key


def admin_app_labels():
    route = next(route for route, key in admin_patterns() if key == "admin:app_list")
    return re.search(r"\(\?P<app_label>([^)]*)\)", route).group(1).split("|")


def admin_keys():
    """One key per admin pattern (the app page once per app label)."""
    keys = []
    for _route, key in admin_patterns():
        if key == "admin:app_list":
            keys += [f"admin:app_list[{label}]" for label in admin_app_labels()]
        else:
            keys.append(key)
    return keys


def admin_expectation(key, persona):
    if key in table.ADMIN_SITE:
        method, expected = table.ADMIN_SITE[key]
        return method, expected[persona]
    if key.startswith("admin:app_list["):
        return GET_, table.admin_app_expectation(key[len("admin:app_list[") : -1], persona)
    route = {k: r for r, k in admin_patterns()}.get(key, key)
    label, view = admin_case(route, key)
    assert label in table.ADMIN_MODELS, f"admin pattern {key} is not covered by ADMIN_MODELS or ADMIN_SITE"
    return GET_, table.admin_model_expectation(label, view, persona)


GET_ = table.GET


# --- The world -----------------------------------------------------------------------------------


def _join(user, *groups):
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def _pdf(name="evidence.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def build_world():
    """Everything the URLs name, made through factories and services as the product would."""
    from governance import checks as governance_checks
    from governance import services as governance
    from governance.education import services as education
    from governance.models import (
        ApprovalStage,
        ChatDestination,
        ClassificationLevel,
        ClassificationRule,
        Delegation,
        Finding,
        Notification,
        PolicyDocument,
        Reminder,
        TrainingCourse,
    )
    from portal.models import AuditEvent
    from portal.services import create_api_token
    from tests.vendors.helpers import service_answers
    from usecases import services as usecases
    from usecases.models import Comment, KpiMeasurement, Trial
    from vendors import assessments as vendor_assessments
    from vendors import questionnaires as vendor_questionnaires
    from vendors.models import EvidenceFile, QuestionnaireTemplate

    today = timezone.localdate()
    w = SimpleNamespace()
    marketing = DepartmentFactory(code="marketing", name="マーケティング部", name_en="Marketing")
    sales = DepartmentFactory(code="sales", name="営業部", name_en="Sales")
    it = DepartmentFactory(code="it", name="情報システム部", name_en="IT")
    w.marketing = marketing
    w.users = {
        "requester": UserFactory(username="requester", department=marketing, role=Role.REQUESTER),
        "other_requester": UserFactory(username="other", department=sales, role=Role.REQUESTER),
        "reviewer": _join(
            UserFactory(username="reviewer", department=it, role=Role.REVIEWER), "it-review", "data-security-review"
        ),
        "executive": UserFactory(username="executive", role=Role.EXECUTIVE),
        "admin": UserFactory(username="govadmin", department=it, role=Role.GOVERNANCE_ADMIN, is_staff=True),
    }
    requester, admin_user, executive = w.users["requester"], w.users["admin"], w.users["executive"]

    # Use cases: a marketing draft (hidden from sales), one in review (with a stage to decide),
    # one blocked by a prohibited practice with a granted exception.
    ai_model = AIModelFactory()
    w.ai_model = ai_model
    w.draft = UseCaseFactory(complete=True, owner=requester)
    Trial.objects.create(
        use_case=w.draft,
        kind="closed_pilot",
        ai_model=ai_model,
        starts_on=today,
        planned_end_on=today,
        updated_by=requester,
    )
    KpiMeasurement.objects.create(kpi=w.draft.kpis.first(), measured_on=today, value="2.0")
    # The requester's comment on the draft, written two days ago (past the edit window) and
    # answered by the reviewer (so no longer deletable): the comment URLs' object.
    w.comment = Comment.objects.create(
        use_case=w.draft,
        author=requester,
        body="確認をお願いします。",
        created_at=timezone.now() - datetime.timedelta(days=2),
    )
    Comment.objects.create(use_case=w.draft, author=w.users["reviewer"], body="確認します。", parent=w.comment)
    w.api_parameters = {"comment_id": w.comment.pk}
    governance_checks.run_checks(w.draft)
    assert Finding.objects.filter(use_case=w.draft).exists(), "the draft's policy check left findings"
    w.in_review = UseCaseFactory(complete=True, owner=requester)
    usecases.submit(w.in_review, requester)
    w.stage = ApprovalStage.objects.active().filter(use_case=w.in_review).first()
    # The stage waiting for a decision is one the reviewer's groups decide, not the executive's or admin's.
    assert w.stage is not None and w.users["reviewer"].groups.filter(pk=w.stage.group_id).exists()
    assert not executive.groups.filter(pk=w.stage.group_id).exists()
    assert not admin_user.groups.filter(pk=w.stage.group_id).exists()
    # The reviewer is away next week; a colleague of the IT review stands in.
    standin = _join(UserFactory(username="standin", department=it, role=Role.REVIEWER), "it-review")
    w.delegation = Delegation.objects.create(
        user=w.users["reviewer"],
        delegate=standin,
        starts_on=today + datetime.timedelta(days=7),
        ends_on=today + datetime.timedelta(days=11),
    )
    w.blocked = UseCaseFactory(complete=True, owner=requester, prohibited_practice=True)
    usecases.submit(w.blocked, requester)
    w.exception = governance.grant_exception(
        w.blocked, admin_user, "risk.prohibited", "", "matrix", today + datetime.timedelta(days=5)
    )

    # Vendors: A with an assessment in progress (answers and evidence saved, link valid),
    # B whose link was reissued (the first token is dead) and C whose assessment was revoked.
    w.vendor = VendorFactory(name="Vendor A")
    w.assessment, w.token = send_assessment(w.users["reviewer"], vendor=w.vendor)
    raw, comments, uploads = service_answers(w.assessment)
    assert vendor_assessments.save_answers(w.assessment, raw, comments, uploads) == {}
    w.evidence = EvidenceFile.objects.filter(answer__assessment=w.assessment).first()
    assert w.evidence is not None
    other_assessment, w.stale_token = send_assessment(w.users["reviewer"], vendor=VendorFactory(name="Vendor B"))
    vendor_assessments.reissue_link(other_assessment, w.users["reviewer"])
    revoked, w.revoked_token = send_assessment(w.users["reviewer"], vendor=VendorFactory(name="Vendor C"))
    vendor_assessments.revoke_assessment(revoked, w.users["reviewer"])
    # A correctly signed token naming B's assessment with A's nonce: the signature alone must not open B.
    from django.core import signing

    a_nonce = signing.loads(w.token, salt=vendor_assessments.LINK_SALT)["n"]
    w.forged_token = signing.dumps(
        {"a": other_assessment.pk, "n": a_nonce}, salt=vendor_assessments.LINK_SALT, compress=True
    )

    # Questionnaire templates: a draft version (editable) with its sections and questions.
    w.published = published_version()
    w.template = QuestionnaireTemplate.objects.get(pk=w.published.template_id)
    w.draft_version = vendor_questionnaires.start_new_version(w.template, admin_user)
    w.section = w.draft_version.sections.order_by("position", "pk").first()
    w.question = w.section.questions.order_by("position", "pk").first()

    # Governance settings, notifications and reminders.
    w.level = ClassificationLevel.objects.order_by("pk").first()
    w.rule = ClassificationRule.objects.order_by("pk").first()
    w.reminder = Reminder.objects.create(
        kind="use_case_review",
        step="before",
        days_before=7,
        content_type=ContentType.objects.get_for_model(w.blocked),
        object_id=w.blocked.pk,
        object_repr=str(w.blocked),
        due_on=today + datetime.timedelta(days=7),
        recipient=requester,
        recipient_key=f"user:{requester.pk}",
        url=w.blocked.get_absolute_url(),
        status="failed",
    )
    w.notification = Notification.objects.create(user=requester, reminder=w.reminder)
    # A chat destination, switched off (the world's changes post nothing).
    w.chat_destination = ChatDestination(
        name="Marketing channel", kind="slack", department=requester.department, is_active=False
    )
    w.chat_destination.webhook_url = "https://chat.invalid/services/T0/B0/matrix"
    w.chat_destination.save()

    # Rules and education: a policy in force (version 1) with a draft version 2, a course with
    # the requester's own completion (with evidence), the requester's draft prompt.
    w.policy = education.save_policy_document(
        admin_user, {"key": "usage-rules", "title_ja": "利用ルール", "title_en": "Usage rules"}
    )
    education.publish_version(education.save_draft_version(w.policy, admin_user, "# ルール"), admin_user)
    education.acknowledge(education.in_force(w.policy), executive)
    education.save_draft_version(w.policy, admin_user, "# ルール v2")
    w.policy = PolicyDocument.objects.get(pk=w.policy.pk)
    w.course = education.save_course(
        admin_user, {"key": "genai-basics", "title_ja": "生成AI基礎", "title_en": "GenAI basics", "validity_months": 12}
    )
    w.course = TrainingCourse.objects.get(pk=w.course.pk)
    w.completion = education.record_completion(w.course, requester, completed_on=today, evidence=_pdf("cert.pdf"))
    w.prompt = education.create_prompt(
        requester, {"title": "下書きの要約プロンプト", "category": "other", "body": "{{文章}}を要約して"}
    )

    _incident_rows(w)

    # API tokens: the executive's.
    w.api_token, _key = create_api_token(executive, "BI dashboard")
    # The requester's checked (not yet confirmed) use-case import.
    from tests.imports.helpers import USE_CASE_HEADER, csv_bytes, upload, use_case_row

    w.import_job = upload(requester, "use_cases", csv_bytes([USE_CASE_HEADER, use_case_row("MATRIX-1")]))
    assert w.import_job.status == "ready"
    w.audit_event = AuditEvent.objects.order_by("pk").first()
    _admin_rows(w)
    return w


def make_incident(w, title="顧客のメールアドレスが回答に出た"):
    """The requester's incident about the draft, triaged (with a running deadline, an evidence file and
    an action owned by the incident manager). Written directly, without audit events or notices, so
    the world's other lists keep their sizes."""
    from django.core.files.base import ContentFile

    from incidents.models import Deadline, Incident, IncidentAction, IncidentEvidence
    from portal.services import next_reference

    now = timezone.now()
    incident = Incident.objects.create(
        reference=next_reference("INC", timezone.localdate().year),
        title=title,
        description="チャットボット",
        noticed_at=now,
        use_case=w.draft,
        personal_data=True,
        sensitive_data=True,
        reporter=w.users["requester"],
        department=w.users["requester"].department,
        state="triaged",
        severity="high",
        category="data_leak",
        triaged_at=now,
    )
    evidence = IncidentEvidence(incident=incident, original_name="screen.pdf", size=9, uploaded_by=incident.reporter)
    evidence.file.save("screen.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    deadline = Deadline.objects.create(incident=incident, clock="appi_preliminary", due_at=now)
    action = IncidentAction.objects.create(
        incident=incident, kind="containment", description="ボットを止める", owner=w.incident_manager
    )
    return incident, evidence, deadline, action


def _incident_rows(w):
    from django.conf import settings as django_settings

    w.incident_manager = _join(UserFactory(username="incident-manager"), django_settings.INCIDENT_MANAGER_GROUP)
    w.incident, w.incident_evidence, w.incident_deadline, w.incident_action = make_incident(w)


def _admin_rows(w):
    """One row for every model registered in the admin (celery-beat schedules, axes logs, ...)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    now = timezone.now()
    if not IntervalSchedule.objects.exists():
        IntervalSchedule.objects.create(every=10, period="minutes")
    CrontabSchedule.objects.get_or_create(minute="0", hour="4")
    SolarSchedule.objects.get_or_create(event="sunrise", latitude="35.68", longitude="139.69")
    ClockedSchedule.objects.get_or_create(clocked_time=now)
    if not PeriodicTask.objects.exists():
        PeriodicTask.objects.create(
            name="matrix", task="governance.tasks.scan", interval=IntervalSchedule.objects.first()
        )
    common = {"user_agent": "pytest", "ip_address": "127.0.0.1", "username": "someone"}
    AccessAttempt.objects.create(
        **common, http_accept="*/*", path_info="/accounts/login/", get_data="", post_data="", failures_since_start=1
    )
    AccessLog.objects.create(**common, http_accept="*/*", path_info="/accounts/login/")
    AccessFailureLog.objects.create(**common, http_accept="*/*", path_info="/accounts/login/", locked_out=False)
    from portal.auth_models import SsoGroupMapping

    SsoGroupMapping.objects.get_or_create(claim_value="ai-reviewers", group=Group.objects.get(name="reviewer"))
    w.admin_objects = {}
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {model._meta.label} for the admin's object URLs"
        w.admin_objects[model._meta.label_lower] = obj


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from portal.celery import app as celery_app

    media = tmp_path_factory.mktemp("matrix-media")
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            w = build_world()
            # The cookies each persona's browser holds: a session for those who sign in; the
            # vendor link's browser has opened its questionnaire (and keeps what that page set).
            w.cookies = {"anonymous": {}}
            client = shared_client()
            for persona, user in w.users.items():
                client.cookies = SimpleCookie()
                client.force_login(user)
                w.cookies[persona] = {name: morsel.value for name, morsel in client.cookies.items()}
            client.cookies = SimpleCookie()
            assert client.get(reverse("vendor-portal:assessment", kwargs={"token": w.token})).status_code == 200
            w.cookies["vendor_link"] = {name: morsel.value for name, morsel in client.cookies.items()}
            w.urls = page_urls(w)
            w.admin_urls = admin_urls(w)
            w.api_ids = api_ids(w)
            yield w
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            celery_app.conf.task_always_eager = eager


_CLIENT = []


def shared_client():
    """The module's one test client. One for all cells: a new client builds its middleware again,
    and WhiteNoise then indexes every static file (a fifth of a second each time)."""
    if not _CLIENT:
        _CLIENT.append(Client(HTTP_ACCEPT_LANGUAGE="en"))
    return _CLIENT[0]


def client_for(world, persona):
    """The shared client, holding only ``persona``'s cookies."""
    client = shared_client()
    client.cookies = SimpleCookie()
    for name, value in world.cookies[persona].items():
        client.cookies[name] = value
    return client


# --- URLs of the pages, the API and the admin -------------------------------------------------------


def page_urls(w):
    """The URL each page key is requested at."""
    ref = {"reference": w.draft.reference}
    # Every use-case page names the marketing draft.
    by_reference = [key for route, key in page_patterns() if route.startswith("usecases/<reference:reference>/")]
    kwargs = {
        **dict.fromkeys(by_reference, ref),
        "dashboard-export": {"table": "status", "fmt": "csv"},
        "vendors:detail": {"pk": w.vendor.pk},
        "vendors:update": {"pk": w.vendor.pk},
        "vendors:send-assessment": {"pk": w.vendor.pk},
        "vendors:model-detail": {"pk": w.ai_model.pk},
        "vendors:model-update": {"pk": w.ai_model.pk},
        "vendors:template-new-version": {"pk": w.template.pk},
        "vendors:template-version": {"pk": w.draft_version.pk},
        "vendors:template-publish": {"pk": w.draft_version.pk},
        "vendors:template-add-section": {"pk": w.draft_version.pk},
        "vendors:question-create": {"section": w.section.pk},
        "vendors:question-update": {"section": w.section.pk, "pk": w.question.pk},
        "vendors:question-move-up": {"pk": w.question.pk},
        "vendors:question-move-down": {"pk": w.question.pk},
        "vendors:question-delete": {"pk": w.question.pk},
        "vendors:assessment-detail": {"reference": w.assessment.reference},
        "vendors:assessment-decide": {"reference": w.assessment.reference},
        "vendors:assessment-revoke": {"reference": w.assessment.reference},
        "vendors:assessment-reissue": {"reference": w.assessment.reference},
        "vendors:evidence": {"pk": w.evidence.pk},
        "governance:rule-update": {"pk": w.rule.pk},
        "governance:level-update": {"pk": w.level.pk},
        "governance:notification-read": {"pk": w.notification.pk},
        "usecases:comment-edit": {"reference": w.draft.reference, "pk": w.comment.pk},
        "usecases:comment-delete": {"reference": w.draft.reference, "pk": w.comment.pk},
        "governance:decide": {"reference": w.in_review.reference, "pk": w.stage.pk},
        "governance:stage-assign": {"pk": w.stage.pk},
        "governance:stage-unassign": {"pk": w.stage.pk},
        "governance:delegation-end": {"pk": w.delegation.pk},
        "governance:grant-exception": {"reference": w.in_review.reference},
        "governance:override-risk-tier": {"reference": w.in_review.reference},
        "governance:policy-detail": {"key": w.policy.key},
        "governance:policy-update": {"key": w.policy.key},
        "governance:policy-draft": {"key": w.policy.key},
        "governance:policy-acknowledge": {"key": w.policy.key},
        "governance:policy-acknowledgements": {"key": w.policy.key},
        "governance:policy-version": {"key": w.policy.key, "number": 1},
        "governance:policy-publish": {"key": w.policy.key, "number": 2},
        "governance:course-detail": {"key": w.course.key},
        "governance:course-update": {"key": w.course.key},
        "governance:completion-evidence": {"pk": w.completion.pk},
        "governance:completion-remove": {"pk": w.completion.pk},
        "governance:prompt-detail": {"pk": w.prompt.pk},
        "governance:prompt-update": {"pk": w.prompt.pk},
        "governance:prompt-approve": {"pk": w.prompt.pk},
        "governance:prompt-retire": {"pk": w.prompt.pk},
        "governance:prompt-use": {"pk": w.prompt.pk},
        "governance:prompt-rate": {"pk": w.prompt.pk},
        "vendor-portal:assessment": {"token": w.token},
        "password_reset_confirm": {"uidb64": "MQ", "token": "bad-token"},
        "imports:template": {"kind": "use_cases", "fmt": "csv"},
        "imports:detail": {"pk": w.import_job.pk},
        "imports:confirm": {"pk": w.import_job.pk},
        "incidents:export": {"fmt": "csv"},
        "incidents:evidence": {"pk": w.incident_evidence.pk},
        "incidents:lift": {"reference": w.draft.reference},
        "incidents:detail": {"reference": w.incident.reference},
        "incidents:triage": {"reference": w.incident.reference},
        "incidents:transition": {"reference": w.incident.reference, "action": "contain"},
        "incidents:suspend": {"reference": w.incident.reference},
        "incidents:add-action": {"reference": w.incident.reference},
        "incidents:complete-action": {"reference": w.incident.reference, "pk": w.incident_action.pk},
        "incidents:deadline-done": {"reference": w.incident.reference, "pk": w.incident_deadline.pk},
        "incidents:add-evidence": {"reference": w.incident.reference},
    }
    urls = {
        key: "/api/v1/no-such-collection/" if key == route else reverse(key, kwargs=kwargs.get(key))
        for route, key in page_patterns()
    }
    urls["usecases:detail[submitted]"] = reverse("usecases:detail", kwargs={"reference": w.in_review.reference})
    tokens = {"stale": w.stale_token, "revoked": w.revoked_token, "forged": w.forged_token, "tampered": w.token[:-2]}
    for name, token in tokens.items():
        urls[f"vendor-portal:assessment[{name}]"] = reverse("vendor-portal:assessment", kwargs={"token": token})
    return urls


def admin_urls(w):
    objects = {
        **w.admin_objects,
        "portal.user": w.users["requester"],
        "usecases.usecase": w.draft,
        "vendors.vendor": w.vendor,
        "vendors.assessment": w.assessment,
    }
    routes = {key: route for route, key in admin_patterns()}
    urls = {}
    for key in admin_keys():
        if key.startswith("admin:app_list["):
            urls[key] = reverse("admin:app_list", kwargs={"app_label": key[len("admin:app_list[") : -1]})
            continue
        if key == "admin:view_on_site":
            content_type = ContentType.objects.get_for_model(w.draft)
            urls[key] = reverse(key, args=[content_type.pk, w.draft.pk])
            continue
        if key in table.ADMIN_SITE:
            urls[key] = "/admin/no-such-page/" if key.startswith("admin/") else reverse(key)
            continue
        label, view = admin_case(routes[key], key)
        assert label in objects, f"no object for the admin of {label}"
        obj = objects[label]
        if view == "redirect":
            urls[key] = "/" + routes[key].replace("<path:object_id>", str(obj.pk))
        elif view in ("changelist", "add"):
            urls[key] = reverse(key)
        else:
            urls[key] = reverse(key, args=[obj.pk])
    return urls


def api_ids(w):
    return {
        "use-cases": w.draft.reference,
        "use-case-reviews": w.in_review.reference,
        "approval-stages": w.stage.pk,
        "policy-exceptions": w.exception.pk,
        "tokens": w.api_token.pk,
        "policies": w.policy.key,
        "training-courses": w.course.key,
        "training-completions": w.completion.pk,
        "prompt-templates": w.prompt.pk,
        "classification-levels": w.level.pk,
        "classification-rules": w.rule.pk,
        "audit-events": w.audit_event.pk,
        "departments": w.marketing.pk,
        "vendors": w.vendor.pk,
        "ai-models": w.ai_model.pk,
        "licences": w.ai_model.licence_id,
        "questionnaire-templates": w.template.pk,
        "template-versions": w.draft_version.pk,
        "assessments": w.assessment.reference,
        "reminders": w.reminder.pk,
        "notifications": w.notification.pk,
        "exchange-rates": "USD",
        "imports": w.import_job.pk,
        "incidents": w.incident.reference,
        "incident-deadlines": w.incident_deadline.pk,
        "incident-actions": w.incident_action.pk,
    }


API_PARAMETERS = {"kind": "pilot", "number": 1, "table": "status"}


def api_url(world, path):
    collection = path.split("/")[3]
    return re.sub(
        r"\{(\w+)\}",
        lambda match: str(
            API_PARAMETERS.get(match.group(1)) or world.api_parameters.get(match.group(1)) or world.api_ids[collection]
        ),
        path,
    )


# --- Sending one cell ----------------------------------------------------------------------------


def send(world, persona, method, url, *, api=False):
    client = client_for(world, persona)
    if api and method in ("post", "put", "patch"):
        response = getattr(client, method)(url, data="{}", content_type="application/json")
    elif method == "post":
        response = client.post(url, {})
    else:
        response = getattr(client, method)(url)
    body(response)  # a streamed export or file is read to its end: a failure while streaming is a failure
    return response


def body(response):
    if response.streaming:
        # The test client closes the response once its content is read through (do not close it
        # again: that would fire request_finished and close the database connection).
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def describe(response):
    return f"{response.status_code} {response.get('Location', '')}".strip()


def check(response, expected, context):
    status = response.status_code
    location = urlsplit(response.get("Location", "")).path
    logins = (reverse(settings.LOGIN_URL), reverse("admin:login"))
    if expected == table.LOGIN:
        ok = status == 302 and location == logins[0]
    elif expected == table.ADMIN_LOGIN:
        ok = status == 302 and location == logins[1]
    else:
        ok = status == expected and not (status == 302 and location in logins)
    assert ok, f"{context}: expected {expected}, got {describe(response)}"


def run_cell(world, kind, key, persona):
    if kind == "page":
        assert key in table.PAGES, f"the page {key} has no entry in the permission matrix table"
        assert key in world.urls, f"{key} is in the table but is no longer a URL pattern"
        method, expected = table.page_expectation(key, persona)
        url = world.urls[key]
        response = send(world, persona, method, url)
    elif kind == "api":
        assert key in table.API, f"the API operation {key} has no entry in the permission matrix table"
        assert key in api_operations(), f"{key} is in the table but no longer in the schema"
        method, path = key.split(" ", 1)
        method, url, expected = method.lower(), api_url(world, path), table.api_expectation(key, persona)
        response = send(world, persona, method, url, api=True)
    elif kind == "admin":
        method, expected = admin_expectation(key, persona)
        url = world.admin_urls[key]
        response = send(world, persona, method, url)
    else:  # a format-suffix variant: the plain operation's expectation
        _route, method, path, expectation_key = suffix_cases()[key]
        assert method, f"the format-suffix pattern {key} repeats no operation of the schema"
        if expectation_key in table.PAGES:
            expected = table.page_expectation(expectation_key, persona)[1]
        else:
            expected = table.api_expectation(expectation_key, persona)
        url = suffixed(api_url(world, path))
        method = method.lower()
        response = send(world, persona, method, url, api=True)
    check(response, expected, f"{method.upper()} {url} as {persona}")


# --- The matrix -----------------------------------------------------------------------------------


def _page_keys():
    return [key for _route, key in page_patterns()] + sorted(table.PAGE_VARIANTS)


def _cells(keys, *, bugs=False):
    cells = [
        pytest.param(key, persona, id=f"{key}|{persona}")
        for key in keys
        for persona in PERSONAS
        if (persona in table.KNOWN_BUGS.get(key, {})) == bugs
    ]
    # No cells (e.g. once the router has no format suffixes): one cell that checks just that,
    # rather than a skipped test.
    return cells or [pytest.param(None, None, id="none")]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "persona"), _cells(_page_keys()))
def test_page(world, key, persona):
    run_cell(world, "page", key, persona)


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "persona"), _cells(api_operations()))
def test_api(world, key, persona):
    run_cell(world, "api", key, persona)


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "persona"), _cells(admin_keys()))
def test_admin(world, key, persona):
    run_cell(world, "admin", key, persona)


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "persona"), _cells(list(suffix_cases())))
def test_format_suffix(world, key, persona):
    if key is None:
        assert not suffix_patterns()
        return
    run_cell(world, "suffix", key, persona)


def _bug_cells():
    kinds = [("page", _page_keys()), ("api", api_operations()), ("admin", admin_keys()), ("suffix", suffix_cases())]
    cells = [
        pytest.param(kind, key, persona, id=f"{key}|{persona}")
        for kind, keys in kinds
        for key in keys
        for persona in table.KNOWN_BUGS.get(key, {})
    ]
    return cells or [pytest.param(None, None, None, id="none")]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "key", "persona"), _bug_cells())
def test_pending_bug_permission_cell(world, kind, key, persona):
    """Cells whose correct expectation the code does not meet yet (see KNOWN_BUGS): fail until fixed."""
    if kind is None:
        assert not table.KNOWN_BUGS
        return
    run_cell(world, kind, key, persona)


def test_every_route_has_an_entry_and_every_entry_a_route():
    patterns = all_patterns()
    problems = []
    # Pages: every pattern has an entry, every entry a pattern (or is a variant of one).
    pages = page_patterns()
    page_keys = [key for _route, key in pages]
    duplicates = {key for key in page_keys if page_keys.count(key) > 1}
    problems += [f"two page patterns share the key {key}" for key in sorted(duplicates)]
    problems += [f"page without an entry: {key}" for key in page_keys if key not in table.PAGES]
    problems += [
        f"entry without a page: {key}"
        for key in table.PAGES
        if key not in page_keys and not (key in table.PAGE_VARIANTS and key.split("[")[0] in page_keys)
    ]
    # API: every schema operation has an entry and vice versa; every API pattern serves an operation.
    operations = api_operations()
    problems += [f"API operation without an entry: {key}" for key in operations if key not in table.API]
    problems += [f"entry without an API operation: {key}" for key in table.API if key not in operations]
    served = {resolved_route(key.split(" ", 1)[1]) for key in operations}
    for route, key in patterns:
        if (
            route.startswith("api/v1/")
            and not is_suffix(route)
            and (route, key) not in pages
            and normal(route) not in served
        ):
            problems.append(f"API pattern in no schema operation: {route}")
    for route, method, _path, _key in suffix_cases().values():
        if method is None:
            problems.append(f"format-suffix pattern repeating no operation: {route}")
    # Admin: every pattern follows a rule, every registered model and site view has an entry.
    registered = {model._meta.label_lower for model in admin.site._registry}
    problems += [f"admin model without an entry: {label}" for label in sorted(registered - set(table.ADMIN_MODELS))]
    problems += [f"entry without an admin model: {label}" for label in sorted(set(table.ADMIN_MODELS) - registered)]
    admin_keys_now = {key for _route, key in admin_patterns()}
    problems += [f"entry without an admin view: {key}" for key in table.ADMIN_SITE if key not in admin_keys_now]
    for route, key in admin_patterns():
        if key in table.ADMIN_SITE or key == "admin:app_list":
            continue
        label, view = admin_case(route, key)
        if label not in table.ADMIN_MODELS:
            problems.append(f"admin pattern without a rule: {key}")
    # Every pattern is one of the above.
    classified = len(pages) + len(admin_patterns()) + len(suffix_patterns())
    api_plain = [(r, k) for r, k in patterns if r.startswith("api/v1/") and not is_suffix(r) and (r, k) not in pages]
    assert classified + len(api_plain) == len(patterns)
    # Known bugs name existing cells.
    keys = set(_page_keys()) | set(operations) | set(admin_keys()) | set(suffix_cases())
    problems += [f"KNOWN_BUGS names no cell: {key}" for key in table.KNOWN_BUGS if key not in keys]
    assert not problems, "\n".join(problems)


def test_the_completeness_check_sees_a_new_route(monkeypatch):
    """The check above is not vacuous: a route added without an entry makes it fail."""
    from django.urls import path

    from dashboard import urls

    monkeypatch.setattr(urls, "urlpatterns", [*urls.urlpatterns, path("new-page/", lambda request: None, name="x")])
    clear_url_caches()
    try:
        with pytest.raises(AssertionError, match="page without an entry: x"):
            test_every_route_has_an_entry_and_every_entry_a_route()
    finally:
        monkeypatch.undo()
        clear_url_caches()


# --- Lists hide what details hide ----------------------------------------------------------------


def _listed(world, persona, path):
    items, url = [], f"{path}?page_size=200"
    while url:
        response = client_for(world, persona).get(url)
        assert response.status_code == 200, (url, persona, response.status_code)
        body = response.json()
        if isinstance(body, list):
            return items + body
        items += body["results"]
        url = body.get("next")
    return items


def _list_checks():
    """(list path, lookup field, detail key, persona, visible?) for every collection whose detail the
    table hides (404) from some persona who may read the list."""
    checks = []
    for key, expected in table.API.items():
        match = re.fullmatch(r"GET (/api/v1/[\w-]+/)\{(\w+)\}/", key)
        if not match or f"GET {match.group(1)}" not in table.API or 404 not in expected.values():
            continue
        listing = table.API[f"GET {match.group(1)}"]
        for persona in PERSONAS:
            if listing[persona] == 200 and expected[persona] in (200, 404):
                checks.append((match.group(1), match.group(2), key, persona, expected[persona] == 200))
    return checks


@pytest.mark.django_db
def test_lists_hide_what_details_hide(world):
    """Scoping holds in lists too: an object whose detail is a 404 for a persona is not in that
    persona's list (and is in the list of those who may open it, so the check can fail)."""
    checks = _list_checks()
    assert {path for path, *_ in checks} >= {"/api/v1/use-cases/", "/api/v1/prompt-templates/"}
    problems = []
    for path, field, key, persona, visible in checks:
        lookup = str(world.api_ids[path.split("/")[3]])
        listed = {str(item.get(field)) for item in _listed(world, persona, path)}
        if (lookup in listed) != visible:
            problems.append(f"{path} as {persona}: {lookup} {'missing' if visible else 'listed'} ({key})")
    # Findings and approval stages name their use case: none of the marketing draft for sales.
    draft = world.draft.reference
    for path in ("/api/v1/findings/", "/api/v1/approval-stages/"):
        for persona, visible in (("requester", path == "/api/v1/findings/"), ("other_requester", False)):
            named = {item["use_case"] for item in _listed(world, persona, path)}
            if (draft in named) != visible:
                problems.append(f"{path} as {persona}: the draft's rows {'missing' if visible else 'listed'}")
    # The pages: inventory, its export, the prompt library.
    pages = [
        (reverse("usecases:list"), draft, {"requester": True, "other_requester": False}),
        (reverse("usecases:export"), draft, {"requester": True, "other_requester": False}),
        (reverse("governance:prompt-list"), world.prompt.title, {"reviewer": True, "other_requester": False}),
    ]
    for url, text, personas in pages:
        for persona, visible in personas.items():
            response = client_for(world, persona).get(url)
            assert response.status_code == 200
            if (text in body(response)) != visible:
                problems.append(f"{url} as {persona}: {text} {'missing' if visible else 'shown'}")
    assert not problems, "\n".join(problems)
