"""The rules-and-education pages as each persona meets them: who may open which page,
acknowledging a policy (the button only when needed, the home page's reminder), drafting
and publishing, who has acknowledged, recording training with an uploaded certificate and
downloading it, and the prompt library (filters, create, edit, approve, retire, rate, the
copy counter). Objects are made through the services (helpers of test_education.py).
"""

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from governance.education import services
from governance.models import PolicyDocument, PromptRating, PromptTemplate, TrainingCompletion
from portal.roles import Role
from tests.governance.education_helpers import (
    ago,
    approved_prompt,
    assert_inert,
    completed,
    course,
    evidence,
    member,
    policy,
    prompt,
    publish,
)
from tests.governance.test_pages_api import elements, page_messages
from tests.governance.test_permissions import LOGIN, PERSONAS, page_client, statuses

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HOME = reverse("home")
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _requests_leave_no_language_behind():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def url(name, *args):
    return reverse(f"governance:{name}", args=args)


def get(client, user, address, **extra):
    client.logout()
    return page_client(client, user).get(address, **EN, **extra)


def post(client, user, address, data=None, **extra):
    client.logout()
    return page_client(client, user).post(address, data or {}, **EN, **extra)


def ids(response, tag, **attrs):
    return [element.get("id") for element in elements(response, tag, **attrs)]


# --- Who opens which page --------------------------------------------------------------------------------


@pytest.fixture
def education(personas):
    admin, requester, reviewer = personas["admin"], personas["requester"], personas["reviewer"]
    document = policy(admin, "usage-rules")
    publish(document, admin)
    course_ = course(admin, "literacy")
    shared = approved_prompt(requester, reviewer)
    return {
        "policy-list": url("policy-list"),
        "policy-detail": url("policy-detail", document.key),
        "policy-version": url("policy-version", document.key, 1),
        "policy-create": url("policy-create"),
        "policy-update": url("policy-update", document.key),
        "policy-draft": url("policy-draft", document.key),
        "policy-acknowledgements": url("policy-acknowledgements", document.key),
        "course-list": url("course-list"),
        "course-detail": url("course-detail", course_.key),
        "course-create": url("course-create"),
        "course-update": url("course-update", course_.key),
        "prompt-list": url("prompt-list"),
        "prompt-detail": url("prompt-detail", shared.pk),
        "prompt-create": url("prompt-create"),
        "prompt-update": url("prompt-update", shared.pk),
    }


EVERYONE = statuses(200, anonymous=LOGIN)
MANAGERS = statuses(403, anonymous=LOGIN, admin=200)
PAGES = {
    "policy-list": EVERYONE,
    "policy-detail": EVERYONE,
    "policy-version": EVERYONE,
    "policy-create": MANAGERS,
    "policy-update": MANAGERS,
    "policy-draft": MANAGERS,
    "policy-acknowledgements": statuses(403, anonymous=LOGIN, executive=200, admin=200),
    "course-list": EVERYONE,
    "course-detail": EVERYONE,
    "course-create": MANAGERS,
    "course-update": MANAGERS,
    "prompt-list": EVERYONE,
    "prompt-detail": EVERYONE,
    "prompt-create": EVERYONE,
    # The owner and reviewers edit; a requester who does not own it may only read it.
    "prompt-update": statuses(200, anonymous=LOGIN, other_requester=403, executive=403),
}


@pytest.mark.parametrize("page", PAGES)
def test_who_opens_which_page(client, personas, education, page):
    got = {persona: get(client, personas[persona], education[page]) for persona in PERSONAS}
    assert {persona: response.status_code for persona, response in got.items()} == PAGES[page]
    assert got["anonymous"].url.startswith(reverse("login"))


# --- Policies ---------------------------------------------------------------------------------------------


