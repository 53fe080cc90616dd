"""Rules and education through the API: policies in versions and their acknowledgements,
training courses and completions with evidence, and the prompt library (approval, fill,
ratings); who may do what, figures checked by hand, Markdown rendered inert, and query
counts that stay flat as rows grow."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.education import services
from governance.models import PolicyAcknowledgement, PolicyDocument, PromptTemplate, TrainingCompletion, TrainingCourse
from portal.models import AuditEvent
from portal.roles import Role
from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
POLICIES = "/api/v1/policies/"
COURSES = "/api/v1/training-courses/"
COMPLETIONS = "/api/v1/training-completions/"
PROMPTS = "/api/v1/prompt-templates/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- Helpers ---------------------------------------------------------------------------------------------


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def policy(key="usage-rules", departments=(), roles=(), **fields):
    fields.setdefault("all_staff", not (departments or roles))
    document = PolicyDocument.objects.create(
        key=key, title_ja=f"{key}（日本語）", title_en=f"{key} (English)", **fields
    )
    document.departments.set(departments)
    document.roles.set(Group.objects.filter(name__in=roles))
    return document


def publish(document, admin, body_ja="# 規程", body_en="", change_summary=""):
    draft = services.save_draft_version(document, admin, body_ja, body_en, change_summary)
    return services.publish_version(draft, admin)


def course(key="genai-basics", departments=(), **fields):
    fields.setdefault("all_staff", not departments)
    training = TrainingCourse.objects.create(key=key, title_ja="生成AI基礎", title_en="GenAI basics", **fields)
    training.departments.set(departments)
    return training


# The first bytes of a Windows program, and a ZIP archive that is not an Office document.
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
ZIP_ARCHIVE = b"PK\x05\x06" + b"\x00" * 18


def evidence(name="certificate.pdf", size=100, head=b"%PDF-1.4\n"):
    """A file of ``size`` bytes starting with ``head`` (a PDF by default)."""
    return SimpleUploadedFile(name, (head + b"0" * size)[:size], content_type="application/octet-stream")


def prompt(owner, body="{{商品名}}の広告コピーを3案", approver=None, **fields):
    fields = {"title": "広告コピー", "category": "creative", "body": body, **fields}
    created = services.create_prompt(owner, fields)
    if approver is not None:
        created = services.decide_prompt(created, approver, "approve")
    return created


def keys(response):
    return sorted(row["key"] for row in response.json()["results"])


# --- Who may do what -------------------------------------------------------------------------------------

# persona: (list policies, create a policy, see acknowledgement figures, publish, see completion rates)
MATRIX = {
    "anonymous": (401, 401, 401, 401, 401),
    "outsider": (403, 403, 403, 403, 403),
    "requester": (200, 403, 403, 403, 403),
    "other_requester": (200, 403, 403, 403, 403),
    "reviewer": (200, 403, 403, 403, 403),
    "executive": (200, 403, 200, 403, 200),
    "admin": (200, 201, 200, 400, 200),  # 400: nothing to publish
}


@pytest.mark.parametrize("persona", list(MATRIX))
def test_permissions_per_persona(persona, personas, admin_user):
    document, training = policy(), course()
    publish(document, admin_user)
    client = api_client_for(personas[persona])
    new = {"key": f"new-{persona}", "title_ja": "新しい規程", "kind": "other"}
    answers = (
        client.get(POLICIES).status_code,
        client.post(POLICIES, new, format="json").status_code,
        client.get(f"{POLICIES}{document.key}/acknowledgements/").status_code,
        client.post(f"{POLICIES}{document.key}/publish/").status_code,
        client.get(f"{COURSES}{training.key}/rates/").status_code,
    )
    assert answers == MATRIX[persona]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", 401), ("outsider", 403), ("requester", 200), ("reviewer", 200), ("executive", 200)],
)
def test_every_collection_needs_a_role(persona, expected, personas):
    client = api_client_for(personas[persona])
    for collection in (POLICIES, f"{POLICIES}pending/", COURSES, COMPLETIONS, PROMPTS):
        assert client.get(collection).status_code == expected, collection


def test_policies_are_listed_for_their_audience(requester, other_requester, reviewer, admin_user, marketing):
    policy("everyone")
    policy("marketing-only", departments=[marketing])
    policy("reviewers-only", roles=[Role.REVIEWER])
    policy("retired", is_active=False)
    assert keys(api_client_for(requester).get(POLICIES)) == ["everyone", "marketing-only"]
    assert keys(api_client_for(other_requester).get(POLICIES)) == ["everyone"]
    assert keys(api_client_for(reviewer).get(POLICIES)) == ["everyone", "reviewers-only"]
    assert keys(api_client_for(admin_user).get(POLICIES)) == ["everyone", "marketing-only", "retired", "reviewers-only"]
    assert api_client_for(other_requester).get(f"{POLICIES}marketing-only/").status_code == 404


def test_manager_creates_and_changes_a_policy_with_its_audience(admin_user, marketing, sales):
    client = api_client_for(admin_user)
    payload = {
        "key": "data-handling",
        "kind": "data_handling",
        "title_ja": "データ取扱規程",
        "title_en": "Data handling",
        "audience": {"all_staff": False, "departments": [marketing.pk], "roles": ["reviewer"]},
        "acknowledge_within_days": 7,
    }
    response = client.post(POLICIES, payload, format="json", **EN)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Data handling" and body["title_ja"] == "データ取扱規程"
    assert body["audience"] == {"all_staff": False, "departments": [marketing.pk], "roles": ["reviewer"]}
    assert body["in_force"] is None and body["versions"] == [] and body["my_acknowledgement"] is None
    assert AuditEvent.objects.filter(object_id=str(PolicyDocument.objects.get(key="data-handling").pk)).count() == 1

    url = f"{POLICIES}data-handling/"
    changed = client.patch(url, {"audience": {"departments": [sales.pk]}}, format="json")
    assert changed.status_code == 200 and changed.json()["audience"]["departments"] == [sales.pk]
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert event.changes == {"departments": [["マーケティング部"], ["営業部"]]}
    assert client.get(url, **EN).json()["title"] == "Data handling"

    errors = client.patch(url, {"key": "renamed"}, format="json", **EN).json()
    assert errors == {"key": ["The key cannot be changed: links and reminders point at it."]}
    nobody = {"audience": {"all_staff": False, "departments": [], "roles": []}}
    assert client.patch(url, nobody, format="json", **EN).json() == {
        "audience": ["Choose all staff, or at least one department or role."]
    }
    reserved = client.post(POLICIES, {**payload, "key": "pending"}, format="json", **EN).json()
    assert reserved == {"key": ["This key is reserved; choose another."]}
    assert client.post(POLICIES, {**payload, "audience": {"roles": ["superuser"]}}, format="json").status_code == 400


# --- Versions and acknowledgements ---------------------------------------------------------------------------


def test_versioning_publish_acknowledge_and_be_asked_again(admin_user, requester):
    document = policy()
    admin, person = api_client_for(admin_user), api_client_for(requester)
    url = f"{POLICIES}{document.key}/"

    draft = admin.post(f"{url}draft/", {"body_ja": "第1版", "change_summary": "初版"}, format="json")
    assert draft.status_code == 200 and draft.json()["number"] == 1 and draft.json()["status"] == "draft"
    assert person.get(url).json()["versions"] == [] and person.get(f"{url}versions/1/").status_code == 404
    assert admin.get(f"{url}versions/1/").json()["body_ja"] == "第1版"
    assert person.post(f"{url}acknowledge/", **EN).json() == {"version": ["No version of this policy is in force yet."]}

    published = admin.post(f"{url}publish/").json()
    assert published["in_force"]["number"] == 1 and published["in_force"]["body_ja"] == "第1版"
    assert published["in_force"]["acknowledge_by"] == days(14).isoformat()
    assert [v["key"] for v in person.get(f"{POLICIES}pending/").json()] == [document.key]
    assert person.get(url).json()["my_acknowledgement"] == {"number": 1, "acknowledged": False, "acknowledged_at": None}

    acknowledged = person.post(f"{url}acknowledge/").json()["my_acknowledgement"]
    assert acknowledged["number"] == 1 and acknowledged["acknowledged"] is True
    assert person.post(f"{url}acknowledge/").json()["my_acknowledgement"] == acknowledged  # the first record stays
    assert person.get(f"{POLICIES}pending/").json() == []
    nothing = admin.post(f"{url}publish/", **EN).json()
    assert nothing == {"version": ["There is no draft to publish; save one first."]}

    admin.post(f"{url}draft/", {"body_ja": "第2版", "change_summary": "生成AIの範囲を追加"}, format="json")
    admin.post(f"{url}publish/")
    body = person.get(url).json()
    assert body["in_force"]["number"] == 2 and body["in_force"]["body_ja"] == "第2版"
    assert body["my_acknowledgement"] == {"number": 2, "acknowledged": False, "acknowledged_at": None}
    assert [(v["number"], v["status"]) for v in body["versions"]] == [(2, "published"), (1, "superseded")]
    pending = person.get(f"{POLICIES}pending/").json()
    assert [(v["key"], v["number"], v["change_summary"]) for v in pending] == [(document.key, 2, "生成AIの範囲を追加")]
    old = person.get(f"{url}versions/1/").json()
    assert old["status"] == "superseded" and old["body_ja"] == "第1版" and "第1版" in old["html"]
    assert PolicyAcknowledgement.objects.filter(user=requester, version__number=1).exists()
    assert person.post(f"{url}acknowledge/").json()["my_acknowledgement"]["number"] == 2


def test_acknowledging_a_policy_not_meant_for_you_is_refused(admin_user, requester, sales):
    document = policy("sales-only", departments=[sales])
    publish(document, admin_user)
    url = f"{POLICIES}{document.key}/acknowledge/"
    assert api_client_for(admin_user).post(url, **EN).json() == {"detail": "This policy is not meant for you."}
    assert api_client_for(admin_user).post(url).status_code == 403
    assert api_client_for(requester).post(url).status_code == 404  # not even visible
    assert not PolicyAcknowledgement.objects.exists()


def test_draft_needs_japanese_text_and_only_managers_write_it(admin_user, requester):
    document = policy()
    url = f"{POLICIES}{document.key}/draft/"
    assert api_client_for(requester).post(url, {"body_ja": "x"}, format="json").status_code == 403
    response = api_client_for(admin_user).post(url, {"body_ja": "", "body_en": "text"}, format="json", **EN)
    assert response.status_code == 400 and list(response.json()) == ["body_ja"]


def test_acknowledgement_rates_match_a_hand_count(admin_user, requester, other_requester, executive, marketing, sales):
    # Audience: marketing, sales and the executive role. The executive has no department;
    # mkt2 is in marketing and holds the executive role too (counted once); mkt4 has left.
    mkt2 = UserFactory(username="mkt2", department=marketing, role=Role.EXECUTIVE)
    UserFactory(username="mkt3", department=marketing, first_name="三郎", last_name="田中")
    UserFactory(username="mkt4", department=marketing, is_active=False)
    UserFactory(username="sales2", department=sales)
    document = policy("rules", departments=[marketing, sales], roles=[Role.EXECUTIVE])
    version = publish(document, admin_user)
    for person in (requester, mkt2, other_requester):
        services.acknowledge(version, person)

    figures = api_client_for(executive).get(f"{POLICIES}rules/acknowledgements/").json()
    rates = {
        row["department_id"]: (row["department"], row["total"], row["done"], row["rate"]) for row in figures["rates"]
    }
    assert figures["number"] == 1
    assert rates == {
        marketing.pk: ("マーケティング部", 3, 2, 66.7),
        sales.pk: ("営業部", 2, 1, 50.0),
        None: ("", 1, 0, 0.0),
    }
    missing = {(p["username"], p["name"], p["department"]) for p in figures["not_acknowledged"]}
    assert missing == {
        ("mkt3", "三郎 田中", "マーケティング部"),
        ("sales2", "sales2", "営業部"),
        ("executive", "executive", ""),
    }

    publish(document, admin_user, "第2版")
    now = api_client_for(executive).get(f"{POLICIES}rules/acknowledgements/").json()
    assert now["number"] == 2 and sum(row["done"] for row in now["rates"]) == 0 and len(now["not_acknowledged"]) == 6
    before = api_client_for(executive).get(f"{POLICIES}rules/acknowledgements/?version=1").json()
    assert before == figures
    assert api_client_for(executive).get(f"{POLICIES}rules/acknowledgements/?version=9").status_code == 404
    assert api_client_for(executive).get(f"{POLICIES}rules/acknowledgements/?version=x").status_code == 400
    assert api_client_for(requester).get(f"{POLICIES}rules/acknowledgements/").status_code == 403


def test_figures_holders_see_figures_of_policies_not_meant_for_them(admin_user, executive, sales):
    document = policy("sales-only", departments=[sales])
    empty = api_client_for(executive).get(f"{POLICIES}sales-only/acknowledgements/").json()
    assert empty == {"number": None, "rates": [], "not_acknowledged": []}
    publish(document, admin_user)
    assert api_client_for(executive).get(f"{POLICIES}sales-only/acknowledgements/").status_code == 200
    assert api_client_for(executive).get(f"{POLICIES}sales-only/").status_code == 404


def test_markdown_is_rendered_inert(admin_user, requester):
    document = policy()
    body_ja = (
        "# 利用ルール\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[押して](javascript:alert(1)) と [公式](https://example.com) を **必ず** 読む"
    )
    publish(document, admin_user, body_ja, body_en="# Rules\n\n<script>alert('en')</script> Read **this**.")
    html = api_client_for(requester).get(f"{POLICIES}{document.key}/").json()["in_force"]["html"]
    assert re.search(r"<h\d>利用ルール</h\d>", html) and "<strong>必ず</strong>" in html
    assert "<script" not in html and "<img" not in html  # raw HTML is shown as text
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html and "[押して](javascript:alert(1))" in html  # no link made
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">公式</a>' in html
    english = api_client_for(requester).get(f"{POLICIES}{document.key}/", **EN).json()["in_force"]["html"]
    assert re.search(r"<h\d>Rules</h\d>", english) and "<script" not in english and "<strong>this</strong>" in english


# --- Training ---------------------------------------------------------------------------------------------


def test_courses_show_my_status(requester, admin_user, marketing, sales):
    training = course(validity_months=12)
    course("sales-only", departments=[sales])
    client = api_client_for(requester)
    assert keys(client.get(COURSES)) == ["genai-basics"]
    assert client.get(f"{COURSES}genai-basics/").json()["my_status"] is None
    services.record_completion(training, admin_user, person=requester, completed_on=days(-400))
    assert client.get(f"{COURSES}genai-basics/").json()["my_status"]["valid"] is False
    services.record_completion(training, admin_user, person=requester, completed_on=days(-10))
    status = client.get(f"{COURSES}genai-basics/", **EN).json()
    assert status["title"] == "GenAI basics"
    assert status["my_status"] == {
        "completed_on": days(-10).isoformat(),
        "expires_on": services.add_months(days(-10), 12).isoformat(),
        "valid": True,
    }
    assert keys(api_client_for(admin_user).get(COURSES)) == ["genai-basics", "sales-only"]


def test_manager_creates_a_course_others_cannot(admin_user, requester, marketing):
    payload = {"key": "prompting", "title_ja": "プロンプト研修", "validity_months": 24, "required": False}
    assert api_client_for(requester).post(COURSES, payload, format="json").status_code == 403
    response = api_client_for(admin_user).post(COURSES, payload, format="json")
    assert response.status_code == 201 and response.json()["audience"]["all_staff"] is True
    too_long = api_client_for(admin_user).patch(f"{COURSES}prompting/", {"validity_months": 121}, format="json")
    assert too_long.status_code == 400 and "validity_months" in too_long.json()
    changed = api_client_for(admin_user).put(f"{COURSES}prompting/", {**payload, "title_ja": "改題"}, format="json")
    assert changed.status_code == 200 and changed.json()["title_ja"] == "改題"


def test_completion_rates_match_a_hand_count(admin_user, requester, executive, marketing):
    expired = UserFactory(username="mkt2", department=marketing)
    UserFactory(username="mkt3", department=marketing)
    training = course(departments=[marketing], validity_months=6)
    services.record_completion(training, admin_user, person=requester, completed_on=days(-30))
    services.record_completion(training, admin_user, person=expired, completed_on=days(-365))
    body = api_client_for(executive).get(f"{COURSES}{training.key}/rates/").json()
    assert body == {
        "on": days(0).isoformat(),
        "rates": [
            {"department_id": marketing.pk, "department": "マーケティング部", "total": 3, "done": 1, "rate": 33.3}
        ],
    }


def test_self_report_with_evidence_and_its_removal(requester, admin_user, django_capture_on_commit_callbacks):
    training = course(validity_months=12)
    payload = {"course": training.key, "completed_on": days(-3).isoformat(), "evidence": evidence(), "note": "社内研修"}
    response = api_client_for(requester).post(COMPLETIONS, payload, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "self" and body["has_evidence"] is True and body["valid"] is True
    assert body["user"]["username"] == "requester" and body["department"] == "マーケティング部"
    assert body["expires_on"] == services.add_months(days(-3), 12).isoformat()
    completion = TrainingCompletion.objects.get()
    storage, name = completion.evidence.storage, completion.evidence.name
    assert name.startswith("training-evidence/") and storage.size(name) == 100
    assert AuditEvent.objects.filter(action="record_training").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        removed = api_client_for(admin_user).post(f"{COMPLETIONS}{completion.pk}/remove/", {"reason": "別人の証明書"})
    assert removed.status_code == 204 and not storage.exists(name)  # the certificate does not linger


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"evidence": None}, {"evidence": ["Attach the certificate or other evidence of completion."]}),
        ({"completed_on": days(1).isoformat()}, {"completed_on": ["A completion cannot be dated in the future."]}),
        ({"evidence": "big"}, {"evidence": ["The file is larger than 10 MB."]}),
        (
            {"evidence": "exe"},
            {
                "evidence": [
                    "Upload a PDF, image, text, CSV or Office file (.docx, .jpeg, .jpg, .pdf, .png, .txt, .xlsx)."
                ]
            },
        ),
        # A program renamed to look like a certificate: the content decides, not the name.
        ({"evidence": "exe-as-pdf"}, {"evidence": ["The file's content does not match its extension."]}),
        ({"evidence": "exe-as-txt"}, {"evidence": ["The file's content does not match its extension."]}),
        ({"evidence": "zip-as-docx"}, {"evidence": ["The file's content does not match its extension."]}),
    ],
)
def test_self_report_is_refused_without_good_evidence(requester, changes, errors):
    training = course()
    payload = {"course": training.key, "completed_on": days(-1).isoformat(), "evidence": evidence(), **changes}
    if payload["evidence"] is None:
        del payload["evidence"]
    elif payload["evidence"] == "big":
        payload["evidence"] = evidence("big.pdf", 10 * 1024 * 1024 + 1)
    elif payload["evidence"] == "exe":
        payload["evidence"] = evidence("setup.exe")
    elif isinstance(payload["evidence"], str):
        kind, extension = payload["evidence"].split("-as-")
        payload["evidence"] = evidence(f"cert.{extension}", head=PROGRAM if kind == "exe" else ZIP_ARCHIVE)
    response = api_client_for(requester).post(COMPLETIONS, payload, format="multipart", **EN)
    assert response.status_code == 400
    assert response.json() == errors
    assert not TrainingCompletion.objects.exists()


def test_managers_record_anyone_without_evidence_others_only_themselves(admin_user, requester, other_requester):
    training = course()
    payload = {"course": training.key, "completed_on": days(-1).isoformat(), "person": requester.pk}
    refused = api_client_for(other_requester).post(COMPLETIONS, {**payload, "evidence": evidence()}, format="multipart")
    assert refused.status_code == 403
    recorded = api_client_for(admin_user).post(COMPLETIONS, payload, format="json")
    assert recorded.status_code == 201 and recorded.json()["source"] == "admin"
    assert recorded.json()["recorded_by"] == "govadmin" and recorded.json()["user"]["id"] == requester.pk
    again = api_client_for(admin_user).post(COMPLETIONS, payload, format="json", **EN)
    assert again.json() == {"completed_on": ["This completion is already recorded for that day."]}
    inactive = course("old", is_active=False)
    gone = api_client_for(admin_user).post(COMPLETIONS, {**payload, "course": inactive.key}, format="json", **EN)
    assert gone.json() == {"course": ["This course is no longer offered."]}


def test_completions_are_listed_as_scoped_and_removed_with_a_reason(
    admin_user, requester, other_requester, executive, outsider
):
    training, other = course(), course("security")
    mine = services.record_completion(training, admin_user, person=requester, completed_on=days(-2))
    services.record_completion(other, admin_user, person=requester, completed_on=days(-2))
    theirs = services.record_completion(training, admin_user, person=other_requester, completed_on=days(-1))

    def ids(client, query=""):
        return sorted(row["id"] for row in client.get(f"{COMPLETIONS}{query}").json()["results"])

    assert len(ids(api_client_for(requester))) == 2
    assert ids(api_client_for(other_requester)) == [theirs.pk]
    assert len(ids(api_client_for(executive))) == 3
    assert ids(api_client_for(executive), f"?course={training.key}&user={requester.pk}") == [mine.pk]
    assert api_client_for(executive).get(f"{COMPLETIONS}?user=99999999999999999999").status_code == 400
    assert api_client_for(other_requester).get(f"{COMPLETIONS}{mine.pk}/").status_code == 404
    assert api_client_for(outsider).get(COMPLETIONS).status_code == 403

    url = f"{COMPLETIONS}{mine.pk}/remove/"
    assert api_client_for(requester).post(url, {"reason": "誤り"}, format="json").status_code == 403
    assert api_client_for(executive).post(url, {"reason": "誤り"}, format="json").status_code == 403
    assert list(api_client_for(admin_user).post(url, {}, format="json").json()) == ["reason"]
    assert api_client_for(admin_user).post(url, {"reason": "証明書が別人のもの"}, format="json").status_code == 204
    assert not TrainingCompletion.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.get(action="remove_training").comment == "証明書が別人のもの"
    assert api_client_for(admin_user).delete(f"{COMPLETIONS}{theirs.pk}/").status_code == 405


# --- Prompt library ---------------------------------------------------------------------------------------------


def test_prompt_approval_flow(requester, other_requester, reviewer):
    owner, colleague, checker = api_client_for(requester), api_client_for(other_requester), api_client_for(reviewer)
    created = owner.post(
        PROMPTS, {"title": "要約", "category": "analytics", "body": "{{文章}}を3行で要約"}, format="json"
    )
    assert created.status_code == 201 and created.json()["status"] == "draft"
    url = f"{PROMPTS}{created.json()['id']}/"
    assert created.json()["owner"]["username"] == "requester" and created.json()["placeholders"] == ["文章"]
    assert colleague.get(url).status_code == 404  # a draft is its owner's and the reviewers'

    assert owner.post(f"{url}approve/").status_code == 403
    approved = checker.post(f"{url}approve/", {"comment": "良い"}, format="json").json()
    assert approved["status"] == "approved" and approved["approved_by"]["username"] == "reviewer"
    assert colleague.get(url).status_code == 200
    assert colleague.patch(url, {"title": "乗っ取り"}, format="json").status_code == 403

    edited = owner.patch(url, {"body": "{{文章}}を5行で要約"}, format="json").json()
    assert edited["status"] == "draft" and edited["approved_by"] is None and edited["approved_at"] is None
    assert colleague.get(url).status_code == 404
    checker.post(f"{url}approve/")
    by_reviewer = checker.patch(url, {"notes": "社外秘データは入れない"}, format="json").json()
    assert by_reviewer["status"] == "approved"

    assert owner.post(f"{url}retire/").json()["status"] == "retired"
    again = owner.post(f"{url}retire/", **EN)
    assert again.status_code == 400 and again.json() == {
        "status": ["This is not possible while the prompt is Retired."]
    }
    assert owner.patch(url, {"title": "復活"}, format="json").status_code == 403  # retired: reviewers only
    assert checker.post(f"{url}approve/").json()["status"] == "approved"  # restored


def test_reviewer_cannot_approve_own_prompt(reviewer, admin_user):
    own = prompt(reviewer)
    assert api_client_for(reviewer).post(f"{PROMPTS}{own.pk}/approve/").status_code == 403
    assert api_client_for(admin_user).post(f"{PROMPTS}{own.pk}/approve/").json()["status"] == "approved"


def test_prompt_creation_needs_the_role_and_valid_fields(outsider, requester):
    payload = {"title": "t", "category": "creative", "body": "b"}
    assert api_client_for(outsider).post(PROMPTS, payload, format="json").status_code == 403
    bad = api_client_for(requester).post(PROMPTS, {**payload, "category": "magic", "style": "x"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"category", "style"}


def test_fill_placeholders_and_count_uses(requester, other_requester, reviewer, outsider):
    body = "{{商品名}}の広告コピーを{{ 文字数 }}文字で。{{商品名}}を強調。{{トーン}}"
    shared = prompt(requester, body, approver=reviewer)
    url = f"{PROMPTS}{shared.pk}/fill/"
    assert api_client_for(other_requester).get(f"{PROMPTS}{shared.pk}/").json()["placeholders"] == [
        "商品名",
        "文字数",
        "トーン",
    ]
    values = {"values": {"商品名": "緑茶", "文字数": "30"}}
    first = api_client_for(other_requester).post(url, values, format="json").json()
    assert first == {"text": "緑茶の広告コピーを30文字で。緑茶を強調。{{トーン}}", "usage_count": 1}
    assert api_client_for(requester).post(url, {}, format="json").json()["usage_count"] == 2
    assert PromptTemplate.objects.get(pk=shared.pk).usage_count == 2

    draft = prompt(requester, "{{a}}")
    refused = api_client_for(requester).post(f"{PROMPTS}{draft.pk}/fill/", values, format="json", **EN)
    assert refused.status_code == 400 and refused.json() == {"status": ["Only approved prompts are counted as used."]}
    assert api_client_for(outsider).post(url, values, format="json").status_code == 403
    assert api_client_for(requester).post(url, {"values": ["x"]}, format="json").status_code == 400


def test_rating_own_refused_and_replaced_rating_updates_the_average(requester, other_requester, reviewer):
    shared = prompt(requester, approver=reviewer)
    url = f"{PROMPTS}{shared.pk}/rate/"
    own = api_client_for(requester).post(url, {"stars": 5}, format="json", **EN)
    assert own.status_code == 400 and own.json() == {"stars": ["You cannot rate your own prompt."]}

    first = api_client_for(other_requester).post(url, {"stars": 5, "comment": "便利"}, format="json").json()
    assert (first["average_rating"], first["rating_count"]) == (5.0, 1)
    assert first["my_rating"] == {"stars": 5, "comment": "便利"}
    second = api_client_for(reviewer).post(url, {"stars": 2}, format="json").json()
    assert (second["average_rating"], second["rating_count"], second["my_rating"]["stars"]) == (3.5, 2, 2)
    replaced = api_client_for(other_requester).post(url, {"stars": 3}, format="json").json()
    assert (replaced["average_rating"], replaced["rating_count"]) == (2.5, 2)
    assert replaced["my_rating"] == {"stars": 3, "comment": ""}
    assert api_client_for(requester).get(f"{PROMPTS}{shared.pk}/").json()["my_rating"] is None

    assert api_client_for(other_requester).post(url, {"stars": 6}, format="json").status_code == 400
    draft = prompt(requester)
    assert api_client_for(reviewer).post(f"{PROMPTS}{draft.pk}/rate/", {"stars": 4}, format="json").status_code == 403


def test_prompt_list_filters_and_ordering(requester, other_requester, reviewer):
    popular = prompt(requester, "{{x}} 要約", approver=reviewer, title="議事録の要約", category="analytics")
    prompt(requester, "広告", approver=reviewer, title="広告コピー", style="closed")
    prompt(requester, "下書き", title="下書きの案")
    PromptTemplate.objects.filter(pk=popular.pk).update(usage_count=10)
    client = api_client_for(other_requester)

    def titles(query=""):
        return [row["title"] for row in client.get(f"{PROMPTS}{query}").json()["results"]]

    assert titles() == ["議事録の要約", "広告コピー"]  # most used first; others' drafts hidden
    assert titles("?q=要約") == ["議事録の要約"]
    assert titles("?category=analytics") == ["議事録の要約"]
    assert titles("?style=closed") == ["広告コピー"]
    assert titles("?ordering=usage_count") == ["広告コピー", "議事録の要約"]
    assert titles("?status=draft") == []
    assert [row["title"] for row in api_client_for(reviewer).get(f"{PROMPTS}?status=draft").json()["results"]] == [
        "下書きの案"
    ]
    assert client.get(f"{PROMPTS}?status=bogus").status_code == 400


def test_reviewer_editing_own_approved_prompt_needs_approval_again(reviewer, admin_user):
    own = prompt(reviewer, approver=admin_user)
    edited = api_client_for(reviewer).patch(f"{PROMPTS}{own.pk}/", {"body": "別の指示"}, format="json").json()
    assert edited["status"] == "draft"  # else a reviewer publishes new text nobody else approved


# --- Query counts ----------------------------------------------------------------------------------------------


def _grow(n, admin_user, requester, reviewer, start):
    for i in range(start, start + n):
        document = policy(f"policy-{i}")
        services.acknowledge(publish(document, admin_user), requester)
        publish(document, admin_user, "第2版")  # to acknowledge again
        training = course(f"course-{i}", validity_months=12)
        services.record_completion(training, admin_user, person=requester, completed_on=days(-1))
        shared = prompt(requester, approver=reviewer, title=f"prompt {i}")
        services.rate_prompt(shared, reviewer, 4)


@pytest.mark.parametrize("collection", [POLICIES, COURSES, COMPLETIONS, PROMPTS, f"{POLICIES}pending/"])
def test_list_query_counts_do_not_grow_with_rows(
    collection, admin_user, requester, reviewer, django_assert_max_num_queries
):
    client = api_client_for(requester)
    _grow(2, admin_user, requester, reviewer, 0)
    with django_assert_max_num_queries(15) as few:
        assert client.get(collection).status_code == 200
    _grow(12, admin_user, requester, reviewer, 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(collection)
    rows = response.json() if isinstance(response.json(), list) else response.json()["results"]
    assert len(rows) == 14


# --- Rights come before the status: someone who may not approve gets 403, whatever the status ---


def test_approving_an_approved_prompt_of_someone_else_is_forbidden_not_invalid(requester, other_requester, reviewer):
    shared = prompt(requester, approver=reviewer)
    assert api_client_for(other_requester).post(f"{PROMPTS}{shared.pk}/approve/").status_code == 403
