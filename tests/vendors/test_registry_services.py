"""Vendor, AI model and licence edits go through vendors.services, from the pages, the API and
the admin: one audit event listing exactly the changed fields with their before and after
values, the findings of the use cases that depend on the object re-checked after commit,
nothing saved or recorded for an unchanged or invalid submission."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict

from governance.models import Finding
from portal.models import AuditEvent
from tests.conftest import api_client_for
from tests.factories import (
    AIModelFactory,
    UseCaseFactory,
    VendorContactFactory,
    VendorFactory,
    approved_vendor,
    choose_model,
    send_assessment,
)
from tests.vendors.helpers import submit_through_service
from usecases import services as usecase_services
from vendors import assessments, services
from vendors.forms import AIModelForm, CertificationFormSet, ContactFormSet, VendorForm
from vendors.models import AIModel, Licence, Vendor

pytestmark = pytest.mark.django_db

NO_TRAINING, TRAINS = "classification.no-training", "vendor.trains-on-data"
ZERO_RETENTION, REGION = "classification.zero-retention", "vendor.region-not-allowed"


# --- Helpers ------------------------------------------------------------------------------------------


def form_data(form):
    """What a browser posts for ``form`` as rendered (every field at its current value)."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def formset_data(formset):
    data = form_data(formset.management_form)
    for form in formset.forms:
        data.update(form_data(form))
    return data


def vendor_page_data(vendor, **changes):
    """The vendor edit page as a browser posts it unchanged, with ``changes`` applied."""
    vendor.refresh_from_db()
    data = form_data(VendorForm(instance=vendor))
    data.update(formset_data(ContactFormSet(instance=vendor, prefix="contacts")))
    data.update(formset_data(CertificationFormSet(instance=vendor, prefix="certifications")))
    data.update(changes)
    return data


def model_page_data(ai_model, **changes):
    ai_model.refresh_from_db()
    return {**form_data(AIModelForm(instance=ai_model)), **changes}


def events(obj):
    return list(AuditEvent.objects.for_object(obj).order_by("id"))


def sensitive_use_case(requester):
    """A submitted confidential use case on a closed API of a vendor that keeps nothing,
    never trains on our data and processes in Japan: no blocking finding."""
    vendor = approved_vendor(
        "confidential", zero_retention_available=True, training_use="never", processing_regions=["JP"]
    )
    model = AIModelFactory(publisher=vendor, status="approved")
    use_case = UseCaseFactory(
        complete=True, owner=requester, data_classification="confidential", intended_style="closed_api"
    )
    choose_model(use_case, model, "closed_api")
    return usecase_services.submit(use_case, requester), vendor, model


def findings(use_case):
    return set(Finding.objects.filter(use_case=use_case).values_list("rule_id", flat=True))


# --- Field-level audit ----------------------------------------------------------------------------------


def test_a_page_edit_of_training_use_audits_exactly_that_field(client, reviewer):
    vendor = VendorFactory(training_use="unknown", processing_regions=["JP"])
    VendorContactFactory(vendor=vendor)
    client.force_login(reviewer)
    response = client.post(f"/vendors/{vendor.pk}/edit/", vendor_page_data(vendor, training_use="no_opt_out"))
    assert response.status_code == 302, response.content
    [event] = events(vendor)
    assert event.action == "update" and event.actor == reviewer
    assert event.changes == {"training_use": ["unknown", "no_opt_out"]}
    assert Vendor.objects.get(pk=vendor.pk).training_use == "no_opt_out"


