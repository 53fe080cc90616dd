"""Fuzzing the API against its own OpenAPI schema with schemathesis.

For each role (anonymous, requester, reviewer, executive, governance admin) the schema
served at ``/api/schema/`` is loaded through Django's WSGI handler, in process, and every
operation in it is exercised with generated requests, authenticated with that person's
personal API token (anonymous: none, so every operation must answer a documented 401).

The world: a draft and a submitted use case (with approval stages, a granted exception,
a pilot), a vendor model, an assessment sent, a policy in force, a course with a
completion, a prompt, a token, a reminder and a notification per person. In the fuzzing
phase path parameters take the real id or key of these objects about half of the time (the
``flatmap_path_parameters`` hook) and the generated value otherwise, so both "found" and
"not found" are exercised; in the coverage phase a valid path always names a real object,
so the invalid body or query value it carries reaches the serializer, not a 404. Every
request runs in a savepoint that is rolled back afterwards: each case sees the same world.

Generation, bounded so the module fits in CI (about 4,600 requests, 2 to 3 minutes):
- admin: the examples, coverage and fuzzing phases; 6 fuzzed cases per operation; the
  coverage phase (boundary values and invalid inputs of every parameter and body field,
  unexpected methods and media types) sends each distinct change once per operation;
- requester, reviewer, executive: examples and fuzzing, 3 cases per operation (the
  coverage phase's inputs are the same for every role; what differs by role is mostly the
  403 of the role checks, which these cases reach);
- anonymous: 1 fuzzed case per operation (each must be a documented 401).
Positive (schema-valid) and negative (schema-violating) data are both generated; requests
are in English for the reviewer and admin, in Japanese (the default) for the others. The
seed is fixed (``FUZZ_SEED`` changes it), so a failure reproduces; ``FUZZ_PATHS`` (a
regular expression) limits a local run to some paths.

Checks: all of schemathesis' default checks except one:
- not_a_server_error, status_code_conformance, content_type_conformance,
  response_schema_conformance, response_headers_conformance: every answer is documented,
  with the documented body and media type; no 5xx;
- negative_data_rejection: a request the schema forbids (wrong type, NUL character, value
  out of an enum, missing required field, ...) is refused with a 4xx;
- ignored_auth: a success must need the credentials (the check repeats the request
  without them and with a wrong token);
- unsupported_method, allow_header_conformance, missing_required_header (the API has no
  header parameters); use_after_free and ensure_resource_availability are on as well but
  only judge sequences of calls, which this module does not make (the stateful phase is
  off: every case is rolled back).
- EXCLUDED: positive_data_acceptance ("every schema-valid request succeeds"). The API
  rightly refuses with a 400 requests the schema cannot describe as invalid: ids and keys
  of objects that do not exist or are not visible to the user (``"ai_model": 7``), rules
  across fields (a rejection needs a comment, an end after the start), uniqueness (a
  currency that already has a rate) and state (a contact of another vendor). The 400
  answers themselves are still checked (documented status, body and media type).
  Input rules the schema can express (types, enums, formats, lengths, NUL characters,
  required query parameters) are expressed, and requests breaking them are covered by
  negative_data_rejection.

The totals (cases per role and phase, answers by status, time) are printed at the end of
the run and written to ``test-artifacts/fuzz/summary.txt`` (details in ``stats.json``);
failures, with a curl line to reproduce each, to ``test-artifacts/fuzz/failures-<role>.txt``.
"""

import collections
import datetime
import json
import os
import pathlib
import time

import pytest
import schemathesis
from django.contrib.contenttypes.models import ContentType
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.generation.meta import TestPhase
from schemathesis.pytest.lazy import get_all_tests

from tests.conftest import api_client_for
from tests.factories import AIModelFactory, UseCaseFactory, UserFactory, published_version, send_assessment

