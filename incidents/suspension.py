"""What an incident does to its use case: suspension, lifting, and the re-review after a fix.

The use-case lifecycle stays one table (``usecases.services.TRANSITIONS``); ``wiring``
adds these rows: a live use case is suspended by an incident manager, and a reviewer lifts
the suspension back to the state it had, one action per state returned to. The state
returned to is the open ``Suspension`` row's, so the table offers the one lifting action
that fits. The roadmap step is not touched, nor are findings or stages."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import OPEN_STATES, SERIOUS_SEVERITIES, IncidentAuditAction
from incidents.models import Incident, Suspension
from incidents.querysets import is_incident_manager
from portal.exceptions import Conflict, Invalid
from portal.services import record_event
from usecases import services as usecase_services
from usecases.choices import LIVE_STATES, UseCaseAction, UseCaseStatus
from usecases.models import UseCase

SUSPENDER = "incident_suspender"
RESUME_ACTIONS = {
    UseCaseStatus.APPROVED: UseCaseAction.RESUME_APPROVED,
    UseCaseStatus.PILOTING: UseCaseAction.RESUME_PILOTING,
    UseCaseStatus.IN_PRODUCTION: UseCaseAction.RESUME_IN_PRODUCTION,
}


def _lifter_rule(status):
    def rule(user, use_case):
        return usecase_services.is_reviewer(user, use_case) and _open_suspension(use_case, status) is not None

    rule.__qualname__ = f"lift_to_{status}"
    return rule


def lifter_key(status):
    return f"incident_lifter_{status}"


LIFTER_RULES = {lifter_key(status): _lifter_rule(status) for status in RESUME_ACTIONS}


def _suspender(user, use_case):
    return is_incident_manager(user)


def transitions():
    rows = {(state, UseCaseAction.SUSPEND): (UseCaseStatus.SUSPENDED, SUSPENDER) for state in LIVE_STATES}
    for status, action in RESUME_ACTIONS.items():
        rows[(UseCaseStatus.SUSPENDED, action)] = (status, lifter_key(status))
    return rows


def actor_rules():
    return {SUSPENDER: _suspender, **LIFTER_RULES}


def actor_labels():
    label = _("Reviewer (back to the state before the suspension)")
    return {SUSPENDER: _("Incident manager (serious incident)"), **dict.fromkeys(LIFTER_RULES, label)}


def _open_suspension(use_case, status=None):
    rows = Suspension.objects.filter(use_case_id=use_case.pk, lifted_at__isnull=True)
    if status is not None:
        rows = rows.filter(previous_status=status)
    return rows.first()


def suspend_use_case(incident, user, comment=""):
    """Suspend the incident's use case (a serious, open incident; an incident manager)."""
    if not is_incident_manager(user):
        raise PermissionDenied
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.use_case_id is None:
            raise Invalid(_("Link the incident to a use case first."))
        if locked.severity not in SERIOUS_SEVERITIES or locked.state not in OPEN_STATES:
            raise Conflict(_("Only an open incident of high or critical severity suspends a use case."))
        previous = UseCase.objects.values_list("status", flat=True).get(pk=locked.use_case_id)
        use_case = usecase_services.apply_transition(
            locked.use_case,
            UseCaseAction.SUSPEND,
            user,
            comment=comment or locked.reference,
            data={"incident": locked.reference},
        )
        Suspension.objects.create(use_case=use_case, incident=locked, previous_status=previous, suspended_by=user)
        record_event(
            locked,
            IncidentAuditAction.SUSPEND_USE_CASE,
            user,
            comment=comment,
            data={"use_case": use_case.reference, "previous_status": previous},
        )
    return use_case


def lift_suspension(use_case, user, comment=""):
    """A reviewer lifts the suspension: the use case returns to the state it had."""
    if not usecase_services.is_reviewer(user, use_case):
        raise PermissionDenied
    suspension = _open_suspension(use_case)
    if suspension is None:
        raise Conflict(_("The use case is not suspended."))
    return usecase_services.apply_transition(
        use_case, RESUME_ACTIONS[suspension.previous_status], user, comment=comment
    )


def on_use_case_transition(use_case, action, user):
    """Keep the suspension rows in step with the use case, whichever page or API lifted it."""
    if action in RESUME_ACTIONS.values():
        Suspension.objects.filter(use_case_id=use_case.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=user
        )


def request_rereview(incident, user):
    """After a corrective action, the use case is due for its re-review now: the periodic
    re-review reminder (``UseCaseReviewKind``) chases its owner from today and escalates."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = UseCase.objects.select_for_update().get(pk=incident.use_case_id)
        before = locked.next_review_on
        if before is not None and before <= today:
            return locked
        UseCase.objects.filter(pk=locked.pk).update(next_review_on=today)
        record_event(
            locked,
            IncidentAuditAction.REQUEST_REREVIEW,
            user,
            data={"incident": incident.reference},
            changes={"next_review_on": [before.isoformat() if before else None, today.isoformat()]},
        )
        locked.next_review_on = today
    return locked
