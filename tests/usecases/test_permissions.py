"""Who may do what with use cases, on the pages and through the API.

Each row: persona x operation -> expected HTTP status. Successful writes are also
checked in the database, and refused ones must leave the use case unchanged.
"""

import pytest
from django.urls import reverse

from tests.conftest import api_client_for
from tests.factories import UseCaseFactory
from usecases.choices import UseCaseStatus
from usecases.models import KpiMeasurement, UseCase

PERSONAS = ["anonymous", "requester", "other_requester", "reviewer", "executive", "admin", "outsider"]


@pytest.fixture
def world(personas, requester, other_requester):
    """Of marketing: a complete draft, a submitted use case and a draft withdrawn before it
    was ever submitted (still private); of sales: a draft."""
    draft = UseCaseFactory(complete=True, owner=requester, title="マーケの下書き")
    published = UseCaseFactory(complete=True, owner=requester, title="マーケの提出済み")
    UseCase.objects.filter(pk=published.pk).update(status=UseCaseStatus.SUBMITTED, submitted_at="2026-01-05T00:00Z")
    withdrawn_draft = UseCaseFactory(complete=True, owner=requester, title="マーケの取り下げた下書き")
    UseCase.objects.filter(pk=withdrawn_draft.pk).update(status=UseCaseStatus.WITHDRAWN)
    other_draft = UseCaseFactory(complete=True, owner=other_requester, title="営業の下書き")
    return {
        "draft": draft,
        "published": published,
        "withdrawn_draft": withdrawn_draft,
        "other_draft": other_draft,
        **personas,
    }


def page_client(client, user):
    if user is not None:
        client.force_login(user)
    return client


# --- Pages -------------------------------------------------------------------------

LOGIN = 302  # anonymous visitors are sent to the login page

PAGE_READS = {
    # operation: {persona: status}
    "list": dict(
        anonymous=LOGIN, requester=200, other_requester=200, reviewer=200, executive=200, admin=200, outsider=403
    ),
    "detail_draft": dict(
        anonymous=LOGIN, requester=200, other_requester=404, reviewer=200, executive=200, admin=200, outsider=403
    ),
    "detail_published": dict(
        anonymous=LOGIN, requester=200, other_requester=200, reviewer=200, executive=200, admin=200, outsider=403
    ),
    "create_form": dict(
        anonymous=LOGIN, requester=200, other_requester=200, reviewer=403, executive=403, admin=200, outsider=403
    ),
    "edit_form": dict(
        anonymous=LOGIN, requester=200, other_requester=404, reviewer=403, executive=403, admin=403, outsider=404
    ),
    "record_measurement_form": dict(
        anonymous=LOGIN, requester=200, other_requester=403, reviewer=403, executive=403, admin=403, outsider=403
    ),
    "export": dict(
        anonymous=LOGIN, requester=200, other_requester=200, reviewer=200, executive=200, admin=200, outsider=403
    ),
}


def _page_url(operation, world):
    return {
        "list": reverse("usecases:list"),
        "detail_draft": world["draft"].get_absolute_url(),
        "detail_published": world["published"].get_absolute_url(),
        "create_form": reverse("usecases:create"),
        "edit_form": reverse("usecases:update", args=[world["draft"].reference]),
        "export": reverse("usecases:export"),
        "record_measurement_form": reverse("usecases:record-measurement", args=[world["published"].reference]),
    }[operation]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(PAGE_READS))