def test_a_requester_acknowledges_through_the_page(client, requester, admin_user, marketing):
    document = policy(admin_user, "marketing-rules", departments=[marketing], title_en="Marketing AI rules")
    version = publish(document, admin_user, body="## 禁止事項\n\n- 顧客名を入力しない")
    detail = url("policy-detail", document.key)
    home = get(client, requester, HOME)
    assert [link["href"] for link in elements(home, "a") if link["href"] == detail] == [detail]
    assert ids(home, "div", id="home-pending-acknowledgements") == ["home-pending-acknowledgements"]
    listing = get(client, requester, url("policy-list"))
    assert "Marketing AI rules" in elements(listing, "div", id="pending-acknowledgements")[0]["text"]

    page = get(client, requester, detail)
    assert ids(page, "button", id="acknowledge-button") == ["acknowledge-button"]
    assert "禁止事項" in elements(page, "article", id="policy-text")[0]["text"]
    response = post(client, requester, url("policy-acknowledge", document.key))
    assert (response.status_code, response.url) == (302, detail)
    assert version.acknowledgements.get().user == requester

    page = get(client, requester, detail)
    assert ids(page, "button", id="acknowledge-button") == []
    assert ids(page, "p", id="acknowledged") == ["acknowledged"]
    assert ids(get(client, requester, HOME), "div", id="home-pending-acknowledgements") == []
    assert ids(get(client, requester, url("policy-list")), "p", id="nothing-pending") == ["nothing-pending"]


def test_a_policy_for_another_department_is_not_found(client, other_requester, admin_user, marketing):
    document = policy(admin_user, "marketing-rules", departments=[marketing])
    publish(document, admin_user)
    assert get(client, other_requester, url("policy-detail", document.key)).status_code == 404
    assert post(client, other_requester, url("policy-acknowledge", document.key)).status_code == 404
    assert not PolicyDocument.objects.get(pk=document.pk).versions.get().acknowledgements.exists()


def test_superseded_versions_stay_readable_and_drafts_stay_hidden(client, requester, admin_user):
    document = policy(admin_user)
    publish(document, admin_user, body="初版の本文")
    publish(document, admin_user, body="第2版の本文")
    services.save_draft_version(document, admin_user, "未公開の案")
    old = get(client, requester, url("policy-version", document.key, 1))
    assert old.status_code == 200
    assert "初版の本文" in elements(old, "article", id="policy-text")[0]["text"]
    assert ids(old, "button", id="acknowledge-button") == []  # only the version in force is acknowledged
    assert get(client, requester, url("policy-version", document.key, 3)).status_code == 404
    assert get(client, requester, url("policy-version", document.key, 9)).status_code == 404
    draft = get(client, admin_user, url("policy-version", document.key, 3))
    assert ids(draft, "button", id="publish-button") == ["publish-button"]
    versions = elements(get(client, requester, url("policy-detail", document.key)), "ul", id="versions")[0]
    assert "version 2" in versions["text"] and "version 3" not in versions["text"]


def test_the_policy_text_is_shown_inert(client, requester, admin_user):
    document = policy(admin_user)
    body = '<script>alert("x")</script>\n\n[click](javascript:alert(1)) <img src=x onerror=alert(1)>'
    publish(document, admin_user, body=body)
    response = get(client, requester, url("policy-detail", document.key))
    content = response.content.decode()
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in content
    article = content[content.index('id="policy-text"') : content.index("</article>")]
    assert_inert(article)
    assert "onerror=" not in article.replace("&lt;img src=x onerror=alert(1)&gt;", "")


def test_managers_create_a_policy_and_errors_keep_what_was_typed(client, admin_user, marketing):
    data = {"key": "data-handling", "kind": "data_handling", "title_ja": "データ取扱規程", "title_en": "Data"}
    data.update(acknowledge_within_days="21", is_active="on", requires_acknowledgement="on")
    refused = post(client, admin_user, url("policy-create"), data)  # no audience chosen
    assert refused.status_code == 400
    assert "Choose all staff, or at least one department or role." in refused.content.decode()
    assert "データ取扱規程" in refused.content.decode()
    response = post(client, admin_user, url("policy-create"), {**data, "departments": [marketing.pk]})
    assert (response.status_code, response.url) == (302, url("policy-detail", "data-handling"))
    document = PolicyDocument.objects.get(key="data-handling")
    assert (document.all_staff, list(document.departments.all()), document.acknowledge_within_days) == (
        False,
        [marketing],
        21,
    )
    duplicate = post(client, admin_user, url("policy-create"), {**data, "all_staff": "on"})
    assert duplicate.status_code == 400 and PolicyDocument.objects.count() == 1


