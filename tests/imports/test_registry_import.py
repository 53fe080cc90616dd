"""Vendors and AI models: created and changed through the vendor services, found by their natural key."""

import pytest
from django.utils import translation

from imports import services
from imports.choices import ImportStatus, RowOutcome
from portal.exceptions import Forbidden
from portal.models import AuditEvent
from tests.factories import VendorFactory
from tests.imports.helpers import csv_bytes, upload
from vendors.models import AIModel, Vendor

pytestmark = pytest.mark.django_db

VENDOR_HEADER = [
    "Name",
    "Kind",
    "Headquarters country",
    "Data-processing regions",
    "Data retention (days)",
    "Zero retention available",
    "Customer data used for training",
    "Website",
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_vendors_created_then_unchanged_then_updated(reviewer):
    content = csv_bytes(
        [VENDOR_HEADER, ["Acme AI", "closed_api", "US", "US, JP", "30", "yes", "never", "https://acme.example"]]
    )
    job = upload(reviewer, "vendors", content)
    assert job.status == ImportStatus.READY, job.preview
    services.confirm(job, reviewer)
    vendor = Vendor.objects.get(name="Acme AI")
    assert vendor.headquarters_country.code == "US"
    assert sorted(country.code for country in vendor.processing_regions) == ["JP", "US"]
    assert vendor.zero_retention_available and vendor.data_retention_days == 30
    event = AuditEvent.objects.filter(object_id=str(vendor.pk), action="create").get()
    assert event.data["source"] == {"import": job.pk}

    again = upload(reviewer, "vendors", content)
    assert again.preview[0]["outcome"] == RowOutcome.UNCHANGED

    changed = csv_bytes(
        [VENDOR_HEADER, ["acme ai", "closed_api", "US", "US, JP", "90", "yes", "never", "https://acme.example"]]
    )
    job = upload(reviewer, "vendors", changed)
    assert job.preview[0]["outcome"] == RowOutcome.UPDATE
    services.confirm(job, reviewer)
    vendor.refresh_from_db()
    assert vendor.data_retention_days == 90 and vendor.name == "Acme AI"


def test_vendor_bad_rows(reviewer):
    content = csv_bytes(
        [
            VENDOR_HEADER,
            ["A", "spaceship", "", "", "", "", "", ""],
            ["B", "closed_api", "Atlantis", "", "", "", "", ""],
            ["C", "closed_api", "", "", "-3", "maybe", "", "not a url"],
            ["D", "closed_api", "", "", "", "", "", ""],
            ["d", "closed_api", "", "", "", "", "", ""],
        ]
    )
    job = upload(reviewer, "vendors", content)
    errors = {row["row"]: {error["column"]: error["message"] for error in row["errors"]} for row in job.preview}
    assert errors[2]["kind"].startswith("“spaceship” is not one of the allowed values:")
    assert errors[3]["headquarters_country"] == "“Atlantis” is not a country (write its ISO code, e.g. JP, US)."
    assert errors[4]["zero_retention_available"] == "“maybe” is not yes or no; write yes/no (はい/いいえ)."
    assert errors[5] == {}
    assert errors[6] == {"name": "The same record is already on row 5."}
    job2 = upload(reviewer, "vendors", csv_bytes([VENDOR_HEADER, ["C", "closed_api", "", "", "-3", "", "", "x"]]))
    messages = {error["column"]: error["message"] for error in job2.preview[0]["errors"]}
    assert set(messages) == {"data_retention_days", "website"}
    assert not Vendor.objects.exists()


MODEL_HEADER = ["Publisher", "Name", "Version", "Openness", "Licence", "Hosting options", "Currency", "Status"]


def test_ai_models(reviewer):
    VendorFactory(name="OpenWeights Inc")
    content = csv_bytes(
        [MODEL_HEADER, ["OpenWeights Inc", "ow-7b", "1.0", "open_weights", "Apache-2.0", "self_hosted", "", ""]]
    )
    job = upload(reviewer, "ai_models", content)
    assert job.status == ImportStatus.READY, job.preview
    services.confirm(job, reviewer)
    model = AIModel.objects.get(name="ow-7b")
    assert model.licence.identifier == "Apache-2.0" and model.currency == "USD"
    assert upload(reviewer, "ai_models", content).preview[0]["outcome"] == RowOutcome.UNCHANGED

    bad = csv_bytes([MODEL_HEADER, ["Nobody", "x", "", "open_weights", "WTFPL-9", "", "", ""]])
    errors = {error["column"]: error["message"] for error in upload(reviewer, "ai_models", bad).preview[0]["errors"]}
    assert errors["publisher"] == "“Nobody” is not a vendor of the registry (import vendors first)."
    assert errors["licence"].startswith("“WTFPL-9” is not a licence of the registry")


def test_requesters_import_no_vendors_or_models(requester, reviewer):
    for kind in ("vendors", "ai_models"):
        with pytest.raises(Forbidden):
            upload(requester, kind, csv_bytes([["Name"], ["x"]]))
    assert services.allowed_kinds(reviewer) == ["vendors", "ai_models"]
    assert services.allowed_kinds(requester) == ["use_cases"]
