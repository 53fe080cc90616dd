"""Integers beyond what the database holds: never a 500, on the embedded SQLite as on PostgreSQL.

Python's sqlite3 cannot bind an integer beyond 64 bits (``OverflowError``), which answered
500 on every adoption endpoint and the dashboard for ``?department=99999999999999999999``.
The project's SQLite backend (portal/db/backends/sqlite3) declares PostgreSQL's integer
ranges and compares a too-large value as PostgreSQL does, so these run on both databases.
"""

import pytest
from django.db import DataError, transaction

from portal.models import Department
from tests.conftest import api_client_for
from tests.factories import UseCaseFactory
from usecases.models import UseCase
from vendors.models import Vendor

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999  # 20 digits: beyond 64 bits
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.mark.parametrize("value", [HUGE, -HUGE, 2**63, 2**63 - 1, -(2**63) - 1])
def test_lookups_with_huge_integers_find_nothing(requester, value):
    use_case = UseCaseFactory(owner=requester)
    assert not Department.objects.filter(pk=value).exists()
    assert not Department.objects.filter(pk__in=[value, requester.department_id]).exclude(pk=requester.department_id)
    assert not UseCase.objects.filter(department_id=value).exists()
    assert not UseCase.objects.filter(department__in=[value]).exists()
    assert not UseCase.objects.filter(monthly_requests=value).exists()
    # Comparisons keep their meaning: every stored id is below a huge value, above a huge negative one.
    below, above = (UseCase.objects.filter(pk__lt=value), UseCase.objects.filter(pk__gt=value))
    assert list(below if value > 0 else above) == [use_case]


def test_a_huge_integer_is_never_stored(requester):
    use_case = UseCaseFactory(owner=requester)
    with pytest.raises(DataError), transaction.atomic():
        Vendor.objects.create(pk=HUGE, name="Too big")
    assert not Vendor.objects.filter(name="Too big").exists()
    # Model fields carry the same ranges on every database: forms and serializers refuse first.
    field = UseCase._meta.get_field("version")
    assert [v.limit_value for v in field.validators if hasattr(v, "limit_value")][-1] == 2**31 - 1
    use_case.refresh_from_db()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/adoption/summary/",
        "/api/v1/adoption/approvals/",
        "/api/v1/adoption/vendors/",
        "/api/v1/adoption/cost-value/",
        "/api/v1/adoption/education/",
        "/api/v1/adoption/trend/",
    ],
)
def test_adoption_endpoints_answer_400_for_a_huge_department(executive, path):
    response = api_client_for(executive).get(f"{path}?department={HUGE}", **EN)
    assert response.status_code == 400, response.content
    assert "department" in response.json()


@pytest.mark.parametrize(
    "path, field",
    [
        (f"/api/v1/ai-models/?publisher={HUGE}", "publisher"),
        (f"/api/v1/assessments/?vendor={HUGE}", "vendor"),  # a plain filterset_fields filter
        (f"/api/v1/use-cases/?department={HUGE}", "department"),
        (f"/api/v1/use-cases/?owner={HUGE}", "owner"),
    ],
)
def test_api_filters_answer_400_for_a_huge_id(admin_user, path, field):
    response = api_client_for(admin_user).get(path, **EN)
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    "path", [f"/api/v1/vendors/{HUGE}/", f"/api/v1/departments/{HUGE}/", f"/api/v1/audit-events/{HUGE}/"]
)
def test_api_details_answer_404_for_a_huge_id(admin_user, path):
    assert api_client_for(admin_user).get(path, **EN).status_code == 404


@pytest.mark.parametrize("path", [f"/vendors/{HUGE}/", f"/vendors/models/{HUGE}/", f"/governance/prompts/{HUGE}/"])
def test_pages_answer_404_for_a_huge_id(client, admin_user, path):
    client.force_login(admin_user)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path, field",
    [("/dashboard/", "department"), ("/usecases/", "department"), ("/vendors/models/", "publisher")],
)
def test_filter_forms_show_an_error_for_a_huge_id(client, admin_user, path, field):
    client.force_login(admin_user)
    key = "publisher" if field == "publisher" else "department"
    response = client.get(f"{path}?{key}={HUGE}")
    assert response.status_code == 200
    form = response.context.get("filterset") or response.context.get("filter")
    assert field in form.errors


def test_a_huge_related_id_in_a_body_is_a_field_error(admin_user):
    response = api_client_for(admin_user).post(
        "/api/v1/ai-models/", {"name": "M", "publisher": HUGE, "licence": HUGE}, format="json", **EN
    )
    assert response.status_code == 400, response.content
    errors = response.json()
    assert {"publisher", "licence"} & set(errors), errors
