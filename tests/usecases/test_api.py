from decimal import Decimal

import pytest

from tests.conftest import api_client_for
from tests.factories import UseCaseFactory
from usecases import services
from usecases.choices import UseCaseStatus
from usecases.models import UseCase

pytestmark = pytest.mark.django_db
BASE = "/api/v1/use-cases/"

COMPLETE = {
    "title": "SEO記事の構成案",
    "summary": "キーワードから構成案を作る。",
    "category": "content_seo",
    "audience": "internal",
    "data_classification": "public",
    "involves_personal_data": False,
    "intended_style": "closed_api",
    "monthly_requests": 1200,
    "avg_input_tokens": 1500,
    "avg_output_tokens": 2000,
    "tasks": [
        {"description": "構成案を作る", "performer": "ai"},
        {"description": "事実確認と公開判断", "performer": "human"},
    ],
    "kpis": [{"name": "公開本数", "unit": "本/月", "direction": "increase", "baseline": "8", "target": "16"}],
}


def test_create_with_tasks_and_kpis_then_submit(requester):
    client = api_client_for(requester)
    created = client.post(BASE, COMPLETE, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["reference"].startswith("UC-")
    assert body["department"] == requester.department_id
    assert [task["performer"] for task in body["tasks"]] == ["ai", "human"]
    assert body["allowed_actions"] == ["submit", "withdraw"]
    submitted = client.post(f"{BASE}{body['reference']}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    again = client.post(f"{BASE}{body['reference']}/submit/")
    assert again.status_code == 409
    assert "detail" in again.json()


def test_submit_incomplete_lists_every_missing_item(requester):
    client = api_client_for(requester)
    reference = client.post(BASE, {"title": "題名だけ"}, format="json").json()["reference"]
    response = client.post(f"{BASE}{reference}/submit/")
    assert response.status_code == 400
    missing = response.json()["missing"]
    assert {item["field"] for item in missing} == {
        "summary", "category", "audience", "data_classification", "intended_style",
        "monthly_requests", "avg_input_tokens", "avg_output_tokens", "tasks", "kpis",
    }  # fmt: skip
    assert all(item["message"] for item in missing)
    assert UseCase.objects.get(reference=reference).status == UseCaseStatus.DRAFT


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"summary": "題名なし"}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "summary": "y" * 5001}, "summary"),
        ({"title": "ok", "category": "astrology"}, "category"),
        ({"title": "ok", "data_classification": "top-secret"}, "data_classification"),
        ({"title": "ok", "monthly_requests": "many"}, "monthly_requests"),
        ({"title": "ok", "monthly_requests": -5}, "monthly_requests"),
        ({"title": "ok", "avg_input_tokens": 10**12}, "avg_input_tokens"),
        ({"title": "ok", "involves_personal_data": "perhaps"}, "involves_personal_data"),
        ({"title": "ok", "department": 999999}, "department"),
        ({"title": "ok", "tasks": "not a list"}, "tasks"),
        ({"title": "ok", "tasks": [{"description": "x"}]}, "tasks"),
        ({"title": "ok", "tasks": [{"description": "x", "performer": "robot"}]}, "tasks"),
        ({"title": "ok", "kpis": [{"name": "CTR", "target": "abc"}]}, "kpis"),
        ({"title": "ok", "kpis": [{"name": "CTR", "target": "1" * 20}]}, "kpis"),
        ({"title": "nul\x00char"}, "title"),
    ],
)
def test_bad_input_gives_field_errors_and_saves_nothing(requester, payload, field):
    response = api_client_for(requester).post(BASE, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not UseCase.objects.exists()


def test_bad_update_keeps_saved_data(requester):
    use_case = UseCaseFactory(complete=True, owner=requester, title="元の題名")
    client = api_client_for(requester)
    response = client.patch(f"{BASE}{use_case.reference}/", {"title": "", "category": "nope"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "category"}
    use_case.refresh_from_db()
    assert use_case.title == "元の題名"
    assert use_case.tasks.count() == 2


def test_requester_cannot_register_for_another_department(requester, sales):
    response = api_client_for(requester).post(BASE, {"title": "他部署", "department": sales.pk}, format="json")
    assert response.status_code == 400
    assert "department" in response.json()


def test_malformed_json_is_a_400(requester):
    response = api_client_for(requester).post(BASE, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_list_query_count_does_not_grow_with_rows(reviewer, requester, django_assert_max_num_queries):
    """Drafts and use cases in review alike: a reviewer's allowed actions on each in-review row
    read the prefetched waiting stage (one query for the page), not a query per row."""
    client = api_client_for(reviewer)

    def add(count):
        for use_case in UseCaseFactory.create_batch(count, complete=True, owner=requester):
            if use_case.pk % 2:
                services.submit(use_case, requester)

    add(3)
    # + the waiting stages, + the reviewer's groups, once; + SAVEPOINT/RELEASE of the atomic request
    with django_assert_max_num_queries(12) as few:
        assert len(client.get(BASE).json()["results"]) == 3
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        rows = client.get(BASE).json()["results"]
    assert len(rows) == 33
    assert sum("approve" in row["allowed_actions"] for row in rows) == sum(
        1 for row in rows if row["status"] != "draft"
    )
    assert len(many.captured_queries) <= len(few.captured_queries)  # the first call also loads permissions


def test_filters_and_search(reviewer, requester, other_requester):
    UseCaseFactory(complete=True, owner=requester, title="広告コピー生成")
    UseCaseFactory(owner=other_requester, title="FAQチャット", category="sales_support")
    client = api_client_for(reviewer)

    def titles(query):
        response = client.get(BASE + query)
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles("?q=広告") == ["広告コピー生成"]
    assert titles("?category=sales_support") == ["FAQチャット"]
    assert titles(f"?department={requester.department_id}") == ["広告コピー生成"]
    assert titles(f"?owner={other_requester.pk}") == ["FAQチャット"]
    assert titles("?ordering=title") == sorted(["広告コピー生成", "FAQチャット"])
    assert client.get(BASE + "?status=bogus").status_code == 400
    assert client.get(BASE + "?department=abc").status_code == 400


def test_pagination(reviewer, requester):
    UseCaseFactory.create_batch(5, owner=requester)
    body = api_client_for(reviewer).get(BASE + "?page_size=2&page=2").json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"] and body["previous"]


def test_me_shows_roles(requester):
    body = api_client_for(requester).get("/api/v1/me/").json()
    assert body["roles"] == ["requester"]
    assert "usecases.add_usecase" in body["permissions"]
    assert body["department"]["code"] == "marketing"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"tasks": [{"description": "説明だけ"}]}, "tasks"),
        ({"tasks": [{"performer": "ai"}]}, "tasks"),
        ({"kpis": [{}]}, "kpis"),
        ({"kpis": [{"unit": "%"}]}, "kpis"),
        ({"tasks": [{"description": "x", "performer": "ai"}] * 31}, "tasks"),
    ],
)
def test_patch_with_incomplete_rows_is_a_400_and_keeps_the_rows(requester, payload, field):
    use_case = UseCaseFactory(complete=True, owner=requester)
    before = (list(use_case.tasks.values_list("pk", flat=True)), list(use_case.kpis.values_list("pk", flat=True)))
    response = api_client_for(requester).patch(f"{BASE}{use_case.reference}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    after = (list(use_case.tasks.values_list("pk", flat=True)), list(use_case.kpis.values_list("pk", flat=True)))
    assert after == before


def test_patch_replaces_rows_by_id(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    ai_task, human_task = use_case.tasks.all()
    response = api_client_for(requester).patch(
        f"{BASE}{use_case.reference}/",
        {"tasks": [{"id": human_task.pk, "description": "人が最終判断", "performer": "human"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [(task["id"], task["description"]) for task in response.json()["tasks"]] == [(human_task.pk, "人が最終判断")]
    assert not use_case.tasks.filter(pk=ai_task.pk).exists()


def test_record_measurement_through_the_api(requester, reviewer):
    use_case = UseCaseFactory(complete=True, owner=requester)
    kpi = use_case.kpis.get()
    client = api_client_for(requester)
    url = f"{BASE}{use_case.reference}/measurements/"
    first = client.post(url, {"kpi": kpi.pk, "measured_on": "2026-03-01", "value": "1.9"}, format="json")
    assert first.status_code == 201, first.content
    again = client.post(url, {"kpi": kpi.pk, "measured_on": "2026-03-01", "value": "2.2"}, format="json")
    assert again.status_code == 201
    assert kpi.measurements.get().value == Decimal("2.2")
    body = api_client_for(reviewer).get(f"{BASE}{use_case.reference}/").json()
    assert body["kpis"][0]["measurements"][0]["value"] == "2.2000"

    other_kpi = UseCaseFactory(complete=True, owner=requester).kpis.get()
    wrong_kpi = client.post(url, {"kpi": other_kpi.pk, "measured_on": "2026-03-02", "value": "1"}, format="json")
    assert wrong_kpi.status_code == 400 and "kpi" in wrong_kpi.json()
    future = client.post(url, {"kpi": kpi.pk, "measured_on": "2199-01-01", "value": "1"}, format="json")
    assert future.status_code == 400 and "measured_on" in future.json()
    bad = client.post(url, {"kpi": kpi.pk, "measured_on": "yesterday", "value": "lots"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"measured_on", "value"}
    assert kpi.measurements.count() == 1


def test_no_measurements_on_a_withdrawn_use_case(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    client = api_client_for(requester)
    client.post(f"{BASE}{use_case.reference}/withdraw/", {}, format="json")
    response = client.post(
        f"{BASE}{use_case.reference}/measurements/",
        {"kpi": use_case.kpis.get().pk, "measured_on": "2026-03-01", "value": "1"},
        format="json",
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    "query",
    [
        "?department=-26077992334578339840",
        "?department=99999999999999999999999",
        "?department=1&department=abc",
        "?owner=18446744073709551616",
        "?owner=-1",
        "?department=%EF%BC%91",  # a full-width digit
        "?page_size=-311",
        "?page=abc",
        "?ordering=bogus",
        "?roadmap_step=99",
        "?q=" + "x" * 300,
    ],
)
def test_bad_query_parameters_never_give_a_server_error(reviewer, query):
    response = api_client_for(reviewer).get(BASE + query)
    assert response.status_code in (200, 400, 404), (query, response.status_code)


def test_huge_ids_in_a_body_are_a_400(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    client = api_client_for(requester)
    created = client.post(BASE, {"title": "x", "department": 10**25}, format="json")
    assert created.status_code == 400 and "department" in created.json()
    measured = client.post(
        f"{BASE}{use_case.reference}/measurements/",
        {"kpi": 10**25, "measured_on": "2026-01-01", "value": "1"},
        format="json",
    )
    assert measured.status_code == 400 and "kpi" in measured.json()
