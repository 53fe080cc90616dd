"""Who may do what in the vendor registry, on the pages and through the API.

Each row: persona x operation -> expected HTTP status. Requesters and executives read
vendors, models and licences, and see neither questionnaires nor assessments; reviewers
and governance admins manage (licences: governance admins only); a user without a role
gets 403; anonymous visitors are sent to the login page (pages) or get 401 (API).
Successful writes are checked in the database; refused requests must change nothing.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import AIModelFactory, VendorContactFactory, VendorFactory, published_version
from tests.vendors.helpers import PDF_BYTES
from vendors import assessments, questionnaires
from vendors.choices import AssessmentStatus, TemplateVersionStatus, VendorStatus
from vendors.models import (
    AIModel,
    Answer,
    Assessment,
    EvidenceFile,
    Licence,
    Question,
    QuestionnaireTemplate,
    TemplateSection,
    TemplateVersion,
    Vendor,
    VendorContact,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "requester", "other_requester", "reviewer", "executive", "admin", "outsider"]
LOGIN = 302  # anonymous visitors are sent to the login page
NO_AUTH = 401


def statuses(everyone, *, anonymous, outsider=403, **roles):
    row = dict.fromkeys(PERSONAS, everyone)
    row.update(anonymous=anonymous, outsider=outsider, **roles)
    return row


# Pages
READ = statuses(200, anonymous=LOGIN)
MANAGE_READ = statuses(403, anonymous=LOGIN, reviewer=200, admin=200)
MANAGE_WRITE = statuses(403, anonymous=LOGIN, reviewer=302, admin=302)
# API
API_READ = statuses(200, anonymous=NO_AUTH)


def api_manage(code):
    return statuses(403, anonymous=NO_AUTH, reviewer=code, admin=code)


def api_admin_only(code):
    return statuses(403, anonymous=NO_AUTH, admin=code)


@pytest.fixture
def world(personas, reviewer, media_root):
    """A vendor with a contact and a model; a draft of the vendor questionnaire; one
    assessment just sent and one submitted, with an evidence file."""
    vendor = VendorFactory(name="権限テストAI株式会社")
    contact = VendorContactFactory(vendor=vendor)
    ai_model = AIModelFactory(publisher=vendor, name="permission-model")
    genai = QuestionnaireTemplate.objects.get(key="genai-vendor-assessment")
    readiness = QuestionnaireTemplate.objects.get(key="open-model-readiness")
    v1 = published_version()
    draft = questionnaires.start_new_version(genai, reviewer)
    section = draft.sections.order_by("position", "id").first()
    first, second = section.questions.order_by("position", "id")[:2]
    sent, _token = assessments.send_assessment(vendor, contact, v1, reviewer)
    submitted, _token = assessments.send_assessment(vendor, contact, v1, reviewer)
    Assessment.objects.filter(pk=submitted.pk).update(
        status=AssessmentStatus.SUBMITTED, submitted_at=timezone.now(), score=Decimal("80.0")
    )
    submitted.refresh_from_db()
    evidence_question = Question.objects.filter(section__version=v1, evidence_required=True).first()
    answer = Answer.objects.create(assessment=submitted, question=evidence_question, value="回答")
    evidence = EvidenceFile.objects.create(
        answer=answer,
        file=ContentFile(PDF_BYTES, name="policy.pdf"),
        original_name="policy.pdf",
        size=len(PDF_BYTES),
        content_type="application/pdf",
    )
    return {
        **personas,
        "vendor": vendor,
        "contact": contact,
        "ai_model": ai_model,
        "licence": Licence.objects.get(identifier="MIT"),
        "genai": genai,
        "readiness": readiness,
        "v1": v1,
        "draft": draft,
        "section": section,
        "first": first,
        "second": second,
        "sent": sent,
        "submitted": submitted,
        "evidence": evidence,
    }


def snapshot():
    """What a refused request (or a page read) must leave unchanged."""
    return {
        "vendors": list(
            Vendor.objects.order_by("pk").values(
                "pk", "name", "status", "approved_level", "conditions", "next_reassessment_on", "risk_rating"
            )
        ),
        "contacts": list(VendorContact.objects.order_by("pk").values()),
        "models": list(AIModel.objects.order_by("pk").values("pk", "name", "version", "status", "publisher")),
        "licences": list(Licence.objects.order_by("pk").values()),
        "templates": list(QuestionnaireTemplate.objects.order_by("pk").values()),
        "versions": list(TemplateVersion.objects.order_by("pk").values("pk", "status", "published_at")),
        "sections": list(TemplateSection.objects.order_by("pk").values("pk", "title_en", "position")),
        "questions": list(Question.objects.order_by("pk").values("pk", "text_en", "position", "weight")),
        "assessments": list(
            Assessment.objects.order_by("pk").values(
                "pk", "status", "link_nonce_hash", "link_expires_at", "decided_at", "approved_level", "findings"
            )
        ),
        "answers": list(Answer.objects.order_by("pk").values("pk", "value")),
        "evidence": list(EvidenceFile.objects.order_by("pk").values("pk", "file")),
        "audit": AuditEvent.objects.count(),
    }


# --- Pages -------------------------------------------------------------------------------------------

FORMSETS_EMPTY = {
    f"{prefix}-{field}": value
    for prefix in ("contacts", "certifications")
    for field, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"), ("MAX_NUM_FORMS", "20"))
}


def vendor_form(name):
    return {"name": name, "kind": "saas", "training_use": "unknown", "headquarters_country": "JP", **FORMSETS_EMPTY}


def model_form(world, name):
    return {
        "name": name,
        "version": "1",
        "publisher": world["vendor"].pk,
        "openness": "closed_api",
        "licence": world["licence"].pk,
        "currency": "USD",
        "training_data_disclosed": "no",
        "status": "under_review",
    }


QUESTION_FORM = {
    "text_ja": "権限の確認ですか。",
    "text_en": "Is this a permission check?",
    "answer_type": "yes_no",
    "options": "yes | はい | Yes | 1\nno | いいえ | No | 0",
    "required": "on",
    "weight": "3",
}


def _order(world):
    return list(world["section"].questions.order_by("position", "id").values_list("pk", flat=True))


# operation: (method, url, data, expected statuses, check of a successful write)
PAGES = {
    "vendor list": ("get", lambda w: reverse("vendors:list"), None, READ, None),
    "vendor list filtered": (
        "get",
        lambda w: reverse("vendors:list") + "?status=under_assessment&kind=closed_api",
        None,
        READ,
        None,
    ),
    "vendor detail": ("get", lambda w: w["vendor"].get_absolute_url(), None, READ, None),
    "vendor create form": ("get", lambda w: reverse("vendors:create"), None, MANAGE_READ, None),
    "vendor create": (
        "post",
        lambda w: reverse("vendors:create"),
        lambda w: vendor_form("新規登録ベンダー"),
        MANAGE_WRITE,
        lambda w: Vendor.objects.filter(name="新規登録ベンダー").exists(),
    ),
    "vendor edit form": ("get", lambda w: reverse("vendors:update", args=[w["vendor"].pk]), None, MANAGE_READ, None),
    "vendor edit": (
        "post",
        lambda w: reverse("vendors:update", args=[w["vendor"].pk]),
        lambda w: vendor_form("改名したベンダー"),
        MANAGE_WRITE,
        lambda w: Vendor.objects.get(pk=w["vendor"].pk).name == "改名したベンダー",
    ),
    "model list": ("get", lambda w: reverse("vendors:model-list"), None, READ, None),
    "model detail": ("get", lambda w: w["ai_model"].get_absolute_url(), None, READ, None),
    "model create form": ("get", lambda w: reverse("vendors:model-create"), None, MANAGE_READ, None),
    "model create": (
        "post",
        lambda w: reverse("vendors:model-create"),
        lambda w: model_form(w, "created-model"),
        MANAGE_WRITE,
        lambda w: AIModel.objects.filter(name="created-model").exists(),
    ),
    "model edit form": (
        "get",
        lambda w: reverse("vendors:model-update", args=[w["ai_model"].pk]),
        None,
        MANAGE_READ,
        None,
    ),
    "model edit": (
        "post",
        lambda w: reverse("vendors:model-update", args=[w["ai_model"].pk]),
        lambda w: model_form(w, "renamed-model"),
        MANAGE_WRITE,
        lambda w: AIModel.objects.get(pk=w["ai_model"].pk).name == "renamed-model",
    ),
    "licence list": ("get", lambda w: reverse("vendors:licence-list"), None, READ, None),
    "template list": ("get", lambda w: reverse("vendors:template-list"), None, MANAGE_READ, None),
    "published version page": ("get", lambda w: w["v1"].get_absolute_url(), None, MANAGE_READ, None),
    "draft version page": ("get", lambda w: w["draft"].get_absolute_url(), None, MANAGE_READ, None),
    "new version": (
        "post",
        lambda w: reverse("vendors:template-new-version", args=[w["readiness"].pk]),
        None,
        MANAGE_WRITE,
        lambda w: w["readiness"].versions.filter(status=TemplateVersionStatus.DRAFT).exists(),
    ),
    "publish": (
        "post",
        lambda w: reverse("vendors:template-publish", args=[w["draft"].pk]),
        None,
        MANAGE_WRITE,
        lambda w: (
            TemplateVersion.objects.get(pk=w["draft"].pk).status == TemplateVersionStatus.PUBLISHED
            and TemplateVersion.objects.get(pk=w["v1"].pk).status == TemplateVersionStatus.RETIRED
        ),
    ),
    "add section": (
        "post",
        lambda w: reverse("vendors:template-add-section", args=[w["draft"].pk]),
        lambda w: {"title_ja": "権限の章", "title_en": "Permission section"},
        MANAGE_WRITE,
        lambda w: w["draft"].sections.filter(title_en="Permission section").exists(),
    ),
    "question create form": (
        "get",
        lambda w: reverse("vendors:question-create", args=[w["section"].pk]),
        None,
        MANAGE_READ,
        None,
    ),
    "question create": (
        "post",
        lambda w: reverse("vendors:question-create", args=[w["section"].pk]),
        lambda w: QUESTION_FORM,
        MANAGE_WRITE,
        lambda w: w["section"].questions.filter(text_en=QUESTION_FORM["text_en"]).exists(),
    ),
    "question edit form": (
        "get",
        lambda w: reverse("vendors:question-update", args=[w["section"].pk, w["first"].pk]),
        None,
        MANAGE_READ,
        None,
    ),
    "question edit": (
        "post",
        lambda w: reverse("vendors:question-update", args=[w["section"].pk, w["first"].pk]),
        lambda w: {**QUESTION_FORM, "text_en": "Edited for permissions"},
        MANAGE_WRITE,
        lambda w: Question.objects.get(pk=w["first"].pk).text_en == "Edited for permissions",
    ),
    "question move up": (
        "post",
        lambda w: reverse("vendors:question-move-up", args=[w["second"].pk]),
        None,
        MANAGE_WRITE,
        lambda w: _order(w)[:2] == [w["second"].pk, w["first"].pk],
    ),
    "question move down": (
        "post",
        lambda w: reverse("vendors:question-move-down", args=[w["first"].pk]),
        None,
        MANAGE_WRITE,
        lambda w: _order(w)[:2] == [w["second"].pk, w["first"].pk],
    ),
    "question delete": (
        "post",
        lambda w: reverse("vendors:question-delete", args=[w["second"].pk]),
        None,
        MANAGE_WRITE,
        lambda w: not Question.objects.filter(pk=w["second"].pk).exists(),
    ),
    "send assessment form": (
        "get",
        lambda w: reverse("vendors:send-assessment", args=[w["vendor"].pk]),
        None,
        MANAGE_READ,
        None,
    ),
    "send assessment": (
        "post",
        lambda w: reverse("vendors:send-assessment", args=[w["vendor"].pk]),
        lambda w: {"contact": w["contact"].pk, "template_version": w["v1"].pk, "link_days": "14"},
        MANAGE_WRITE,
        lambda w: Assessment.objects.filter(vendor=w["vendor"]).count() == 3,
    ),
    "assessment detail": ("get", lambda w: w["submitted"].get_absolute_url(), None, MANAGE_READ, None),
    "decide": (
        "post",
        lambda w: reverse("vendors:assessment-decide", args=[w["submitted"].reference]),
        lambda w: {"decision": "approve", "approved_level": "internal", "valid_months": "12"},
        MANAGE_WRITE,
        lambda w: (
            Assessment.objects.get(pk=w["submitted"].pk).status == AssessmentStatus.APPROVED
            and Vendor.objects.get(pk=w["vendor"].pk).status == VendorStatus.APPROVED
        ),
    ),
    "revoke": (
        "post",
        lambda w: reverse("vendors:assessment-revoke", args=[w["sent"].reference]),
        lambda w: {"comment": "誤送信"},
        MANAGE_WRITE,
        lambda w: Assessment.objects.get(pk=w["sent"].pk).status == AssessmentStatus.REVOKED,
    ),
    "reissue": (
        "post",
        lambda w: reverse("vendors:assessment-reissue", args=[w["sent"].reference]),
        None,
        MANAGE_WRITE,
        lambda w: Assessment.objects.get(pk=w["sent"].pk).link_nonce_hash != w["sent"].link_nonce_hash,
    ),
    "evidence download": (
        "get",
        lambda w: reverse("vendors:evidence", args=[w["evidence"].pk]),
        None,
        MANAGE_READ,
        None,
    ),
}


def page_client(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(PAGES))
def test_page_matrix(client, world, persona, operation):
    method, url, data, expected_statuses, succeeded = PAGES[operation]
    before = snapshot()
    page_client(client, world[persona])
    response = getattr(client, method)(url(world), data(world) if data else {})
    expected = expected_statuses[persona]
    assert response.status_code == expected, getattr(response, "context", None) and response.context.get("form")
    if persona == "anonymous":
        assert response.url.startswith(reverse("login"))
    if method == "get" or expected >= 400 or persona == "anonymous":
        assert snapshot() == before, "a read or a refused request changed data"
    else:
        assert succeeded(world), f"{operation} by {persona} answered {expected} but did not happen"
        assert AuditEvent.objects.count() > before["audit"] or operation in {
            "add section",
            "question create",
            "question edit",
            "question move up",
            "question move down",
            "question delete",
        }, "a registry or assessment change left no audit event"


@pytest.mark.parametrize("persona", ["requester", "executive"])
def test_readers_see_vendors_but_no_assessments_or_questionnaires(client, world, personas, persona):
    client.force_login(personas[persona])
    html = client.get(world["vendor"].get_absolute_url()).content.decode()
    assert world["vendor"].name in html
    assert world["submitted"].reference not in html and world["sent"].reference not in html
    assert reverse("vendors:send-assessment", args=[world["vendor"].pk]) not in html
    assert reverse("vendors:update", args=[world["vendor"].pk]) not in html
    home = client.get(reverse("vendors:list")).content.decode()
    assert reverse("vendors:template-list") not in home
    assert reverse("vendors:create") not in home
    model_page = client.get(world["ai_model"].get_absolute_url()).content.decode()
    assert reverse("vendors:model-update", args=[world["ai_model"].pk]) not in model_page


def test_reviewers_see_the_management_links(client, world, reviewer):
    client.force_login(reviewer)
    html = client.get(world["vendor"].get_absolute_url()).content.decode()
    assert world["submitted"].reference in html
    assert reverse("vendors:send-assessment", args=[world["vendor"].pk]) in html
    assert reverse("vendors:update", args=[world["vendor"].pk]) in html


# --- API ----------------------------------------------------------------------------------------------

API = {
    # operation: (method, url, body, expected statuses, check of a successful write)
    "vendors list": ("get", lambda w: "/api/v1/vendors/", None, API_READ, None),
    "vendors retrieve": ("get", lambda w: f"/api/v1/vendors/{w['vendor'].pk}/", None, API_READ, None),
    "vendors create": (
        "post",
        lambda w: "/api/v1/vendors/",
        lambda w: {"name": "API登録ベンダー", "kind": "saas", "processing_regions": ["JP"]},
        api_manage(201),
        lambda w: Vendor.objects.filter(name="API登録ベンダー", status=VendorStatus.PROSPECTIVE).exists(),
    ),
    "vendors update": (
        "patch",
        lambda w: f"/api/v1/vendors/{w['vendor'].pk}/",
        lambda w: {"risk_rating": "high"},
        api_manage(200),
        lambda w: Vendor.objects.get(pk=w["vendor"].pk).risk_rating == "high",
    ),
    # Status and approved level follow assessments: sending them is a 400 naming them, not a silent no-op.
    "vendors status is read-only": (
        "patch",
        lambda w: f"/api/v1/vendors/{w['vendor'].pk}/",
        lambda w: {"status": "approved", "approved_level": "restricted"},
        api_manage(400),
        lambda w: (
            Vendor.objects.get(pk=w["vendor"].pk).status == VendorStatus.UNDER_ASSESSMENT
            and Vendor.objects.get(pk=w["vendor"].pk).approved_level == ""
        ),
    ),
    "models list": ("get", lambda w: "/api/v1/ai-models/", None, API_READ, None),
    "models retrieve": ("get", lambda w: f"/api/v1/ai-models/{w['ai_model'].pk}/", None, API_READ, None),
    "models create": (
        "post",
        lambda w: "/api/v1/ai-models/",
        lambda w: {
            "name": "api-model",
            "publisher": w["vendor"].pk,
            "openness": "open_weights",
            "licence": w["licence"].pk,
            "hosting_options": ["self_hosted"],
        },
        api_manage(201),
        lambda w: AIModel.objects.filter(name="api-model", publisher=w["vendor"]).exists(),
    ),
    "models update": (
        "patch",
        lambda w: f"/api/v1/ai-models/{w['ai_model'].pk}/",
        lambda w: {"status": "blocked"},
        api_manage(200),
        lambda w: AIModel.objects.get(pk=w["ai_model"].pk).status == "blocked",
    ),
    "licences list": ("get", lambda w: "/api/v1/licences/", None, API_READ, None),
    "licences retrieve": ("get", lambda w: f"/api/v1/licences/{w['licence'].pk}/", None, API_READ, None),
    "licences create": (
        "post",
        lambda w: "/api/v1/licences/",
        lambda w: {"identifier": "LicenseRef-Test", "name": "Test licence", "commercial_use": False},
        api_admin_only(201),
        lambda w: Licence.objects.filter(identifier="LicenseRef-Test").exists(),
    ),
    "licences update": (
        "patch",
        lambda w: f"/api/v1/licences/{w['licence'].pk}/",
        lambda w: {"restrictions": "社内利用のみ"},
        api_admin_only(200),
        lambda w: Licence.objects.get(pk=w["licence"].pk).restrictions == "社内利用のみ",
    ),
    "templates list": ("get", lambda w: "/api/v1/questionnaire-templates/", None, api_manage(200), None),
    "templates retrieve": (
        "get",
        lambda w: f"/api/v1/questionnaire-templates/{w['genai'].pk}/",
        None,
        api_manage(200),
        None,
    ),
    "template versions list": ("get", lambda w: "/api/v1/template-versions/", None, api_manage(200), None),
    "template versions retrieve": (
        "get",
        lambda w: f"/api/v1/template-versions/{w['v1'].pk}/",
        None,
        api_manage(200),
        None,
    ),
    "assessments list": ("get", lambda w: "/api/v1/assessments/", None, api_manage(200), None),
    "assessments retrieve": (
        "get",
        lambda w: f"/api/v1/assessments/{w['submitted'].reference}/",
        None,
        api_manage(200),
        None,
    ),
    "assessments create": (
        "post",
        lambda w: "/api/v1/assessments/",
        lambda w: {
            "vendor": w["vendor"].pk,
            "contact": w["contact"].pk,
            "template_version": w["v1"].pk,
            "link_days": 10,
        },
        api_manage(201),
        lambda w: Assessment.objects.filter(vendor=w["vendor"]).count() == 3,
    ),
    "assessments revoke": (
        "post",
        lambda w: f"/api/v1/assessments/{w['sent'].reference}/revoke/",
        lambda w: {"comment": "不要"},
        api_manage(200),
        lambda w: Assessment.objects.get(pk=w["sent"].pk).status == AssessmentStatus.REVOKED,
    ),
    "assessments reissue": (
        "post",
        lambda w: f"/api/v1/assessments/{w['sent'].reference}/reissue/",
        None,
        api_manage(200),
        lambda w: Assessment.objects.get(pk=w["sent"].pk).link_nonce_hash != w["sent"].link_nonce_hash,
    ),
    "assessments decide": (
        "post",
        lambda w: f"/api/v1/assessments/{w['submitted'].reference}/decide/",
        lambda w: {"decision": "approve", "approved_level": "confidential", "valid_months": 6},
        api_manage(200),
        lambda w: (
            Assessment.objects.get(pk=w["submitted"].pk).status == AssessmentStatus.APPROVED
            and Vendor.objects.get(pk=w["vendor"].pk).approved_level == "confidential"
        ),
    ),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(API))
def test_api_matrix(world, persona, operation):
    method, url, body, expected_statuses, succeeded = API[operation]
    before = snapshot()
    client = api_client_for(world[persona])
    response = getattr(client, method)(url(world), body(world) if body else None, format="json")
    expected = expected_statuses[persona]
    assert response.status_code == expected, response.content
    if method == "get" or expected >= 400:
        assert snapshot() == before, "a read or a refused request changed data"
    else:
        assert succeeded(world), f"{operation} by {persona} answered {expected} but did not happen"
    if persona == "anonymous":
        assert "WWW-Authenticate" in response


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "url",
    [
        lambda w: f"/api/v1/vendors/{w['vendor'].pk}/",
        lambda w: f"/api/v1/ai-models/{w['ai_model'].pk}/",
        lambda w: f"/api/v1/licences/{w['licence'].pk}/",
        lambda w: f"/api/v1/assessments/{w['sent'].reference}/",
    ],
    ids=["vendor", "model", "licence", "assessment"],
)
def test_nothing_is_deleted_through_the_api(world, persona, url):
    before = snapshot()
    response = api_client_for(world[persona]).delete(url(world))
    assert response.status_code in (NO_AUTH, 403, 405)
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["requester", "executive"])
def test_readers_get_the_registry_through_the_api_without_assessments(world, personas, persona):
    client = api_client_for(personas[persona])
    vendors = client.get("/api/v1/vendors/").json()["results"]
    assert world["vendor"].pk in [row["id"] for row in vendors]
    detail = client.get(f"/api/v1/vendors/{world['vendor'].pk}/").json()
    assert "assessments" not in detail
    assert client.get(f"/api/v1/ai-models/?publisher={world['vendor'].pk}").json()["results"][0]["name"] == (
        "permission-model"
    )


def test_reviewers_list_every_assessment(world, reviewer):
    rows = api_client_for(reviewer).get("/api/v1/assessments/").json()["results"]
    assert {row["reference"] for row in rows} == {world["sent"].reference, world["submitted"].reference}


def test_a_reviewer_who_loses_the_role_can_no_longer_act(client, world, reviewer):
    from django.contrib.auth.models import Group

    reviewer.groups.set([Group.objects.get(name="requester")])
    user = type(reviewer).objects.get(pk=reviewer.pk)
    before = snapshot()
    api = api_client_for(user)
    assert api.post(f"/api/v1/assessments/{world['sent'].reference}/revoke/", {}, format="json").status_code == 403
    assert api.get("/api/v1/assessments/").status_code == 403
    client.force_login(user)
    assert client.post(reverse("vendors:assessment-revoke", args=[world["sent"].reference])).status_code == 403
    assert client.get(reverse("vendors:evidence", args=[world["evidence"].pk])).status_code == 403
    assert snapshot() == before


def test_the_expiry_stays_with_the_link_days_asked_for(world, reviewer):
    response = api_client_for(reviewer).post(
        "/api/v1/assessments/",
        {
            "vendor": world["vendor"].pk,
            "contact": world["contact"].pk,
            "template_version": world["v1"].pk,
            "link_days": 3,
        },
        format="json",
    )
    assert response.status_code == 201
    created = Assessment.objects.get(reference=response.json()["reference"])
    assert abs(created.link_expires_at - (timezone.now() + datetime.timedelta(days=3))) < datetime.timedelta(minutes=5)