pytestmark = pytest.mark.django_db

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz"
SEED = int(os.environ.get("FUZZ_SEED", "20261128"))
# role: (fuzzed cases per operation, coverage phase, language of the requests)
PLAN = {
    "anonymous": (1, False, "en"),
    "requester": (3, False, "ja"),
    "reviewer": (3, False, "en"),
    "executive": (3, False, "ja"),
    "admin": (6, True, "en"),
}
# Path parameters that are not the collection's own lookup (``_world`` adds the comment's id).
OTHER_PARAMETERS = {"kind": "pilot", "number": 1}
COVERAGE_PER_CHANGE = 1
STATS = {}
MINIMUM_OPERATIONS = 120  # the schema has 124 operations; fewer means routes went missing from it
# Operations with a path parameter that answered 2xx at least once: the world is found.
MINIMUM_FOUND = {"anonymous": 0, "requester": 10, "reviewer": 10, "executive": 10, "admin": 30}


def _world(personas):
    """Objects every operation can find, and a token per person: (ids by collection, tokens by role)."""
    from governance import services as governance
    from governance.education import services as education
    from governance.models import (
        ApprovalStage,
        ClassificationLevel,
        ClassificationRule,
        Notification,
        PolicyDocument,
        Reminder,
        TrainingCourse,
    )
    from portal.models import AuditEvent
    from portal.services import create_api_token
    from usecases import services as usecases
    from usecases.models import Comment, Trial

    requester, admin_user = personas["requester"], personas["admin"]
    draft = UseCaseFactory(complete=True, owner=requester)
    ai_model = AIModelFactory()
    assessment, _token = send_assessment(admin_user)
    version = published_version()
    submitted = UseCaseFactory(complete=True, owner=requester, prohibited_practice=True)
    usecases.submit(submitted, requester)
    exception = governance.grant_exception(
        submitted, admin_user, "risk.prohibited", "", "fuzz", datetime.date.today() + datetime.timedelta(days=5)
    )

    def reminder_for(user):
        return Reminder.objects.create(
            kind="use_case_review",
            step="before",
            days_before=7,
            content_type=ContentType.objects.get_for_model(submitted),
            object_id=submitted.pk,
            object_repr=str(submitted),
            due_on=datetime.date.today() + datetime.timedelta(days=7),
            recipient=user,
            recipient_key=f"user:{user.pk}",
            url=submitted.get_absolute_url(),
            status="failed",
        )

    Trial.objects.create(
        use_case=draft,
        kind="closed_pilot",
        ai_model=ai_model,
        starts_on=datetime.date.today(),
        planned_end_on=datetime.date.today(),
        updated_by=requester,
    )
    policy = PolicyDocument.objects.create(key="usage-rules", title_ja="利用ルール")
    education.publish_version(education.save_draft_version(policy, admin_user, "# ルール"), admin_user)
    course = TrainingCourse.objects.create(key="genai-basics", title_ja="生成AI基礎")
    completion = education.record_completion(course, admin_user, completed_on=datetime.date.today())
    prompt = education.create_prompt(requester, {"title": "要約", "category": "other", "body": "{{文章}}を要約して"})
    # The requester's comment on the draft: the comment paths name it (with the draft's reference).
    comment = Comment.objects.create(use_case=draft, author=requester, body="確認をお願いします。")
    OTHER_PARAMETERS["comment_id"] = comment.pk
    incident, deadline, incident_action = _incident(requester)
    ids = {
        "incidents": [incident.reference],
        "incident-deadlines": [deadline.pk],
        "incident-actions": [incident_action.pk],
        "use-cases": [draft.reference, submitted.reference],
        "use-case-reviews": [submitted.reference, draft.reference],
        "approval-stages": list(ApprovalStage.objects.filter(use_case=submitted).values_list("pk", flat=True)),
        "policy-exceptions": [exception.pk],
        "classification-levels": [ClassificationLevel.objects.first().pk],
        "classification-rules": [ClassificationRule.objects.first().pk],
        "audit-events": [AuditEvent.objects.first().pk],
        "departments": [requester.department_id],
        "vendors": [ai_model.publisher_id],
        "ai-models": [ai_model.pk],
        "licences": [ai_model.licence_id],
        "questionnaire-templates": [version.template_id],
        "template-versions": [version.pk],
        "assessments": [assessment.reference],
        "exchange-rates": ["USD"],
        "policies": [policy.key],
        "training-courses": [course.key],
        "training-completions": [completion.pk],
        "prompt-templates": [prompt.pk],
    }
    tokens, own = {}, {}
    for role, user in personas.items():
        token, key = create_api_token(user, "fuzz")
        tokens[role] = key
        notification = Notification.objects.create(user=user, reminder=reminder_for(user))
        own[role] = {"tokens": [token.pk], "notifications": [notification.pk], "reminders": [notification.reminder_id]}
        # Each person's own import (a checked file), where the role may import.
        own[role]["imports"] = (
            [_import_for(user).pk]
            if user.has_perm("usecases.add_usecase") or user.has_perm("vendors.add_vendor")
            else []
        )
    return ids, tokens, own


