"""The OpenAPI schema is valid, and every operation in it is routed and answers."""

import datetime
import json
import re

import openapi_spec_validator
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import api_client_for
from tests.factories import UseCaseFactory

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings():
    # --validate checks the document against the OpenAPI 3 JSON schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def _served(client, language):
    query = {"format": "json"} if language == "ja" else {"format": "json", "lang": language}
    response = client.get("/api/schema/", query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_served_schema_validates_with_openapi_spec_validator(client, language):
    openapi_spec_validator.validate(_served(client, language))


def _identifiers(node, path=()):
    """Every name a client generator may turn into code: keys, titles, ids, enum values, refs."""
    if isinstance(node, dict):
        for key, value in node.items():
            # A property, path or component is named by its key; prose is not an identifier.
            if key not in ("description", "summary", "example", "examples"):
                yield path, key
            if key in ("title", "operationId", "name", "$ref") and isinstance(value, str):
                yield path, value
            elif key == "enum":
                yield from ((path, item) for item in value if isinstance(item, str))
            elif key not in ("description", "summary", "example", "examples"):
                yield from _identifiers(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _identifiers(item, (*path, index))


def test_identifiers_are_english_whatever_the_language_and_only_prose_is_translated(client):
    ja, en = _served(client, "ja"), _served(client, "en")
    # The Japanese schema used to name types after Japanese labels ("ai_models_list_ステータス").
    assert [(path, name) for path, name in _identifiers(ja) if not name.isascii()] == []
    assert list(_identifiers(ja)) == list(_identifiers(en))
    assert ja["info"]["title"] == en["info"]["title"] == "AI governance portal API"
    # The descriptions follow the reader's language.
    parameters = {p["name"]: p for p in ja["paths"]["/api/v1/ai-models/"]["get"]["parameters"]}
    assert parameters["status"]["description"].startswith("ステータス")
    assert (
        ja["components"]["schemas"]["ValidationError"]["description"]
        != (en["components"]["schemas"]["ValidationError"]["description"])
    )


def test_descriptions_are_translated_only_when_asked(client):
    # A plain fetch (a client generator's) is English throughout, though pages default to Japanese.
    plain = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    english = _served(client, "en")
    assert plain["paths"]["/api/v1/ai-models/"] == english["paths"]["/api/v1/ai-models/"]
    assert plain["components"]["schemas"]["ValidationError"] == english["components"]["schemas"]["ValidationError"]
    # Asked through Accept-Language (browsers, the API docs pages) or ?lang=, it is Japanese.
    asked = json.loads(client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="ja").content)
    assert asked == _served(client, "ja")
    by_parameter = json.loads(client.get("/api/schema/", {"format": "json", "lang": "ja"}).content)
    assert by_parameter["info"]["description"] == asked["info"]["description"] != english["info"]["description"]


def test_the_error_schema_names_every_member_of_its_unions(client):
    """openapi-python-client could not build the bare ``{"type": "object"}`` member of the
    field messages and then failed to import 85 modules that named it."""
    schemas = _served(client, "en")["components"]["schemas"]
    members = schemas["FieldErrors"]["additionalProperties"]["oneOf"]
    assert {"$ref": "#/components/schemas/FieldErrors"} in members
    assert all(member != {"type": "object"} for member in members)
    assert schemas["ValidationError"]["oneOf"] == [
        {"$ref": "#/components/schemas/FieldErrors"},
        {"$ref": "#/components/schemas/ErrorList"},
    ]


def test_schema_and_docs_pages_are_served_offline(client, requester):
    client.force_login(requester)
    assert client.get("/api/schema/").status_code == 200
    for page in ("/api/docs/", "/api/redoc/"):
        response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
        assert "/static/drf_spectacular_sidecar/" in html


def test_every_operation_in_the_schema_is_reachable(requester, admin_user):
    from tests.factories import AIModelFactory, published_version, send_assessment

    schema = SchemaGenerator().get_schema(request=None, public=True)
    use_case = UseCaseFactory(complete=True, owner=requester)
    ai_model = AIModelFactory()
    assessment, _token = send_assessment(admin_user)
    version = published_version()
    from governance import services as governance
    from governance.models import ApprovalStage, ClassificationLevel, ClassificationRule, Notification, Reminder
    from portal.models import AuditEvent
    from usecases import services as usecases

    blocked = UseCaseFactory(complete=True, owner=requester, prohibited_practice=True)
    usecases.submit(blocked, requester)
    exception = governance.grant_exception(
        blocked, admin_user, "risk.prohibited", "", "schema check", datetime.date.today() + datetime.timedelta(days=5)
    )
    reminder = Reminder.objects.create(
        kind="use_case_review",
        step="before",
        days_before=7,
        content_type=ContentType.objects.get_for_model(blocked),
        object_id=blocked.pk,
        object_repr=str(blocked),
        due_on=datetime.date.today() + datetime.timedelta(days=7),
        recipient=admin_user,
        recipient_key=f"user:{admin_user.pk}",
        url=blocked.get_absolute_url(),
        status="failed",
    )
    notification = Notification.objects.create(user=admin_user, reminder=reminder)
    from usecases.models import Trial

    Trial.objects.create(
        use_case=use_case,
        kind="closed_pilot",
        ai_model=ai_model,
        starts_on=datetime.date.today(),
        planned_end_on=datetime.date.today(),
        updated_by=requester,
    )
    policy, course, completion, prompt = _education_rows(requester, admin_user)
    from portal.services import create_api_token

    admin_token, _key = create_api_token(admin_user, "schema check")
    from tests.imports.helpers import upload, vendors_file

    import_job = upload(admin_user, "vendors", vendors_file())
    incident, incident_deadline, incident_action = _incident_rows(requester, admin_user)
    ids = {
        "incidents": incident.reference,
        "incident-deadlines": incident_deadline.pk,
        "incident-actions": incident_action.pk,
        "tokens": admin_token.pk,
        "policies": policy.key,
        "training-courses": course.key,
        "training-completions": completion.pk,
        "prompt-templates": prompt.pk,
        "approval-stages": ApprovalStage.objects.filter(use_case=blocked).first().pk,
        "policy-exceptions": exception.pk,
        "use-case-reviews": blocked.reference,
        "classification-levels": ClassificationLevel.objects.first().pk,
        "classification-rules": ClassificationRule.objects.first().pk,
        "audit-events": AuditEvent.objects.first().pk,
        "use-cases": use_case.reference,
        "departments": requester.department_id,
        "vendors": ai_model.publisher_id,
        "ai-models": ai_model.pk,
        "licences": ai_model.licence_id,
        "questionnaire-templates": version.template_id,
        "template-versions": version.pk,
        "assessments": assessment.reference,
        "reminders": reminder.pk,
        "notifications": notification.pk,
        "exchange-rates": "USD",
        "imports": import_job.pk,
    }
    from usecases.models import Comment

    comment = Comment.objects.create(use_case=use_case, author=requester, body="schema check")
    # Path parameters that are not the collection's own lookup.
    parameters = {"kind": "pilot", "number": 1, "table": "status", "comment_id": comment.pk}
    client = api_client_for(admin_user)
    checked = []
    for path, operations in schema["paths"].items():
        collection = path.split("/")[3]
        url = re.sub(
            r"\{(\w+)\}",
            lambda match, collection=collection: str(parameters.get(match.group(1)) or ids[collection]),
            path,
        )
        for method in operations:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            response = getattr(client, method)(url, {}, format="json")
            # Any answer but "no such route" or a crash: 400 for the empty body, 403 for
            # an action only the owner may take, 409 for the wrong status are all fine.
            assert response.status_code not in (404, 405), (method, url, response.status_code)
            assert response.status_code < 500, (method, url, response.content)
            checked.append((method, path))
    assert ("get", "/api/v1/use-cases/") in checked
    assert ("post", "/api/v1/use-cases/{reference}/submit/") in checked
    assert ("post", "/api/v1/assessments/{reference}/decide/") in checked
    assert ("post", "/api/v1/reminders/{id}/retry/") in checked
    assert ("post", "/api/v1/notifications/read-all/") in checked
    assert ("get", "/api/v1/roadmap/") in checked and ("get", "/api/v1/roadmap/economics/") in checked
    assert ("patch", "/api/v1/cost-settings/") in checked
    assert ("delete", "/api/v1/exchange-rates/{currency}/") in checked
    assert ("get", "/api/v1/use-cases/{reference}/roadmap/{kind}/") in checked
    assert ("patch", "/api/v1/use-cases/{reference}/economics/assumptions/") in checked
    assert ("get", "/api/v1/policies/{key}/versions/{number}/") in checked
    assert ("get", "/api/v1/policies/pending/") in checked
    assert ("post", "/api/v1/training-completions/{id}/remove/") in checked
    assert ("post", "/api/v1/prompt-templates/{id}/fill/") in checked
    assert ("post", "/api/v1/incidents/{reference}/triage/") in checked
    for figures in ("summary", "approvals", "vendors", "cost-value", "education", "trend", "incidents"):
        assert ("get", f"/api/v1/adoption/{figures}/") in checked
    assert len(checked) >= 25


def _incident_rows(requester, admin_user):
    """The requester's triaged incident, with the admin made an incident manager (so every
    incident operation finds it): (incident, deadline, action)."""
    from django.conf import settings as django_settings
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from incidents.models import Deadline, Incident, IncidentAction

    admin_user.groups.add(Group.objects.get(name=django_settings.INCIDENT_MANAGER_GROUP))
    for cached in ("_perm_cache", "_role_names", "_group_ids"):  # read again with the new group
        admin_user.__dict__.pop(cached, None)
    now = timezone.now()
    incident = Incident.objects.create(
        reference="INC-2026-9001",
        title="漏えい",
        description="回答に他人の住所",
        noticed_at=now,
        reporter=requester,
        state="triaged",
        severity="high",
        category="data_leak",
        triaged_at=now,
    )
    deadline = Deadline.objects.create(incident=incident, clock="appi_preliminary", due_at=now)
    action = IncidentAction.objects.create(
        incident=incident, kind="containment", description="止める", owner=admin_user
    )
    return incident, deadline, action


def _education_rows(requester, admin_user):
    """A policy with version 1 in force, a course with a completion, and a requester's draft prompt."""
    from governance.education import services as education
    from governance.models import PolicyDocument, TrainingCourse

    policy = PolicyDocument.objects.create(key="usage-rules", title_ja="利用ルール")
    education.publish_version(education.save_draft_version(policy, admin_user, "# ルール"), admin_user)
    course = TrainingCourse.objects.create(key="genai-basics", title_ja="生成AI基礎")
    completion = education.record_completion(course, admin_user, completed_on=datetime.date.today())
    prompt = education.create_prompt(requester, {"title": "要約", "category": "other", "body": "{{文章}}を要約して"})
    return policy, course, completion, prompt


def test_a_body_taken_as_json_or_multipart_has_a_component_per_media_type(client):
    """openapi-python-client tells media types apart by the body's type, and schemathesis cannot
    judge a file part against a ``not``: the multipart twin is its own component, and a body
    with a file part states its NUL rule as a pattern in both."""
    schema = _served(client, "en")
    content = schema["paths"]["/api/v1/training-completions/"]["post"]["requestBody"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/CompletionCreateRequest"}
    assert content["multipart/form-data"]["schema"] == {"$ref": "#/components/schemas/CompletionCreateMultipartRequest"}
    for name in ("CompletionCreateRequest", "CompletionCreateMultipartRequest"):
        component = schema["components"]["schemas"][name]
        assert component["additionalProperties"] is False
        assert component["properties"]["evidence"]["format"] == "binary"
        assert all("not" not in field for field in component["properties"].values())
