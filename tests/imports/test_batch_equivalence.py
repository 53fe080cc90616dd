"""The import's batch path (``usecases.services.batch``) leaves the same records as writing the
rows one by one through the same services: use cases and their children, references, findings,
risk tiers, cost estimates, external ids and audit events; and its queries do not grow per row
beyond the use case's own INSERT."""

import contextlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from governance.models import Finding
from imports import running, services
from imports.choices import ImportStatus
from imports.models import ExternalKey
from portal.exceptions import Invalid
from portal.models import AuditEvent, ReferenceSequence
from tests.factories import AIModelFactory, VendorFactory
from tests.imports.helpers import USE_CASE_HEADER, csv_bytes, upload, use_case_row
from usecases import services as usecase_services
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

HEADER = [*USE_CASE_HEADER, "Decides about people", "Model 1", "Model 1 deployment", "Model 1 share (%)"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def models():
    good = AIModelFactory(name="steady", version="1", publisher=VendorFactory(name="Good vendor", status="approved"))
    blocked = AIModelFactory(name="stopped", version="2", status="blocked")
    refused = AIModelFactory(name="refused", version="3", publisher=VendorFactory(name="Gone", status="rejected"))
    return good, blocked, refused


def _rows(prefix, models):
    good, blocked, refused = models
    rows = []
    for n, (model, people, audience, level) in enumerate(
        [
            (good, "no", "internal", "Internal"),
            (blocked, "yes", "internal", "Confidential"),
            (refused, "no", "customer_facing", "Public"),
            (None, "no", "internal", "Internal"),
            (good, "yes", "customer_facing", "Confidential"),
        ]
    ):
        row = use_case_row(f"{prefix}-{n}", title=f"Case {n}", **{"Audience": audience})
        row[USE_CASE_HEADER.index("Input data classification")] = level
        label = f"{model.publisher.name} / {model}" if model else ""
        rows.append([*row, people, label, "closed_api" if model else "", "100" if model else ""])
    # An update of a draft the requester made through the form service.
    update = use_case_row(f"{prefix}-U", title="Updated by the import", Summary="Changed summary")
    rows.append([*update, "yes", f"{good.publisher.name} / {good}", "closed_api", "100"])
    return rows


def _existing_draft(requester, prefix, good):
    draft = usecase_services.create_draft(
        requester,
        {"title": "Form draft", "summary": "From the form"},
        tasks=[{"description": "Draft", "performer": "ai"}],
        models=[{"ai_model": good, "deployment": "closed_api", "request_share": 100}],
    )
    ExternalKey.objects.create(kind="use_cases", external_id=f"{prefix}-U", object_id=draft.pk)
    return draft


def _snapshot(prefix):
    """Everything the import leaves, by the row's external id, without ids, dates and references."""
    keys = dict(
        ExternalKey.objects.filter(external_id__startswith=f"{prefix}-").values_list("object_id", "external_id")
    )
    content_type = ContentType.objects.get_for_model(UseCase)
    result = {}
    for use_case in UseCase.objects.filter(pk__in=keys).prefetch_related("tasks", "kpis", "model_choices"):
        key = keys[use_case.pk].removeprefix(f"{prefix}-")
        result[key] = {
            "fields": {
                name: getattr(use_case, name)
                for name in (*usecase_services.EDITABLE_FIELDS, "status", "version", "risk_tier", "owner_id")
            },
            "costs": (
                use_case.estimated_closed_cost,
                use_case.estimated_self_hosted_cost,
                use_case.cost_estimated_at is None,
            ),
            "tasks": [(t.description, t.performer, t.position) for t in use_case.tasks.all()],
            "kpis": [(k.name, k.unit, k.direction, k.baseline, k.target) for k in use_case.kpis.all()],
            "models": [
                (m.ai_model_id, m.deployment, m.request_share, m.position) for m in use_case.model_choices.all()
            ],
            "findings": sorted(
                (f.rule_id, f.subject, f.severity, repr(sorted(f.facts.items())))
                for f in Finding.objects.filter(use_case=use_case)
            ),
            "events": sorted(
                (
                    e.action,
                    e.actor_id,
                    e.to_state,
                    sorted(e.data.get("fields", [])),
                    sorted(e.changes),
                    "source" in e.data,
                )
                for e in AuditEvent.objects.filter(content_type=content_type, object_id=str(use_case.pk))
            ),
        }
    return result


def _references(prefix):
    keys = ExternalKey.objects.filter(external_id__startswith=f"{prefix}-").exclude(external_id__endswith="-U")
    pks = dict(keys.values_list("external_id", "object_id"))
    by_row = dict(UseCase.objects.filter(pk__in=pks.values()).values_list("pk", "reference"))
    return [by_row[pks[f"{prefix}-{n}"]] for n in range(5)]


def _import(requester, prefix, models):
    job = upload(requester, "use_cases", csv_bytes([HEADER, *_rows(prefix, models)]))
    assert job.status == ImportStatus.READY, job.preview
    job = services.confirm(job, requester)
    assert job.status == ImportStatus.DONE, job.error
    return job


def test_the_batch_leaves_the_same_records_as_row_by_row(requester, models, monkeypatch):
    batch_draft = _existing_draft(requester, "B", models[0])
    single_draft = _existing_draft(requester, "S", models[0])
    events_before = AuditEvent.objects.count()

    _import(requester, "B", models)
    batch_events = AuditEvent.objects.count() - events_before
    with monkeypatch.context() as patch:  # the same import without the batch: every row complete on its own
        patch.setattr(running.usecase_services, "batch", contextlib.nullcontext)
        _import(requester, "S", models)
    single_events = AuditEvent.objects.count() - events_before - batch_events

    batched, single = _snapshot("B"), _snapshot("S")
    assert set(batched) == {"0", "1", "2", "3", "4", "U"}
    assert batched == single
    assert batch_events == single_events == 7  # five creates, one update, the import's own event
    # The rules did fire (a blocked model, a rejected vendor, people decided about) and costs exist.
    assert any(rule.startswith("model.") for rule, *_rest in batched["1"]["findings"])
    assert batched["1"]["fields"]["risk_tier"] == "high"
    assert batched["0"]["costs"][0] is not None and batched["0"]["costs"][2] is False
    assert batched["U"]["fields"]["summary"] == "Changed summary"
    assert UseCase.objects.get(pk=batch_draft.pk).version == UseCase.objects.get(pk=single_draft.pk).version == 2
    # References: consecutive in row order, both ways, and the counter stands at the last one.
    year = timezone.localdate().year
    numbers = [int(reference.rsplit("-", 1)[1]) for reference in _references("B") + _references("S")]
    assert all(ref.startswith(f"UC-{year}-") for ref in _references("B") + _references("S"))
    assert numbers == list(range(numbers[0], numbers[0] + 10))
    assert ReferenceSequence.objects.get(scope=f"UC-{year}").last_value == numbers[-1]


def test_a_failing_batch_writes_nothing_and_the_counter_is_untouched(requester, models):
    year = timezone.localdate().year
    usecase_services.create_draft(requester, {"title": "First"})
    last = ReferenceSequence.objects.get(scope=f"UC-{year}").last_value
    before = (UseCase.objects.count(), AuditEvent.objects.count(), Finding.objects.count())
    with pytest.raises(RuntimeError), usecase_services.batch():
        usecase_services.create_draft(requester, {"title": "Second"}, tasks=[{"description": "x", "performer": "ai"}])
        raise RuntimeError("stop")
    assert (UseCase.objects.count(), AuditEvent.objects.count(), Finding.objects.count()) == before
    assert ReferenceSequence.objects.get(scope=f"UC-{year}").last_value == last


def _confirm_queries(requester, prefix, rows, models):
    good = models[0]
    content = csv_bytes(
        [
            HEADER,
            *(
                [*use_case_row(f"{prefix}-{n}"), "no", f"{good.publisher.name} / {good}", "closed_api", "100"]
                for n in range(rows)
            ),
        ]
    )
    job = upload(requester, "use_cases", content)
    with CaptureQueriesContext(connection) as captured:
        job = services.confirm(job, requester)
    assert job.status == ImportStatus.DONE, job.error
    return len(captured)


def test_confirm_queries_grow_by_one_insert_a_row(requester, models):
    few = _confirm_queries(requester, "Q", 3, models)
    many = _confirm_queries(requester, "R", 23, models)
    assert many - few <= 20  # the use case's INSERT; everything else once per import (or per chunk)


def test_a_refusal_at_the_end_of_the_batch_fails_the_import_and_writes_nothing(requester, models, monkeypatch):
    def refuse(changed):
        raise Invalid("The checks refused the import.")

    key = next(iter(usecase_services.BULK_CHANGE_HOOKS.items()))[0]
    monkeypatch.setitem(usecase_services.BULK_CHANGE_HOOKS._entries, key, refuse)
    before = (UseCase.objects.count(), AuditEvent.objects.count(), ExternalKey.objects.count(), Finding.objects.count())
    job = upload(requester, "use_cases", csv_bytes([HEADER, *_rows("F", models)[:5]]))

    job = services.confirm(job, requester)

    assert job.status == ImportStatus.FAILED
    assert job.error == "The checks refused the import. Nothing was imported."
    after = (UseCase.objects.count(), AuditEvent.objects.count(), ExternalKey.objects.count(), Finding.objects.count())
    assert after == before
