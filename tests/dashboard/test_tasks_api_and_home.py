"""``/api/v1/tasks/`` and the home page's "My tasks": shape, scoping, the kind filter, counts,
role-aware empty states in both languages, constant queries, the navigation's count."""

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.choices import TaskKind
from portal.roles import Role
from tests.conftest import api_client_for
from tests.dashboard.tasks_helpers import in_review, stage
from tests.factories import KpiFactory, UseCaseFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/tasks/"


def test_the_api_lists_the_askers_tasks_only(reviewer, requester, legal_reviewer):
    late = stage(in_review(requester), due=-1)
    stage(in_review(requester), code="legal-review", due=1)
    draft = UseCaseFactory(owner=requester)
    response = api_client_for(reviewer).get(API)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "kind": "stage_decision",
            "kind_label": str(TaskKind.STAGE_DECISION.label),
            "title": f"{late.use_case.reference} {late.use_case.title}",
            "detail": "IT審査",
            "subject_type": "approval_stage",
            "subject_id": late.pk,
            "url": f"{late.use_case.get_absolute_url()}#decide-form",
            "due_on": late.due_on.isoformat(),
            "overdue": True,
            "days_left": -1,
            "assigned_to_me": False,
            "on_behalf_of": "",
        }
    ]
    mine = api_client_for(requester).get(API).json()
    assert [(row["kind"], row["subject_id"]) for row in mine["results"]] == [("draft", draft.pk)]


def test_the_kind_filter_and_its_refusal_naming_the_allowed_values(reviewer, requester):
    stage(in_review(requester), due=2)
    client = api_client_for(reviewer)
    assert client.get(API, {"kind": "draft"}).json()["count"] == 0
    assert client.get(API, {"kind": "stage_decision"}).json()["count"] == 1
    refused = client.get(API, {"kind": "stages"})
    assert refused.status_code == 400
    message = refused.json()["kind"][0]
    assert "stages" in message and "stage_decision" in message and "training_expiring" in message
    assert client.get(API, {"kind": ""}).status_code == 400
    assert client.get(API, {"page_size": "0"}).status_code == 400


def test_counts_by_kind_match_the_list(reviewer, requester):
    stage(in_review(requester), due=2)
    stage(in_review(requester), due=3, assigned_to=reviewer)
    UseCaseFactory(owner=reviewer)
    body = api_client_for(reviewer).get(API + "counts/").json()
    assert body["total"] == 3 == api_client_for(reviewer).get(API).json()["count"]
    counts = {row["kind"]: row["count"] for row in body["by_kind"]}
    assert counts["stage_decision"] == 2 and counts["draft"] == 1
    assert "stage_without_decider" not in counts  # only kinds a reviewer can have


def test_anonymous_gets_401(api_client):
    assert api_client.get(API).status_code == 401
    assert api_client.get(API + "counts/").status_code == 401


def _grow(requester, reviewer, n):
    for number in range(n):
        stage(in_review(requester), due=number - 2, assigned_to=reviewer if number % 2 else None)
        piloting = UseCaseFactory(owner=reviewer, status="piloting", submitted_at=timezone.now())
        KpiFactory(use_case=piloting)


class Page:
    """A page read with lxml: ``select`` takes an XPath, ``text`` the text of the first match."""

    def __init__(self, content):
        self.root = lxml.html.fromstring(content)

    def select(self, xpath):
        return self.root.xpath(xpath)

    def text(self, xpath):
        return " ".join(self.select(xpath)[0].text_content().split())

    def ids(self, xpath):
        return {element.get("id") for element in self.select(xpath)}


def by_id(name):
    return f"//*[@id='{name}']"


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_api_and_home_page_queries_do_not_grow_with_the_tasks(client, requester, reviewer):
    api = api_client_for(reviewer)
    client.force_login(reviewer)
    _grow(requester, reviewer, 1)
    _queries(api, API), _queries(client, reverse("home"))  # first requests fill the caches
    few = _queries(api, API), _queries(api, API + "counts/"), _queries(client, reverse("home"))
    _grow(requester, reviewer, 29)
    many = _queries(api, API), _queries(api, API + "counts/"), _queries(client, reverse("home"))
    assert many == few
    home = client.get(reverse("home"))
    assert len(home.context["tasks"]) == 60
    page = Page(home.content)
    assert len(page.select("//table[@id='task-list']//tr[contains(@class, 'task')]")) == 60
    assert page.text(by_id("task-count")) == "60"  # the navigation's count, same builder


def _page(client, user, language):
    client.force_login(user)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language)
    client.cookies.pop("django_language", None)
    assert response.status_code == 200
    return Page(response.content)