def _incident(requester):
    """The requester's incident, triaged by an incident manager: its deadlines and an action."""
    from django.conf import settings as django_settings
    from django.contrib.auth.models import Group

    from incidents import services as incidents

    manager = UserFactory(username="fuzz-incident-manager")
    manager.groups.add(Group.objects.get(name=django_settings.INCIDENT_MANAGER_GROUP))
    incident = incidents.report(
        requester, {"title": "漏えい", "description": "回答に他人の住所", "sensitive_data": True}
    )
    incidents.triage(incident, manager, {"severity": "high", "category": "data_leak", "assignee": requester})
    action = incidents.add_action(incident, manager, "containment", "止める", requester)
    return incident, incident.deadlines.order_by("pk").first(), action


def _import_for(user):
    from imports import services as imports
    from tests.imports.helpers import USE_CASE_HEADER, as_file, csv_bytes, use_case_row, vendors_file

    if user.has_perm("usecases.add_usecase"):
        content, kind = csv_bytes([USE_CASE_HEADER, use_case_row(f"FUZZ-{user.pk}")]), "use_cases"
    else:
        content, kind = vendors_file(f"Fuzz vendor {user.pk}"), "vendors"
    return imports.upload(user, kind, as_file(content))


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, kept from closing the test's connection at the end of each request
    (as Django's test client does), so the requests see the world built inside the test transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _schema(wsgi_app, headers, role, ids):
    fuzzed, coverage, _language = PLAN[role]
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "generation": {"max-examples": fuzzed, "database": "none", "no-shrink": True, "deterministic": True},
            "phases": {"coverage": {"enabled": coverage}, "stateful": {"enabled": False}},
            "checks": {"positive_data_acceptance": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, config=config, headers=headers)
    if os.environ.get("FUZZ_PATHS"):  # to rerun some operations while fixing them (the totals then fail)
        schema = schema.include(path_regex=os.environ["FUZZ_PATHS"])

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        """Half of the time, the path names an object of the world."""
        collection = context.operation.path.split("/")[3]
        real = ids.get(collection)
        if not real or not path_parameters:
            return st.just(path_parameters)
        lookup = next(name for name in path_parameters if name not in OTHER_PARAMETERS)
        others = {name: value for name, value in OTHER_PARAMETERS.items() if name in path_parameters}
        found = [{**path_parameters, **others, lookup: value} for value in real]
        return st.one_of(st.just(path_parameters), st.sampled_from(found))

    return schema


@pytest.mark.parametrize("role", list(PLAN))
def test_every_operation_conforms_to_the_schema(role, wsgi_app, requester, reviewer, executive, admin_user):
    personas = {"requester": requester, "reviewer": reviewer, "executive": executive, "admin": admin_user}
    ids, tokens, own = _world(personas)
    _fuzzed, _coverage, language = PLAN[role]
    # Schemathesis's WSGI transport hands the body over as sent and asks for gzip like any
    # client; answers are compressed (tests/portal/test_compression.py), so ask for them plain.
    headers = {"Accept-Language": language, "Accept-Encoding": "identity"}
    if role == "anonymous":
        ids.update(own["admin"])
    else:
        headers["Authorization"] = f"Token {tokens[role]}"
        ids.update(own[role])
    stats = STATS[role] = collections.Counter()
    coverage_seen = collections.Counter()
    found = set()
    started = time.monotonic()

    def run_case(case):
        stats["generated"] += 1
        data = case.meta.phase.data
        if case.meta.phase.name == TestPhase.COVERAGE:
            # Coverage cases change one thing at a time; the same change to the same field, parameter
            # or header is sent at most COVERAGE_PER_CHANGE times per operation.
            change = (case.operation.label, data.scenario, data.parameter_location, data.parameter, data.location)
            if coverage_seen[change] >= COVERAGE_PER_CHANGE:
                return
            coverage_seen[change] += 1
            if case.path_parameters and not case.meta.is_negative_at(ParameterLocation.PATH):
                # A body or query change is only looked at once the path finds the object.
                collection = case.operation.path.split("/")[3]
                real = ids.get(collection)
                if real:
                    lookup = next(name for name in case.path_parameters if name not in OTHER_PARAMETERS)
                    case.path_parameters[lookup] = real[coverage_seen[change] % len(real)]
                    case.path_parameters.update(
                        {name: value for name, value in OTHER_PARAMETERS.items() if name in case.path_parameters}
                    )
        with transaction.atomic():
            try:
                response = case.call(headers=headers)
                stats["cases"] += 1
                stats[f"phase {case.meta.phase.name.value}"] += 1
                stats[f"mode {case.meta.generation.mode.value}"] += 1
                if case.meta.phase.name == TestPhase.COVERAGE:
                    stats[f"scenario {data.scenario.value}"] += 1
                stats[f"status {response.status_code}"] += 1
                stats["server errors"] += response.status_code >= 500
                if case.path_parameters and 200 <= response.status_code < 300:
                    found.add(case.operation.label)
                case.validate_response(response, headers=headers)
            finally:
                transaction.set_rollback(True)

    schema = _schema(wsgi_app, headers, role, ids)
    failures, operations = [], 0
    # schemathesis' own pytest integration (``from_fixture``) does not run on pytest 9.2 (it reads
    # ``Node._nodeid``); this builds the same per-operation Hypothesis tests and runs them here.
    for result in get_all_tests(schema=schema, test_func=run_case, settings=None, given_kwargs={}):
        assert isinstance(result, Ok), result.err()
        operation, test = result.ok()
        operations += 1
        try:
            test()
        except FailureGroup as error:
            failures.append(f"{operation.label}\n{error}")
    stats["operations"] = operations
    stats["operations finding an object"] = len(found)
    stats["failed operations"] = len(failures)
    stats["seconds"] = round(time.monotonic() - started)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"failures-{role}.txt").write_text("\n\n".join(failures) or "none\n", encoding="utf-8")

    assert operations >= MINIMUM_OPERATIONS
    assert stats["cases"] >= operations  # every operation was called at least once
    assert len(found) >= MINIMUM_FOUND[role], sorted(found)
    assert not failures, f"{len(failures)} operations failed for {role}:\n\n" + "\n\n".join(failures)[:20000]


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    """Totals for docs/QUALITY.md, whatever the outcome: printed at the end and kept as artifacts."""
    yield
    if not STATS:
        return
    lines = [f"schemathesis {schemathesis.__version__}, seed {SEED}"]
    total = collections.Counter()
    for role, counter in STATS.items():
        total.update({key: value for key, value in counter.items() if key != "operations"})
        phases = ", ".join(f"{key[6:]} {n}" for key, n in sorted(counter.items()) if key.startswith("phase "))
        statuses = ", ".join(f"{key[7:]}: {n}" for key, n in sorted(counter.items()) if key.startswith("status "))
        lines.append(
            f"{role}: {counter['operations']} operations ({counter['operations finding an object']} found an object), "
            f"{counter['cases']} cases ({phases}; positive {counter['mode positive']}, "
            f"negative {counter['mode negative']}), {counter['failed operations']} failed, {counter['seconds']} s; "
            f"answers {statuses}"
        )
    lines.append(
        f"FUZZ TOTAL: {total['cases']} cases over {len(STATS)} roles, {total['failed operations']} failed operations, "
        f"{total['server errors']} server errors, {total['seconds']} s"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "stats.json").write_text(json.dumps(STATS, indent=1, sort_keys=True), encoding="utf-8")
    (ARTIFACTS / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)


