"""Two people moving the same use case on the roadmap at the same moment, on PostgreSQL.

Each move carries the step the person saw (``expected_step``, the pages' hidden
``from_step``): with the row lock, the second request sees that the use case has moved
and is refused, instead of carrying it a second step forward."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.models import AuditEvent
from tests.factories import AIModelFactory, UseCaseFactory, approved_vendor, choose_model, send_assessment
from tests.governance.test_concurrency import run_together, slow_down
from usecases import roadmap, roadmap_services, services
from usecases.models import Trial, UseCase
from vendors.models import Assessment, Licence

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def ready_for_steps_4_and_5(requester, reviewer):
    """Piloting at step 3 with everything steps 4 and 5 need, so a second move would pass its gate."""
    today = timezone.localdate()
    use_case = UseCaseFactory(complete=True, owner=requester)
    closed = AIModelFactory(name="GPT-4o", publisher=approved_vendor(), status="approved")
    open_model = AIModelFactory(
        name="Llama 3",
        publisher=approved_vendor(kind="open_weights"),
        openness="open_weights",
        licence=Licence.objects.get(identifier="Apache-2.0"),
        status="approved",
    )
    choose_model(use_case, closed)
    choose_model(use_case, open_model, deployment="open_self_hosted")
    assessment, _token = send_assessment(reviewer, vendor=open_model.publisher, key="open-model-readiness")
    Assessment.objects.filter(pk=assessment.pk).update(status="submitted", knockout_count=0)
    UseCase.objects.filter(pk=use_case.pk).update(
        status="piloting", roadmap_step=3, submitted_at=timezone.now(), approved_at=timezone.now()
    )
    for kind, model, extra in (
        ("closed_pilot", closed, {}),
        ("open_poc", open_model, {"comparison": "クローズドと同等"}),
    ):
        Trial.objects.create(
            use_case=use_case,
            kind=kind,
            ai_model=model,
            scope="1チームで試行",
            starts_on=today - datetime.timedelta(days=20),
            planned_end_on=today,
            results="良好",
            updated_by=requester,
            **extra,
        )
    services.record_measurement(use_case, requester, use_case.kpis.get(), today, Decimal("1.9"))
    use_case.refresh_from_db()
    assert not roadmap.unmet(roadmap.requirements(roadmap.gates(use_case), 4, 5))  # the second move could pass
    return use_case


def test_two_moves_forward_at_once_move_one_step(postgres, monkeypatch, ready_for_steps_4_and_5, requester, reviewer):
    use_case = ready_for_steps_4_and_5
    slow_down(monkeypatch, roadmap, "gates")  # called while the row lock is held
    outcomes = run_together(
        lambda: roadmap_services.advance_step(use_case, requester, expected_step=3),
        lambda: roadmap_services.advance_step(use_case, reviewer, expected_step=3),
    )
    errors = [error for _result, error in outcomes if error is not None]
    assert len(errors) == 1 and isinstance(errors[0], roadmap_services.StepChanged), outcomes
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 4
    assert AuditEvent.objects.for_object(use_case).filter(action="advance_step").count() == 1


def test_a_move_based_on_an_old_step_is_refused_with_409(ready_for_steps_4_and_5, requester):
    from tests.conftest import api_client_for

    use_case = roadmap_services.advance_step(ready_for_steps_4_and_5, requester, expected_step=3)
    client = api_client_for(requester)
    url = f"/api/v1/use-cases/{use_case.reference}/roadmap/advance/"
    response = client.post(url, {"from_step": 3}, format="json")
    assert response.status_code == 409, response.content
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 4
    assert client.post(url, {"from_step": 4}, format="json").status_code == 200
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 5
