"""Builders shared by the roadmap API and page tests (tests/usecases/test_roadmap_api.py and
test_roadmap_pages.py).

Use cases start "approved at step 2" through a queryset update (the approval workflow is
covered in tests/governance); later states are reached through the services or, where a
test needs one gate only, placed directly (``place``)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from portal.models import AuditEvent
from tests.factories import AIModelFactory, UseCaseFactory, VendorFactory, approved_vendor, choose_model
from usecases import roadmap_services
from usecases.models import KpiMeasurement, UseCase
from vendors.models import Licence


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def approved(owner, **fields):
    """A complete use case approved at step 2 (status written directly, see the module docstring)."""
    use_case = UseCaseFactory(complete=True, owner=owner, **fields)
    now = timezone.now()
    UseCase.objects.filter(pk=use_case.pk).update(status="approved", roadmap_step=2, submitted_at=now, approved_at=now)
    return UseCase.objects.get(pk=use_case.pk)


def place(use_case, step, status="piloting"):
    UseCase.objects.filter(pk=use_case.pk).update(roadmap_step=step, status=status)
    return UseCase.objects.get(pk=use_case.pk)


def closed_model(name="GPT-4o", status="approved"):
    return AIModelFactory(name=name, status=status, publisher=approved_vendor("internal"))


def open_model(name="Llama 3 70B"):
    return AIModelFactory(
        name=name,
        openness="open_weights",
        publisher=VendorFactory(kind="open_weights"),
        licence=Licence.objects.get(identifier="Apache-2.0"),
        status="approved",
    )


def record_pilot(use_case, user, model=None, **fields):
    values = {"ai_model": model or closed_model(), "starts_on": days(-30), "planned_end_on": days(30), **fields}
    return roadmap_services.save_trial(use_case, user, "closed_pilot", values)


def pilot_done(use_case, user):
    """A pilot with results and a KPI measured since it started: step 3's finish items met."""
    record_pilot(use_case, user, results="CTRが改善、担当者の評判も良い")
    KpiMeasurement.objects.create(kpi=use_case.kpis.first(), measured_on=days(-1), value=Decimal("2.1"))


def at_hybrid(owner):
    """Step 5 (piloting) with a closed model on the API and an open model self-hosted."""
    use_case = place(approved(owner), 5)
    choose_model(use_case, closed_model(), "closed_api")
    choose_model(use_case, open_model(), "open_self_hosted")
    return use_case


def roles_payload(use_case, **overrides):
    rows = []
    for choice in use_case.model_choices.select_related("ai_model"):
        row = {
            "ai_model": choice.ai_model_id,
            "role": "core" if choice.deployment.startswith("open") else "operations",
            "rationale": "用途に合う方式",
        }
        row.update(overrides.get(choice.ai_model.name, {}))
        rows.append(row)
    return rows


def events(use_case):
    return list(AuditEvent.objects.for_object(use_case).order_by("pk").values_list("action", flat=True))