def test_page_reads(client, world, persona, operation):
    response = page_client(client, world[persona]).get(_page_url(operation, world))
    assert response.status_code == PAGE_READS[operation][persona]
    if response.status_code == LOGIN:
        assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, expected, new_status",
    [
        ("anonymous", LOGIN, UseCaseStatus.DRAFT),
        ("requester", 302, UseCaseStatus.SUBMITTED),
        ("other_requester", 404, UseCaseStatus.DRAFT),
        ("reviewer", 403, UseCaseStatus.DRAFT),
        ("executive", 403, UseCaseStatus.DRAFT),
        ("admin", 403, UseCaseStatus.DRAFT),
        ("outsider", 403, UseCaseStatus.DRAFT),
    ],
)
def test_page_submit(client, world, persona, expected, new_status):
    draft = world["draft"]
    response = page_client(client, world[persona]).post(reverse("usecases:submit", args=[draft.reference]))
    assert response.status_code == expected
    draft.refresh_from_db()
    assert draft.status == new_status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, expected, new_status",
    [
        ("anonymous", LOGIN, UseCaseStatus.SUBMITTED),
        ("requester", 302, UseCaseStatus.WITHDRAWN),
        ("other_requester", 403, UseCaseStatus.SUBMITTED),
        ("reviewer", 403, UseCaseStatus.SUBMITTED),
        ("executive", 403, UseCaseStatus.SUBMITTED),
        ("admin", 403, UseCaseStatus.SUBMITTED),
        ("outsider", 403, UseCaseStatus.SUBMITTED),
    ],
)
def test_page_withdraw(client, world, persona, expected, new_status):
    published = world["published"]
    response = page_client(client, world[persona]).post(
        reverse("usecases:withdraw", args=[published.reference]), {"comment": "不要になった"}
    )
    assert response.status_code == expected
    published.refresh_from_db()
    assert published.status == new_status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, expected",
    [("anonymous", LOGIN), ("requester", 302), ("other_requester", 404), ("reviewer", 403), ("admin", 403)],
)
def test_page_edit_post(client, world, persona, expected):
    draft = world["draft"]
    data = {
        "title": "変更後のタイトル",
        "tasks-TOTAL_FORMS": "0",
        "tasks-INITIAL_FORMS": "0",
        "kpis-TOTAL_FORMS": "0",
        "kpis-INITIAL_FORMS": "0",
        "models-TOTAL_FORMS": "0",
        "models-INITIAL_FORMS": "0",
    }
    response = page_client(client, world[persona]).post(reverse("usecases:update", args=[draft.reference]), data)
    assert response.status_code == expected
    draft.refresh_from_db()
    assert (draft.title == "変更後のタイトル") == (persona == "requester")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, visible",
    [
        ("requester", {"draft", "published", "withdrawn_draft"}),
        ("other_requester", {"published", "other_draft"}),
        ("reviewer", {"draft", "published", "withdrawn_draft", "other_draft"}),
        ("executive", {"draft", "published", "withdrawn_draft", "other_draft"}),
        ("admin", {"draft", "published", "withdrawn_draft", "other_draft"}),
    ],
)
def test_list_scoping_on_page_and_api(client, world, persona, visible):
    expected = {world[name].reference for name in visible}
    page = page_client(client, world[persona]).get(reverse("usecases:list"))
    assert {use_case.reference for use_case in page.context["object_list"]} == expected
    api = api_client_for(world[persona]).get("/api/v1/use-cases/")
    assert {row["reference"] for row in api.json()["results"]} == expected


# --- API ---------------------------------------------------------------------------

NO_AUTH = 401

API_MATRIX = {
    "list": dict(
        anonymous=NO_AUTH, requester=200, other_requester=200, reviewer=200, executive=200, admin=200, outsider=403
    ),
    "retrieve_draft": dict(
        anonymous=NO_AUTH, requester=200, other_requester=404, reviewer=200, executive=200, admin=200, outsider=403
    ),
    "create": dict(
        anonymous=NO_AUTH, requester=201, other_requester=201, reviewer=403, executive=403, admin=201, outsider=403
    ),
    "update_draft": dict(
        anonymous=NO_AUTH, requester=200, other_requester=404, reviewer=403, executive=403, admin=403, outsider=403
    ),
    "retrieve_published": dict(
        anonymous=NO_AUTH, requester=200, other_requester=200, reviewer=200, executive=200, admin=200, outsider=403
    ),
    "retrieve_withdrawn_draft": dict(
        anonymous=NO_AUTH, requester=200, other_requester=404, reviewer=200, executive=200, admin=200, outsider=403
    ),
    "record_measurement": dict(
        anonymous=NO_AUTH, requester=201, other_requester=403, reviewer=403, executive=403, admin=403, outsider=403
    ),
    "submit_draft": dict(
        anonymous=NO_AUTH, requester=200, other_requester=404, reviewer=403, executive=403, admin=403, outsider=403
    ),
    "withdraw_published": dict(
        anonymous=NO_AUTH, requester=200, other_requester=403, reviewer=403, executive=403, admin=403, outsider=403
    ),
    "departments": dict(
        anonymous=NO_AUTH, requester=200, other_requester=200, reviewer=200, executive=200, admin=200, outsider=403
    ),
    "me": dict(
        anonymous=NO_AUTH, requester=200, other_requester=200, reviewer=200, executive=200, admin=200, outsider=200
    ),
}