# --- What the fuzzer found, pinned down (fast, deterministic) ----------------------------------------

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_a_nul_character_in_a_key_is_a_field_error_not_a_server_error(admin_user):
    # PostgreSQL cannot compare text with NUL: the lookup of a use case or course by key was a 500.
    client = api_client_for(admin_user)
    exception = client.post(
        "/api/v1/policy-exceptions/",
        {"use_case": "UC-\x00", "rule_id": "risk.prohibited", "justification": "x", "expires_on": "2030-01-01"},
        **EN,
    )
    assert exception.status_code == 400
    assert exception.json()["use_case"] == ["Null characters are not allowed."]
    completion = client.post("/api/v1/training-completions/", {"course": "a\x00", "completed_on": "2026-01-01"}, **EN)
    assert completion.status_code == 400 and "course" in completion.json()


def test_json_values_of_the_wrong_type_are_refused_with_every_other_problem(requester):
    # DRF coerces 0 into "0" for a text field and "3" into 3 for a number; the schema says otherwise.
    response = api_client_for(requester).post(
        "/api/v1/prompt-templates/",
        {"title": 0, "category": "creative", "style": "closed", "body": "", "example_output": True},
        **EN,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == ["Not a valid string."] and body["example_output"] == ["Not a valid string."]
    assert "body" in body  # the blank body is reported in the same answer
    use_case = api_client_for(requester).post(
        "/api/v1/use-cases/", {"title": "x", "monthly_requests": "3", "kpis": [{"name": "k", "target": 2.5}]}, **EN
    )
    assert use_case.status_code == 400
    assert use_case.json()["monthly_requests"] == ["A valid integer is required."]
    assert use_case.json()["kpis"] == {"0": {"target": ["A valid number is required."]}}  # DRF's shape for rows


@pytest.mark.parametrize(
    "query, field",
    [
        ("valid=maybe", "valid"),  # was ignored: every exception listed
        ("valid=", "valid"),
    ],
)
def test_query_filters_refuse_what_the_schema_does_not_allow(admin_user, query, field):
    response = api_client_for(admin_user).get(f"/api/v1/policy-exceptions/?{query}", **EN)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("query", ["since=03/01/2026", "until=", "department=0", "category=unknown"])
def test_adoption_filters_refuse_what_the_schema_does_not_allow(executive, query):
    response = api_client_for(executive).get(f"/api/v1/adoption/summary/?{query}", **EN)
    assert response.status_code == 400, response.content


def test_dates_and_booleans_spelled_as_documented_still_filter(admin_user):
    client = api_client_for(admin_user)
    assert client.get("/api/v1/policy-exceptions/?valid=true").status_code == 200
    assert client.get("/api/v1/audit-events/?since=2026-01-01&until=2026-12-31").status_code == 200
    assert client.get("/api/v1/departments/?is_active=false").status_code == 200


@pytest.mark.parametrize("size, status", [("0", 400), ("abc", 400), ("1", 200), ("100000", 200)])
def test_page_size(admin_user, size, status):
    response = api_client_for(admin_user).get(f"/api/v1/audit-events/?page_size={size}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["count"] >= 0


@pytest.mark.parametrize(
    "path", ["/api/v1/assessments/not.a.reference/", "/api/v1/use-cases/a%2Fb/submit/", "/api/v1/no-such-thing/"]
)
def test_an_api_path_no_route_matches_is_a_json_404(client, path):
    response = client.post(path, {}, **EN)  # no CSRF token: the 404 does not need one
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Not found."}


def test_the_current_user_without_a_department(executive):
    body = api_client_for(executive).get("/api/v1/me/").json()
    assert body["department"] is None  # the schema now allows it


def test_the_schema_documents_the_errors_of_every_operation():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403"} <= responses.keys(), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert "400" in responses and "application/json" in operation["requestBody"]["content"], (method, path)
                assert "application/x-www-form-urlencoded" not in operation["requestBody"]["content"], (method, path)
