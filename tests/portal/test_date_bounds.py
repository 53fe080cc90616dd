"""Dates people and clients enter stay between 1900-01-01 and 2200-12-31 (portal/dates.py).

Years 1 and 9999 were accepted by the API and the forms. Every date and datetime input
field (forms, model forms, the admin, filters, serializers) now carries one validator.
"""

import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError

from portal.dates import EARLIEST, LATEST, validate_date_in_range
from tests.conftest import api_client_for
from tests.factories import UseCaseFactory, VendorFactory
from vendors.api.serializers import VendorSerializer
from vendors.assessments import clean_value
from vendors.choices import AnswerType
from vendors.models import Question, Vendor

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MESSAGE = "Enter a date between 1900-01-01 and 2200-12-31."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_window_includes_its_ends_and_nothing_beyond():
    for day in (EARLIEST, LATEST, datetime.date(2026, 3, 1)):
        validate_date_in_range(day)
    for day in (datetime.date(1, 1, 1), datetime.date(1899, 12, 31), datetime.date(2201, 1, 1)):
        with pytest.raises(ValidationError):
            validate_date_in_range(day)
    with pytest.raises(ValidationError):
        validate_date_in_range(datetime.datetime(9999, 12, 31, 23, 59, tzinfo=datetime.UTC))


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"])
def test_every_kind_of_date_field_refuses_dates_outside_the_window(text):
    model_date = Vendor._meta.get_field("next_reassessment_on")
    form_fields = [forms.DateField(), forms.DateTimeField(), model_date.formfield()]
    for field in form_fields:
        with pytest.raises(ValidationError) as caught:
            field.clean(text)
        assert caught.value.messages == [MESSAGE], field
    generated = VendorSerializer().fields["next_reassessment_on"]
    for field in (serializers.DateField(), serializers.DateTimeField(), generated):
        with pytest.raises(ApiValidationError) as caught:
            field.run_validation(text)
        assert [str(m) for m in caught.value.detail] == [MESSAGE], field
    assert forms.DateField().clean("2026-03-01") == datetime.date(2026, 3, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("query, field", [("since=0001-01-01", "since"), ("until=9999-12-31", "until")])
def test_api_filters_answer_400_for_dates_outside_the_window(executive, query, field):
    response = api_client_for(executive).get(f"/api/v1/adoption/summary/?{query}", **EN)
    assert response.status_code == 400, response.content
    assert response.json()[field] == [MESSAGE]


@pytest.mark.django_db
def test_api_bodies_answer_400_for_dates_outside_the_window(requester, reviewer):
    use_case = UseCaseFactory(complete=True, owner=requester)
    kpi = use_case.kpis.get()
    url = f"/api/v1/use-cases/{use_case.reference}/measurements/"
    response = api_client_for(requester).post(
        url, {"kpi": kpi.pk, "measured_on": "0001-01-01", "value": "1"}, format="json", **EN
    )
    assert response.status_code == 400 and response.json()["measured_on"] == [MESSAGE]
    assert not kpi.measurements.exists()

    vendor = VendorFactory()
    response = api_client_for(reviewer).patch(
        f"/api/v1/vendors/{vendor.pk}/", {"next_reassessment_on": "9999-12-31"}, format="json", **EN
    )
    assert response.status_code == 400 and response.json()["next_reassessment_on"] == [MESSAGE]
    vendor.refresh_from_db()
    assert vendor.next_reassessment_on != datetime.date(9999, 12, 31)


@pytest.mark.django_db
def test_pages_show_a_form_error_for_dates_outside_the_window(client, requester, executive):
    use_case = UseCaseFactory(complete=True, owner=requester)
    kpi = use_case.kpis.get()
    client.force_login(requester)
    url = reverse("usecases:record-measurement", args=[use_case.reference])
    response = client.post(url, {"kpi": kpi.pk, "measured_on": "0001-01-01", "value": "2"}, **EN)
    assert response.status_code == 200 and "measured_on" in response.context["form"].errors
    assert not kpi.measurements.exists()
    listing = client.get("/usecases/?since=0001-01-01", **EN)
    assert listing.status_code == 200 and listing.context["filter"].errors["since"] == [MESSAGE]

    client.force_login(executive)
    dashboard = client.get("/dashboard/?until=9999-12-31", **EN)
    assert dashboard.status_code == 200 and dashboard.context["filterset"].errors["until"] == [MESSAGE]


def test_a_questionnaire_date_answer_outside_the_window_is_refused():
    question = Question(answer_type=AnswerType.DATE)
    assert clean_value(question, "2026-03-01") == "2026-03-01"
    for text in ("0001-01-01", "9999-12-31"):
        with pytest.raises(ValidationError) as caught:
            clean_value(question, text)
        assert caught.value.messages == [MESSAGE]