def test_managers_draft_and_publish_through_the_pages(client, admin_user, requester):
    document = policy(admin_user)
    draft_page = url("policy-draft", document.key)
    refused = post(client, admin_user, draft_page, {"body_ja": "", "change_summary": "罰則を追記"})
    assert refused.status_code == 400 and "罰則を追記" in refused.content.decode()
    assert not document.versions.exists()
    response = post(client, admin_user, draft_page, {"body_ja": "# 第1版", "change_summary": "初版"})
    assert (response.status_code, response.url) == (302, url("policy-version", document.key, 1))
    assert post(client, requester, draft_page, {"body_ja": "乗っ取り"}).status_code == 403
    assert post(client, requester, url("policy-publish", document.key, 1)).status_code == 403
    assert document.versions.get().status == "draft"
    edit = get(client, admin_user, draft_page)
    assert "# 第1版" in edit.content.decode()  # the draft is edited, not a new one started
    response = post(client, admin_user, url("policy-publish", document.key, 1), follow=True)
    assert page_messages(response) == ["Version 1 is in force."]
    assert services.in_force(document).number == 1
    again = post(client, admin_user, url("policy-publish", document.key, 1), follow=True)
    assert "Only a draft can be published" in page_messages(again)[0]
    assert document.versions.filter(status="published").count() == 1


def test_who_has_acknowledged_by_department(client, requester, other_requester, executive, admin_user):
    document = policy(admin_user, title_en="AI rules")
    version = publish(document, admin_user)
    services.acknowledge(version, requester)
    page = url("policy-acknowledgements", document.key)
    for user in (executive, admin_user):
        response = get(client, user, page)
        assert response.status_code == 200
        rows = {row["department"]: (row["total"], row["done"]) for row in response.context["rates"]}
        # The pages here are in English: departments by their English names.
        assert rows == {"Marketing": (1, 1), "Sales": (1, 0), "IT": (1, 0), "": (1, 0)}
        missing = elements(response, "ul", id="missing")[0]["text"]
        assert "(other)" in missing and "(govadmin)" in missing and "(requester)" not in missing
    assert get(client, requester, page).status_code == 403
    detail = get(client, executive, url("policy-detail", document.key))
    assert ids(detail, "a", id="acknowledgement-figures") == ["acknowledgement-figures"]
    assert ids(get(client, requester, url("policy-detail", document.key)), "a", id="acknowledgement-figures") == []


# --- Training ---------------------------------------------------------------------------------------------


def completion_data(**fields):
    return {"completed_on": ago(3).isoformat(), "note": "", **fields}


def test_a_requester_records_their_completion_with_a_certificate(client, requester, other_requester, admin_user):
    course_ = course(admin_user)
    page = url("course-detail", course_.key)
    form = get(client, requester, page).context["form"]
    assert "person" not in form.fields
    response = post(client, requester, page, completion_data(evidence=evidence(), person=other_requester.pk))
    assert (response.status_code, response.url) == (302, page)
    record = TrainingCompletion.objects.get()
    assert (record.user, record.source, record.completed_on) == (requester, "self", ago(3))  # "person" ignored
    mine = elements(get(client, requester, page), "div", id="my-completions")[0]["text"]
    assert ago(3).isoformat() in mine and "valid" in mine