def _api_call(client, operation, world):
    draft, published = world["draft"], world["published"]
    base = "/api/v1/use-cases/"
    calls = {
        "list": lambda: client.get(base),
        "retrieve_draft": lambda: client.get(f"{base}{draft.reference}/"),
        "create": lambda: client.post(base, {"title": "API で登録"}, format="json"),
        "update_draft": lambda: client.patch(f"{base}{draft.reference}/", {"title": "API で変更"}, format="json"),
        "retrieve_published": lambda: client.get(f"{base}{published.reference}/"),
        "retrieve_withdrawn_draft": lambda: client.get(f"{base}{world['withdrawn_draft'].reference}/"),
        "record_measurement": lambda: client.post(
            f"{base}{published.reference}/measurements/",
            {"kpi": published.kpis.get().pk, "measured_on": "2026-02-01", "value": "2.1"},
            format="json",
        ),
        "submit_draft": lambda: client.post(f"{base}{draft.reference}/submit/"),
        "withdraw_published": lambda: client.post(f"{base}{published.reference}/withdraw/", {}, format="json"),
        "departments": lambda: client.get("/api/v1/departments/"),
        "me": lambda: client.get("/api/v1/me/"),
    }
    return calls[operation]()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(API_MATRIX))
def test_api_matrix(world, persona, operation):
    before = {row.pk: (row.status, row.title) for row in UseCase.objects.all()}
    measurements_before = KpiMeasurement.objects.count()
    response = _api_call(api_client_for(world[persona]), operation, world)
    expected = API_MATRIX[operation][persona]
    assert response.status_code == expected, response.content
    after = {row.pk: (row.status, row.title) for row in UseCase.objects.all()}
    if expected >= 400:
        assert after == before, "a refused request changed data"
        assert KpiMeasurement.objects.count() == measurements_before
    elif operation == "record_measurement":
        assert KpiMeasurement.objects.get().recorded_by == world[persona]
    elif operation == "create":
        created = UseCase.objects.exclude(pk__in=before).get()
        assert created.owner == world[persona]
        assert created.status == UseCaseStatus.DRAFT
    elif operation == "update_draft":
        assert after[world["draft"].pk][1] == "API で変更"
    elif operation == "submit_draft":
        assert after[world["draft"].pk][0] == UseCaseStatus.SUBMITTED
    elif operation == "withdraw_published":
        assert after[world["published"].pk][0] == UseCaseStatus.WITHDRAWN


@pytest.mark.django_db
def test_api_token_authentication(requester, api_client):
    from portal.models import ApiToken
    from portal.services import create_api_token

    token, key = create_api_token(requester, "dashboard")
    assert ApiToken.objects.get(pk=token.pk).key_hash != key  # only the hash is stored
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["username"] == "requester"
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00Z")
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401


@pytest.mark.django_db
def test_a_requester_who_loses_the_role_can_no_longer_act(client, world, requester):
    """Ownership alone is not enough: the role must still allow changing use cases."""
    from django.contrib.auth.models import Group

    requester.groups.set([Group.objects.get(name="executive")])
    draft, published = world["draft"], world["published"]
    api = api_client_for(type(requester).objects.get(pk=requester.pk))
    assert api.post(f"/api/v1/use-cases/{draft.reference}/submit/").status_code == 403
    assert api.post(f"/api/v1/use-cases/{published.reference}/withdraw/", {}, format="json").status_code == 403
    assert api.patch(f"/api/v1/use-cases/{draft.reference}/", {"title": "x"}, format="json").status_code == 403
    client.force_login(requester)
    assert client.post(reverse("usecases:submit", args=[draft.reference])).status_code == 403
    assert client.get(reverse("usecases:update", args=[draft.reference])).status_code == 403
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == (UseCaseStatus.DRAFT, UseCaseStatus.SUBMITTED)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/usecases/UC%00/",
        "/usecases/UC%00/edit/",
        "/usecases/UC%00/measurements/new/",
        "/api/v1/use-cases/UC%00/",
    ],
)
def test_nul_in_a_reference_is_not_found(client, requester, url):
    client.force_login(requester)
    assert client.get(url).status_code == 404