EMPTY_STATES = "//div[@id='tasks-empty']/p"
TASK_ROWS = "//table[@id='task-list']//tr[contains(@class, 'task')]"
EMPTY = {
    "reviewer": ("empty-reviewer", "Nothing is waiting for your review.", "審査待ちはありません。"),
    "executive": (
        "empty-executive",
        "No sign-off or exception is waiting for you.",
        "承認や例外の判断待ちはありません。",
    ),
    "admin": ("empty-admin", "Nothing is stuck", "滞っているものはありません"),
    "requester": ("empty-requester", "Nothing to do on your use cases.", "ユースケースでやることはありません。"),
}


@pytest.mark.parametrize("persona", ["reviewer", "executive", "admin", "requester"])
@pytest.mark.parametrize("language", ["en", "ja"])
def test_empty_states_say_what_to_do_next_per_role(client, personas, persona, language, settings):
    user = personas[persona]
    page = _page(client, user, language)
    assert page.select(by_id("task-list")) == []
    assert page.ids(EMPTY_STATES) == {EMPTY[persona][0]}
    text = page.text(by_id(EMPTY[persona][0]))
    english = EMPTY[persona][1]
    if language == "en":
        assert english in text
    else:
        # Japanese: translated once the catalogue is compiled; never the English sentence then.
        assert english in text or EMPTY[persona][2] in text
    register = reverse("usecases:create")
    links = page.select("//main//a/@href")
    if persona in ("reviewer", "executive"):
        assert register not in links  # not invited to register a use case
    if persona == "requester":
        assert register in links
    assert not page.select(by_id("task-count"))  # no badge without tasks


def test_a_person_without_a_role_is_told_to_ask_for_one(client, outsider):
    page = _page(client, outsider, "en")
    assert page.ids(EMPTY_STATES) == {"empty-no-role"}


def test_several_roles_get_each_empty_state(client, it_department):
    both = UserFactory(username="both", department=it_department, role=Role.REVIEWER)
    both.groups.add(*type(both.groups.first()).objects.filter(name="requester"))
    page = _page(client, both, "en")
    assert page.ids(EMPTY_STATES) == {"empty-reviewer", "empty-requester"}


def test_home_lists_tasks_and_links_to_all_my_use_cases(client, requester):
    drafts = [UseCaseFactory(owner=requester) for _ in range(12)]
    page = _page(client, requester, "en")
    rows = page.select(TASK_ROWS)
    assert len(rows) == 12
    assert set(page.select(TASK_ROWS + "//a[@class='task-link']/@href")) == {
        reverse("usecases:update", args=[uc.reference]) for uc in drafts
    }
    assert "Draft not submitted yet" in rows[0].text_content()
    assert len(page.select(by_id("my-use-cases") + "//li")) == 10
    assert page.select(by_id("all-my-use-cases") + "/@href") == [f"{reverse('usecases:list')}?owner={requester.pk}"]
    assert "12" in page.text(by_id("all-my-use-cases"))
    assert page.text(by_id("my-task-count")) == "12"


def test_executive_home_shows_headline_figures_and_no_register_invitation(client, executive, requester):
    stage(in_review(requester), code="executive-signoff", due=-3)
    UseCaseFactory(owner=requester, status="in_production", submitted_at=timezone.now())
    page = _page(client, executive, "en")
    figures = [page.text(by_id(f"headline-{name}")) for name in ("total", "in-production", "pending", "overdue")]
    assert figures == ["2", "1", "1", "1"]
    (row,) = page.select(TASK_ROWS)
    assert "table-danger" in row.get("class") and "3 days overdue" in row.text_content()
    assert reverse("usecases:create") not in page.select("//main//a/@href")
    assert page.select(by_id("my-use-cases")) == []  # no use cases of their own, no invitation


def test_a_reviewer_home_shows_delegated_stages_for_whom(client, reviewer, legal_reviewer, requester):
    from tests.dashboard.tasks_helpers import away

    legal_reviewer.first_name, legal_reviewer.last_name = "Hanako", "Sato"
    legal_reviewer.save()
    stage(in_review(requester), code="legal-review", due=2)
    away(legal_reviewer, reviewer)
    page = _page(client, reviewer, "en")
    assert page.text("//span[contains(@class, 'task-behalf')]") == "for Hanako Sato"


def test_every_page_shows_the_same_count_as_the_api(client, requester):
    for _ in range(3):
        UseCaseFactory(owner=requester)
    client.force_login(requester)
    page = Page(client.get(reverse("usecases:list")).content)
    assert page.text(by_id("task-count")) == "3"
    assert page.select(by_id("nav-tasks") + "/@href") == [reverse("home") + "#my-tasks"]
    assert api_client_for(requester).get(API + "counts/").json()["total"] == 3
