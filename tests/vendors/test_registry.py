"""Vendor contacts and certifications through the API and the vendor form."""

import pytest

from tests.conftest import api_client_for
from tests.factories import VendorContactFactory, VendorFactory, send_assessment
from vendors.models import AIModel, Licence, Vendor, VendorContact

pytestmark = pytest.mark.django_db
BASE = "/api/v1/vendors/"


def test_create_a_vendor_with_contacts_and_certifications(reviewer):
    payload = {
        "name": "Example AI",
        "kind": "saas",
        "headquarters_country": "JP",
        "processing_regions": ["JP", "US"],
        "contacts": [{"name": "山田", "email": "yamada@example.com", "language": "ja"}],
        "certifications": [{"name": "iso27001", "expires_on": "2027-03-31"}],
    }
    response = api_client_for(reviewer).post(BASE, payload, format="json")
    assert response.status_code == 201, response.content
    vendor = Vendor.objects.get(name="Example AI")
    assert [contact.email for contact in vendor.contacts.all()] == ["yamada@example.com"]
    assert str(vendor.certifications.get().expires_on) == "2027-03-31"
    assert [str(country) for country in vendor.processing_regions] == ["JP", "US"]
    assert vendor.status == "prospective"  # follows decisions only


def test_update_replaces_the_contact_list_by_id(reviewer):
    vendor = VendorFactory()
    kept = VendorContactFactory(vendor=vendor, name="残す")
    VendorContactFactory(vendor=vendor, name="消す")
    response = api_client_for(reviewer).patch(
        f"{BASE}{vendor.pk}/",
        {
            "contacts": [
                {"id": kept.pk, "name": "残す（更新）", "email": kept.email},
                {"name": "新規", "email": "n@x.example"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert sorted(vendor.contacts.values_list("name", flat=True)) == ["新規", "残す（更新）"]
    assert vendor.contacts.get(name="残す（更新）").pk == kept.pk


@pytest.mark.parametrize("rows", [[{"name": "メールなし"}], [{"email": "a@b.example"}], [{}]])
def test_incomplete_contact_rows_are_a_400_even_in_a_patch(reviewer, rows):
    vendor = VendorFactory()
    contact = VendorContactFactory(vendor=vendor)
    response = api_client_for(reviewer).patch(f"{BASE}{vendor.pk}/", {"contacts": rows}, format="json")
    assert response.status_code == 400
    assert "contacts" in response.json()
    assert list(vendor.contacts.all()) == [contact]


def test_a_contact_who_received_a_questionnaire_cannot_be_removed(reviewer, client):
    vendor = VendorFactory()
    assessment, _token = send_assessment(reviewer, vendor=vendor)
    response = api_client_for(reviewer).patch(f"{BASE}{vendor.pk}/", {"contacts": []}, format="json")
    assert response.status_code == 400 and "contacts" in response.json()
    assert VendorContact.objects.filter(pk=assessment.contact_id).exists()

    client.force_login(reviewer)
    contact = assessment.contact
    data = {
        "name": vendor.name,
        "kind": vendor.kind,
        "training_use": vendor.training_use,
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "1",
        "contacts-0-id": contact.pk,
        "contacts-0-name": contact.name,
        "contacts-0-email": contact.email,
        "contacts-0-language": contact.language,
        "contacts-0-DELETE": "on",
        "certifications-TOTAL_FORMS": "0",
        "certifications-INITIAL_FORMS": "0",
    }
    page = client.post(f"/vendors/{vendor.pk}/edit/", data)
    assert page.status_code == 200
    assert VendorContact.objects.filter(pk=contact.pk).exists()


def test_requesters_cannot_write_vendors(requester):
    response = api_client_for(requester).post(BASE, {"name": "x", "kind": "saas"}, format="json")
    assert response.status_code == 403
    assert not Vendor.objects.exists()


# A zero-width-only name shows nothing; a line break ends up in e-mail subjects and CSV cells.
BAD_NAMES = ["\u200b\u200b", "Example\nAI"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_vendor_and_contact_names_must_be_one_visible_line_in_the_api(reviewer, name):
    api = api_client_for(reviewer)
    response = api.post(BASE, {"name": name, "kind": "saas"}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    vendor = VendorFactory()
    response = api.patch(f"{BASE}{vendor.pk}/", {"contacts": [{"name": name, "email": "a@b.example"}]}, format="json")
    assert response.status_code == 400 and "name" in response.json()["contacts"]["0"]
    assert not Vendor.objects.filter(name=name).exists() and not vendor.contacts.exists()


@pytest.mark.parametrize("name", BAD_NAMES)
def test_model_and_licence_names_must_be_one_visible_line_in_the_api(reviewer, admin_user, name):
    vendor = VendorFactory()
    licence = Licence.objects.first()
    payload = {"name": name, "publisher": vendor.pk, "openness": "open_weights", "licence": licence.pk}
    response = api_client_for(reviewer).post("/api/v1/ai-models/", payload, format="json")
    assert response.status_code == 400 and "name" in response.json()
    response = api_client_for(admin_user).post(
        "/api/v1/licences/", {"identifier": "LicenseRef-Bad", "name": name}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()
    assert not AIModel.objects.filter(name=name).exists()
    assert not Licence.objects.filter(identifier="LicenseRef-Bad").exists()


@pytest.mark.parametrize("name", BAD_NAMES)
def test_vendor_contact_and_model_names_must_be_one_visible_line_on_the_pages(reviewer, client, name):
    client.force_login(reviewer)
    data = {
        "name": name,
        "kind": "saas",
        "training_use": "never",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": name,
        "contacts-0-email": "a@b.example",
        "contacts-0-language": "ja",
        "certifications-TOTAL_FORMS": "0",
        "certifications-INITIAL_FORMS": "0",
    }
    page = client.post("/vendors/new/", data)
    assert page.status_code == 200
    assert "name" in page.context["form"].errors
    assert "name" in page.context["contacts"].forms[0].errors
    assert not Vendor.objects.exists()

    vendor = VendorFactory()
    licence = Licence.objects.first()
    page = client.post(
        "/vendors/models/new/",
        {"name": name, "publisher": vendor.pk, "openness": "open_weights", "licence": licence.pk, "currency": "USD"},
    )
    assert page.status_code == 200
    assert "name" in page.context["form"].errors
    assert not AIModel.objects.exists()