@pytest.mark.parametrize(
    ("upload", "field"),
    [
        (None, "evidence"),
        (SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream"), "evidence"),
        (SimpleUploadedFile("big.pdf", b"0" * (10 * MB + 1), content_type="application/pdf"), "evidence"),
        # A program renamed to look like a certificate.
        (SimpleUploadedFile("cert.pdf", b"MZ\x90\x00\x03\x00", content_type="application/pdf"), "evidence"),
    ],
    ids=["missing", "exe", "over-10MB", "exe-named-pdf"],
)
def test_bad_evidence_is_refused_with_a_field_error(client, requester, admin_user, upload, field):
    course_ = course(admin_user)
    data = completion_data(note="社外研修", **({"evidence": upload} if upload else {}))
    response = post(client, requester, url("course-detail", course_.key), data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert "社外研修" in response.content.decode()
    assert not TrainingCompletion.objects.exists()


def test_a_future_or_repeated_date_is_refused(client, requester, admin_user):
    course_ = course(admin_user)
    page = url("course-detail", course_.key)
    future = post(client, requester, page, completion_data(completed_on="2199-01-01", evidence=evidence()))
    assert future.status_code == 400 and list(future.context["form"].errors) == ["completed_on"]
    assert post(client, requester, page, completion_data(evidence=evidence())).status_code == 302
    again = post(client, requester, page, completion_data(evidence=evidence()))
    assert again.status_code == 400 and list(again.context["form"].errors) == ["completed_on"]
    assert TrainingCompletion.objects.count() == 1


def test_an_admin_records_for_someone_without_evidence_and_removes_with_a_reason(client, requester, admin_user):
    course_ = course(admin_user)
    page = url("course-detail", course_.key)
    response = post(client, admin_user, page, completion_data(person=requester.pk))
    assert response.status_code == 302
    record = TrainingCompletion.objects.get()
    assert (record.user, record.source, record.recorded_by) == (requester, "admin", admin_user)
    rates = get(client, admin_user, page).context["rates"]
    assert {row["department_id"]: row["done"] for row in rates}[requester.department_id] == 1
    remove = url("completion-remove", record.pk)
    assert post(client, requester, remove, {"reason": "間違い"}).status_code == 403
    refused = post(client, admin_user, remove, {"reason": ""}, follow=True)
    assert page_messages(refused) == ["Give the reason for removing the record."]
    assert TrainingCompletion.objects.exists()
    assert post(client, admin_user, remove, {"reason": "別人の記録"}).status_code == 302
    assert not TrainingCompletion.objects.exists()


def test_the_evidence_is_served_to_the_person_and_to_those_who_see_figures(client, personas, admin_user):
    requester = personas["requester"]
    record = services.record_completion(course(admin_user), requester, completed_on=ago(1), evidence=evidence())
    address = url("completion-evidence", record.pk)
    expected = statuses(404, anonymous=LOGIN, requester=200, executive=200, admin=200)
    got = {persona: get(client, personas[persona], address) for persona in PERSONAS}
    assert {persona: response.status_code for persona, response in got.items()} == expected
    download = got["requester"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4 certificate"
    assert download["Content-Disposition"].startswith("attachment;")
    no_file = completed(course(admin_user, "other"), requester, admin_user, ago(1))
    assert get(client, admin_user, url("completion-evidence", no_file.pk)).status_code == 404


def test_a_course_for_another_department_is_not_found_by_requesters(client, other_requester, admin_user, marketing):
    course_ = course(admin_user, departments=[marketing])
    page = url("course-detail", course_.key)
    assert get(client, other_requester, page).status_code == 404
    assert post(client, other_requester, page, completion_data(evidence=evidence())).status_code == 404
    assert get(client, admin_user, page).status_code == 200


# --- Prompt library -----------------------------------------------------------------------------------------


@pytest.fixture
def library(requester, other_requester, reviewer):
    return {
        "copy": approved_prompt(
            requester, reviewer, title="広告コピー案", body="{{商品}}の広告文", category="creative"
        ),
        "faq": approved_prompt(other_requester, reviewer, title="FAQ回答", body="{{質問}}に答えて"),
        "mine": prompt(requester, title="私の下書き", body="{{x}}"),
        "theirs": prompt(other_requester, title="他人の下書き", body="{{y}}"),
    }


def listed(response):
    return [template.title for template in response.context["object_list"]]


def test_the_list_shows_approved_prompts_with_search_and_filters(client, requester, reviewer, library):
    everything = get(client, requester, url("prompt-list"))
    assert sorted(listed(everything)) == ["FAQ回答", "広告コピー案"]
    assert [template.title for template in everything.context["my_drafts"]] == ["私の下書き"]
    assert listed(get(client, requester, url("prompt-list"), data={"q": "広告"})) == ["広告コピー案"]
    assert listed(get(client, requester, url("prompt-list"), data={"q": "質問"})) == ["FAQ回答"]  # the body
    assert listed(get(client, requester, url("prompt-list"), data={"category": "creative"})) == ["広告コピー案"]
    assert listed(get(client, requester, url("prompt-list"), data={"status": "draft"})) == ["私の下書き"]
    assert sorted(listed(get(client, reviewer, url("prompt-list"), data={"status": "draft"}))) == [
        "他人の下書き",
        "私の下書き",
    ]
    bad = get(client, requester, url("prompt-list"), data={"category": "nonsense"})
    assert bad.status_code == 200 and listed(bad) == []
    assert "Correct the filters above." in bad.content.decode()


def test_others_drafts_are_not_found_by_requesters(client, requester, reviewer, library):
    theirs = library["theirs"]
    for name in ("prompt-detail", "prompt-update"):
        assert get(client, requester, url(name, theirs.pk)).status_code == 404
    for name in ("prompt-use", "prompt-rate", "prompt-approve", "prompt-retire"):
        assert post(client, requester, url(name, theirs.pk), {"stars": 5}).status_code == 404
    assert get(client, reviewer, url("prompt-detail", theirs.pk)).status_code == 200


def test_create_edit_approve_and_retire_through_the_pages(client, requester, reviewer):
    data = {"title": "", "category": "sales_support", "style": "either", "body": "{{顧客}}への返信を書いて"}
    refused = post(client, requester, url("prompt-create"), data)
    assert refused.status_code == 400 and "{{顧客}}への返信を書いて" in refused.content.decode()
    response = post(client, requester, url("prompt-create"), {**data, "title": "返信文"})
    created = PromptTemplate.objects.get(title="返信文")
    assert (response.url, created.owner, created.status) == (url("prompt-detail", created.pk), requester, "draft")
    own = get(client, requester, url("prompt-detail", created.pk))
    assert ids(own, "button", id="approve-prompt") == []  # never one's own
    assert post(client, requester, url("prompt-approve", created.pk)).status_code == 403
    review = get(client, reviewer, url("prompt-detail", created.pk))
    assert ids(review, "button", id="approve-prompt") == ["approve-prompt"]
    assert post(client, reviewer, url("prompt-approve", created.pk)).status_code == 302
    assert PromptTemplate.objects.get(pk=created.pk).status == "approved"

    post(client, requester, url("prompt-update", created.pk), {**data, "title": "返信文", "notes": "敬語で"})
    assert PromptTemplate.objects.get(pk=created.pk).status == "draft"  # the owner's edit: approval again
    post(client, reviewer, url("prompt-approve", created.pk))
    post(client, reviewer, url("prompt-update", created.pk), {**data, "title": "返信文(改)"})
    assert PromptTemplate.objects.values_list("title", "status").get(pk=created.pk) == ("返信文(改)", "approved")

    assert post(client, requester, url("prompt-retire", created.pk)).status_code == 302
    assert PromptTemplate.objects.get(pk=created.pk).status == "retired"
    assert get(client, requester, url("prompt-update", created.pk)).status_code == 403
    again = post(client, requester, url("prompt-retire", created.pk), follow=True)
    assert page_messages(again) == ["This is not possible while the prompt is Retired."]


def test_the_detail_page_offers_the_placeholders(client, other_requester, library):
    response = get(client, other_requester, url("prompt-detail", library["copy"].pk))
    assert [field["data-name"] for field in elements(response, "input", data_name=True)] == ["商品"]
    body = elements(response, "script", id="prompt-body")[0]["text"]
    assert json.loads(body) == "{{商品}}の広告文"
    button = elements(response, "button", id="copy-prompt")[0]
    assert button["data-use-url"] == url("prompt-use", library["copy"].pk)
    draft = get(client, other_requester, url("prompt-detail", library["theirs"].pk))
    assert elements(draft, "button", id="copy-prompt")[0]["data-use-url"] == ""  # a draft's copy is not counted


def test_the_use_endpoint_counts_and_answers_json(client, requester, other_requester, library):
    shared = library["copy"]
    first = post(client, other_requester, url("prompt-use", shared.pk))
    assert (first.status_code, first.json()) == (200, {"usage_count": 1})
    assert post(client, requester, url("prompt-use", shared.pk)).json() == {"usage_count": 2}
    own_draft = post(client, requester, url("prompt-use", library["mine"].pk))
    assert own_draft.status_code == 400 and own_draft.json()["detail"] == "Only approved prompts are counted as used."
    assert get(client, requester, url("prompt-use", shared.pk)).status_code == 405
    assert PromptTemplate.objects.get(pk=shared.pk).usage_count == 2


def test_rating_through_the_page(client, requester, other_requester, reviewer, library):
    shared = library["copy"]
    rate = url("prompt-rate", shared.pk)
    post(client, other_requester, rate, {"stars": 4, "comment": "便利"})
    response = post(client, other_requester, rate, {"stars": 2}, follow=True)
    assert page_messages(response) == ["Thank you for your rating."]
    assert PromptRating.objects.get(template=shared).stars == 2
    assert response.context["rating_form"].initial["stars"] == 2
    post(client, reviewer, rate, {"stars": 5})
    assert PromptTemplate.objects.values_list("rating_count", "rating_total").get(pk=shared.pk) == (2, 7)
    wrong = post(client, other_requester, rate, {"stars": 9}, follow=True)
    assert page_messages(wrong) == ["Choose one to five stars."]
    own = post(client, requester, rate, {"stars": 5}, follow=True)
    assert page_messages(own) == ["You cannot rate your own prompt."]
    assert ids(get(client, requester, url("prompt-detail", shared.pk)), "form", id="rate-form") == []
    assert post(client, requester, url("prompt-rate", library["mine"].pk), {"stars": 5}).status_code == 403
    assert PromptTemplate.objects.values_list("rating_count", "rating_total").get(pk=shared.pk) == (2, 7)


def test_a_manager_creates_a_course_for_a_role(client, admin_user, reviewer):
    group = reviewer.groups.get(name=Role.REVIEWER)
    data = {"key": "review-skills", "title_ja": "審査研修", "validity_months": "0", "required": "on", "is_active": "on"}
    refused = post(client, admin_user, url("course-create"), {**data, "roles": [group.pk]})
    assert refused.status_code == 400 and list(refused.context["form"].errors) == ["validity_months"]
    response = post(client, admin_user, url("course-create"), {**data, "validity_months": "24", "roles": [group.pk]})
    assert (response.status_code, response.url) == (302, url("course-detail", "review-skills"))
    courses = get(client, reviewer, url("course-list")).context["courses"]
    assert [c.key for c in courses] == ["review-skills"]
    requester = member("mkt", None)
    assert get(client, requester, url("course-list")).context["courses"] == []


# --- Known bugs ----------------------------------------------------------------------------------------------
# These describe the intended behaviour and fail today; the ``pending_bug_`` prefix keeps
# them out of the run. Run them with: pytest -o python_functions="pending_bug_*" <this file>


def test_executives_see_who_acknowledged_a_department_policy(client, executive, admin_user, marketing):
    """The figures page looks the policy up among those *applying to* the viewer, so an
    executive (who holds view_policyacknowledgement) gets 404 for any policy that is not
    for all staff or their own department/role."""
    document = policy(admin_user, "marketing-rules", departments=[marketing])
    publish(document, admin_user)
    assert get(client, executive, url("policy-acknowledgements", document.key)).status_code == 200