def test_an_api_edit_of_training_use_audits_exactly_that_field(reviewer):
    vendor = VendorFactory(training_use="never", zero_retention_available=True, processing_regions=["JP"])
    client = api_client_for(reviewer)
    # A full PUT of what the API returned, with one value changed: only that one is a change.
    payload = client.get(f"/api/v1/vendors/{vendor.pk}/").json()
    payload.update(training_use="opt_out")
    for read_only in ("url", "id", "status", "approved_level", "created_at", "updated_at"):
        payload.pop(read_only)
    response = client.put(f"/api/v1/vendors/{vendor.pk}/", payload, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["training_use"] == "opt_out"
    [event] = events(vendor)
    assert event.changes == {"training_use": ["never", "opt_out"]}


def test_regions_and_zero_retention_are_audited_as_values(reviewer):
    vendor = VendorFactory(processing_regions=["JP"], zero_retention_available=True)
    response = api_client_for(reviewer).patch(
        f"/api/v1/vendors/{vendor.pk}/",
        {"processing_regions": ["US", "JP"], "zero_retention_available": False},
        format="json",
    )
    assert response.status_code == 200, response.content
    [event] = events(vendor)
    assert event.changes == {
        "processing_regions": [["JP"], ["US", "JP"]],
        "zero_retention_available": [True, False],
    }


def test_the_same_regions_in_another_order_are_no_change(reviewer):
    vendor = VendorFactory(processing_regions=["JP", "US"])
    response = api_client_for(reviewer).patch(
        f"/api/v1/vendors/{vendor.pk}/", {"processing_regions": ["US", "JP"]}, format="json"
    )
    assert response.status_code == 200
    assert events(vendor) == []


def test_contact_changes_are_audited_with_the_vendor(reviewer):
    vendor = VendorFactory()
    kept = VendorContactFactory(vendor=vendor, name="残す", email="keep@vendor.example")
    removed = VendorContactFactory(vendor=vendor, name="消す", email="gone@vendor.example")
    response = api_client_for(reviewer).patch(
        f"/api/v1/vendors/{vendor.pk}/",
        {"contacts": [{"id": kept.pk, "name": "残す", "email": kept.email, "language": "ja"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    [event] = events(vendor)
    assert list(event.changes) == ["contacts"]
    before, after = event.changes["contacts"]
    assert [row["id"] for row in before] == [kept.pk, removed.pk]
    assert after == [{"id": kept.pk, "name": "残す", "email": "keep@vendor.example", "language": "ja"}]


def test_a_page_edit_of_a_model_audits_exactly_the_changed_fields(client, reviewer):
    ai_model = AIModelFactory(status="approved", price_input_per_million="2.50")
    client.force_login(reviewer)
    # The price is posted as the form renders it ("2.5000"): the same amount is no change.
    response = client.post(f"/vendors/models/{ai_model.pk}/edit/", model_page_data(ai_model, status="blocked"))
    assert response.status_code == 302, response.content
    [event] = events(ai_model)
    assert event.changes == {"status": ["approved", "blocked"]}


def test_an_api_edit_of_a_model_audits_exactly_the_changed_fields(reviewer):
    ai_model = AIModelFactory(status="approved", price_input_per_million="2.50", hosting_options=["vendor_cloud"])
    response = api_client_for(reviewer).patch(
        f"/api/v1/ai-models/{ai_model.pk}/",
        {"price_input_per_million": "2.5", "hosting_options": ["vendor_cloud", "self_hosted"], "status": "restricted"},
        format="json",
    )
    assert response.status_code == 200, response.content
    [event] = events(ai_model)
    assert event.changes == {
        "hosting_options": [["vendor_cloud"], ["vendor_cloud", "self_hosted"]],
        "status": ["approved", "restricted"],
    }


def test_an_api_edit_of_a_licence_audits_exactly_the_changed_fields(admin_user):
    licence = Licence.objects.create(identifier="LicenseRef-Test", name="Test licence")
    response = api_client_for(admin_user).patch(
        f"/api/v1/licences/{licence.pk}/",
        {"name": "Test licence", "commercial_use": False, "non_commercial_only": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    [event] = events(licence)
    assert event.changes == {"commercial_use": [True, False], "non_commercial_only": [False, True]}


def test_an_admin_edit_of_a_licence_goes_through_the_service(client, admin_user):
    licence = Licence.objects.create(identifier="LicenseRef-Admin", name="Admin licence")
    client.force_login(admin_user)
    data = {name: value for name, value in model_to_dict(licence).items() if value not in (False, None, [])}
    data["attribution_required"] = "on"
    response = client.post(f"/admin/vendors/licence/{licence.pk}/change/", data)
    assert response.status_code == 302, response.content
    [event] = events(licence)
    assert event.action == "update" and event.changes == {"attribution_required": [False, True]}


def test_an_admin_create_and_edit_of_a_vendor_go_through_the_service(client, admin_user):
    client.force_login(admin_user)
    data = {"name": "管理画面AI", "kind": "saas", "training_use": "never"}
    response = client.post("/admin/vendors/vendor/add/", data)
    assert response.status_code == 302, response.content
    vendor = Vendor.objects.get(name="管理画面AI")
    [created] = events(vendor)
    assert created.action == "create" and created.changes["training_use"] == [None, "never"]

    response = client.post(f"/admin/vendors/vendor/{vendor.pk}/change/", {**data, "training_use": "no_opt_out"})
    assert response.status_code == 302, response.content
    assert events(vendor)[-1].changes == {"training_use": ["never", "no_opt_out"]}


def test_a_create_records_the_values_set(reviewer):
    response = api_client_for(reviewer).post(
        "/api/v1/vendors/",
        {"name": "新規ベンダー", "kind": "saas", "training_use": "never", "processing_regions": ["JP"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    [event] = events(Vendor.objects.get(name="新規ベンダー"))
    assert event.action == "create"
    assert event.changes["training_use"] == [None, "never"]
    assert event.changes["processing_regions"] == [None, ["JP"]]
    assert "website" not in event.changes  # left empty


def test_the_diff_is_taken_against_the_database_not_a_stale_copy(reviewer, executive):
    """Two editors: the second one's event shows what the first one saved as its "before"."""
    vendor = VendorFactory(training_use="unknown")
    stale = Vendor.objects.get(pk=vendor.pk)
    services.update_vendor(vendor, reviewer, {"training_use": "never"})
    services.update_vendor(stale, reviewer, {"training_use": "opt_out"})
    assert [event.changes for event in events(vendor)] == [
        {"training_use": ["unknown", "never"]},
        {"training_use": ["never", "opt_out"]},
    ]
    with pytest.raises(PermissionDenied):
        services.update_vendor(vendor, executive, {"training_use": "never"})


def test_a_decision_audits_the_vendor_fields_it_changes(reviewer):
    """Sending a questionnaire and deciding it change the vendor's status (and level and
    validity): the vendor's own trail has those changes field by field."""
    vendor = VendorFactory()
    assessment, _token = send_assessment(reviewer, vendor=vendor)
    [sent] = events(vendor)
    assert sent.changes == {"status": ["prospective", "under_assessment"]}
    submit_through_service(assessment)
    assessments.decide_assessment(assessment, reviewer, "approve", approved_level="internal", valid_months=12)
    decided = events(vendor)[-1]
    vendor.refresh_from_db()
    assert decided.changes == {
        "status": ["under_assessment", "approved"],
        "approved_level": ["", "internal"],
        "next_reassessment_on": [None, vendor.next_reassessment_on.isoformat()],
    }


# --- Findings are re-checked ------------------------------------------------------------------------------


def test_a_page_edit_of_training_use_re_checks_the_findings(
    client, reviewer, requester, django_capture_on_commit_callbacks
):
    use_case, vendor, _model = sensitive_use_case(requester)
    assert NO_TRAINING not in findings(use_case)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/vendors/{vendor.pk}/edit/", vendor_page_data(vendor, training_use="no_opt_out"))
    assert response.status_code == 302
    assert {NO_TRAINING, TRAINS} <= findings(use_case)

    vendor.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/vendors/{vendor.pk}/edit/", vendor_page_data(vendor, training_use="never"))
    assert not {NO_TRAINING, TRAINS} & findings(use_case)


def test_an_api_edit_of_zero_retention_and_regions_re_checks_the_findings(
    reviewer, requester, django_capture_on_commit_callbacks
):
    use_case, vendor, _model = sensitive_use_case(requester)
    client = api_client_for(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/v1/vendors/{vendor.pk}/",
            {"zero_retention_available": False, "processing_regions": ["US"]},
            format="json",
        )
    assert response.status_code == 200
    assert {ZERO_RETENTION, REGION} <= findings(use_case)
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(
            f"/api/v1/vendors/{vendor.pk}/",
            {"zero_retention_available": True, "processing_regions": ["JP"]},
            format="json",
        )
    assert not {ZERO_RETENTION, REGION} & findings(use_case)


def test_a_model_edit_re_checks_the_findings(reviewer, requester, django_capture_on_commit_callbacks):
    use_case, _vendor, ai_model = sensitive_use_case(requester)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(reviewer).patch(
            f"/api/v1/ai-models/{ai_model.pk}/", {"status": "blocked"}, format="json"
        )
    assert response.status_code == 200
    assert "model.blocked" in findings(use_case)


def test_a_licence_edit_re_checks_the_findings(admin_user, requester, django_capture_on_commit_callbacks):
    use_case, _vendor, ai_model = sensitive_use_case(requester)
    licence = Licence.objects.create(identifier="LicenseRef-Changing", name="Changing licence")
    AIModel.objects.filter(pk=ai_model.pk).update(licence=licence)
    with django_capture_on_commit_callbacks(execute=True):
        services.update_licence(licence, admin_user, {"attribution_required": True})
    assert "licence.attribution" in findings(use_case)


def test_the_service_is_the_only_trigger_and_waits_for_the_commit(reviewer, django_capture_on_commit_callbacks):
    use_case_vendor = approved_vendor("internal")
    ai_model = AIModelFactory(publisher=use_case_vendor)
    choose_model(UseCaseFactory(complete=True), ai_model, "closed_api")
    # A bare ORM save (a data fix in the shell) re-checks nothing: it is not an audited change.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        use_case_vendor.training_use = "no_opt_out"
        use_case_vendor.save()
    assert callbacks == []
    # The service enqueues the re-check, and only for when the change commits.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.update_vendor(use_case_vendor, reviewer, {"training_use": "never"})
    assert len(callbacks) == 1


# --- Unchanged and invalid submissions ---------------------------------------------------------------------


def test_an_unchanged_page_submission_saves_and_records_nothing(client, reviewer):
    vendor = VendorFactory(processing_regions=["JP", "US"], zero_retention_available=True)
    VendorContactFactory(vendor=vendor)
    updated_at = vendor.updated_at
    client.force_login(reviewer)
    response = client.post(f"/vendors/{vendor.pk}/edit/", vendor_page_data(vendor), follow=True)
    assert response.status_code == 200
    assert events(vendor) == []
    assert Vendor.objects.get(pk=vendor.pk).updated_at == updated_at
    # "Nothing was changed." (an info), not "Vendor saved." (a success).
    assert [message.level_tag for message in response.context["messages"]] == ["info"]

    ai_model = AIModelFactory(hosting_options=["vendor_cloud"])
    response = client.post(f"/vendors/models/{ai_model.pk}/edit/", model_page_data(ai_model))
    assert response.status_code == 302
    assert events(ai_model) == []


def test_an_unchanged_api_update_records_nothing(reviewer):
    vendor = VendorFactory(training_use="never")
    response = api_client_for(reviewer).patch(
        f"/api/v1/vendors/{vendor.pk}/", {"training_use": "never", "name": vendor.name}, format="json"
    )
    assert response.status_code == 200
    assert events(vendor) == []


def test_invalid_page_input_saves_nothing(client, reviewer):
    vendor = VendorFactory(training_use="never", data_retention_days=30)
    client.force_login(reviewer)
    response = client.post(
        f"/vendors/{vendor.pk}/edit/",
        vendor_page_data(vendor, training_use="sometimes", data_retention_days="99999999999999999999"),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"training_use", "data_retention_days"}
    vendor.refresh_from_db()
    assert (vendor.training_use, vendor.data_retention_days) == ("never", 30)
    assert events(vendor) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"training_use": "sometimes"},
        {"processing_regions": ["XX"]},
        {"data_retention_days": 99999999999999999999},
        {"zero_retention_available": "maybe"},
        {"name": ""},
    ],
)
def test_invalid_vendor_input_is_a_400_naming_the_field(reviewer, payload):
    vendor = VendorFactory(training_use="never", processing_regions=["JP"])
    response = api_client_for(reviewer).patch(f"/api/v1/vendors/{vendor.pk}/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(payload)
    assert Vendor.objects.get(pk=vendor.pk).training_use == "never"
    assert events(vendor) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "forbidden"},
        {"price_input_per_million": "-1"},
        {"price_input_per_million": "1e400"},
        {"context_window": 2**63},
        {"hosting_options": ["mainframe"]},
        {"publisher": 99999999999999999999},
    ],
)
def test_invalid_model_input_is_a_400_naming_the_field(reviewer, payload):
    ai_model = AIModelFactory(status="approved")
    response = api_client_for(reviewer).patch(f"/api/v1/ai-models/{ai_model.pk}/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(payload)
    assert AIModel.objects.get(pk=ai_model.pk).status == "approved"
    assert events(ai_model) == []


def test_a_model_that_duplicates_another_is_a_400(reviewer):
    existing = AIModelFactory(name="gpt-x", version="1")
    response = api_client_for(reviewer).post(
        "/api/v1/ai-models/",
        {
            "name": "gpt-x",
            "version": "1",
            "publisher": existing.publisher_id,
            "openness": "closed_api",
            "licence": existing.licence_id,
        },
        format="json",
    )
    assert response.status_code == 400
    assert AIModel.objects.filter(name="gpt-x").count() == 1


def test_the_service_refuses_an_inconsistent_row_and_saves_nothing(admin_user):
    """Whoever calls it, the service validates the whole row (here a licence's terms against
    each other, which the API checks too) before anything is written."""
    licence = Licence.objects.create(identifier="LicenseRef-Consistent", name="Consistent")
    with pytest.raises(ValidationError):
        services.update_licence(licence, admin_user, {"non_commercial_only": True})
    licence.refresh_from_db()
    assert licence.non_commercial_only is False
    assert events(licence) == []
