"""Business operations on incidents. Pages, API, admin and tasks call these; nothing else
writes ``Incident.state``, a deadline's completion or a deadline rule.

The lifecycle is one table, ``TRANSITIONS``: ``(from_state, action) -> (to_state, who)``,
``who`` naming a rule of ``ACTOR_RULES``. Every change locks the incident row, writes one
audit event (with the diff of the fields it changed) and publishes its workflow event in
the same transaction."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents import deadlines as rules_engine
from incidents import suspension
from incidents.choices import (
    TRANSITION_AUDIT,
    ActionKind,
    Category,
    IncidentAuditAction,
    IncidentState,
    IncidentTransition,
    Severity,
)
from incidents.models import Deadline, DeadlineRule, Incident, IncidentAction, IncidentEvidence
from incidents.querysets import is_incident_manager, manager_group_name
from portal import events
from portal.exceptions import Conflict, Invalid
from portal.services import field_changes, next_reference, record_event
from portal.uploads import check_upload
from usecases.models import UseCase

REFERENCE_PREFIX = "INC"
MANAGER = "incident_manager"
HANDLER = "incident_handler"


def is_handler(user, incident):
    """The incident managers and the person the incident is assigned to."""
    return is_incident_manager(user) or (user.is_authenticated and incident.assignee_id == user.pk)


ACTOR_RULES = {MANAGER: lambda user, incident: is_incident_manager(user), HANDLER: is_handler}
ACTOR_LABELS = {MANAGER: _("Incident manager"), HANDLER: _("Incident manager or assignee")}

TRANSITIONS = {
    (IncidentState.REPORTED, IncidentTransition.TRIAGE): (IncidentState.TRIAGED, MANAGER),
    (IncidentState.REPORTED, IncidentTransition.REJECT): (IncidentState.REJECTED, MANAGER),
    (IncidentState.TRIAGED, IncidentTransition.REJECT): (IncidentState.REJECTED, MANAGER),
    (IncidentState.TRIAGED, IncidentTransition.CONTAIN): (IncidentState.CONTAINED, HANDLER),
    (IncidentState.CONTAINED, IncidentTransition.RESOLVE): (IncidentState.RESOLVED, HANDLER),
    (IncidentState.RESOLVED, IncidentTransition.CLOSE): (IncidentState.CLOSED, MANAGER),
}
# The time each target state stamps.
STATE_TIMES = {
    IncidentState.TRIAGED: "triaged_at",
    IncidentState.CONTAINED: "contained_at",
    IncidentState.RESOLVED: "resolved_at",
    IncidentState.CLOSED: "closed_at",
}

REPORT_FIELDS = (
    "title",
    "description",
    "noticed_at",
    "channel",
    "use_case",
    "ai_model",
    "vendor",
    "prompt_template",
    "affected_people",
    "personal_data",
    "sensitive_data",
    "unauthorised_access",
)
TRIAGE_FIELDS = (
    "severity",
    "category",
    "assignee",
    "use_case",
    "ai_model",
    "vendor",
    "prompt_template",
    "affected_people",
    "personal_data",
    "sensitive_data",
    "unauthorised_access",
)
RULE_FIELDS = (
    "name",
    "clock",
    "is_active",
    "min_affected_people",
    "requires_personal_data",
    "requires_sensitive_data",
    "requires_unauthorised_access",
    "requires_serious",
    "requires_high_risk_use_case",
    "requires_vendor",
    "due_hours",
    "starts_from",
    "position",
)


class TransitionNotAllowed(Conflict):
    def __init__(self, incident, action):
        super().__init__(
            _("%(action)s is not possible while the incident is %(state)s.")
            % {"action": IncidentTransition(action).label, "state": incident.get_state_display()}
        )


def managers():
    return get_user_model().objects.filter(groups__name=manager_group_name(), is_active=True).distinct()


def _people(incident, *extra):
    """User ids concerned by an incident's changes: reporter, assignee, the use case's owner."""
    ids = {incident.reporter_id, incident.assignee_id, *extra}
    if incident.use_case_id:
        ids.add(incident.use_case.owner_id)
    return sorted(pk for pk in ids if pk)


def allowed_actions(incident, user):
    return [
        action
        for (from_state, action), (_to, who) in TRANSITIONS.items()
        if from_state == incident.state and ACTOR_RULES[who](user, incident)
    ]


def _check_links(user, values):
    """A reporter links only use cases they may read (the register would otherwise reveal them)."""
    use_case = values.get("use_case")
    visible = UseCase.objects.visible_to(user)
    if use_case is not None and not is_incident_manager(user) and not visible.filter(pk=use_case.pk).exists():
        raise ValidationError({"use_case": [_("You cannot link this use case.")]})


def _check_facts(values):
    noticed = values.get("noticed_at")
    if noticed is not None and noticed > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"noticed_at": [_("An incident cannot be noticed in the future.")]})


def report(user, fields, files=()):
    """Anyone signed in reports an incident; the incident managers are told."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    values = {name: fields[name] for name in REPORT_FIELDS if name in fields}
    values.setdefault("noticed_at", timezone.now())
    _check_facts(values)
    _check_links(user, values)
    for upload in files:
        check_upload(upload)
    with transaction.atomic():
        incident = Incident(
            reference=next_reference(REFERENCE_PREFIX, timezone.localdate().year),
            reporter=user,
            department=user.department,
        )
        changes = field_changes(incident, values)
        for name, value in values.items():
            setattr(incident, name, value)
        incident.full_clean(exclude=["reference", "reporter", "department"])
        incident.save()
        for upload in files:
            _store_evidence(incident, user, upload)
        record_event(incident, IncidentAuditAction.REPORT, user, to_state=incident.state, changes=changes)
        events.publish(
            "incident.reported",
            incident,
            key=f"incident.reported:{incident.pk}",
            recipients=[pk for pk in managers().values_list("pk", flat=True) if pk != user.pk],
            actor=user,
            reference=incident.reference,
            title=incident.title,
        )
    return incident


def _store_evidence(incident, user, upload):
    return IncidentEvidence.objects.create(
        incident=incident, file=upload, original_name=upload.name[:255], size=upload.size, uploaded_by=user
    )


def add_evidence(incident, user, upload):
    """The reporter and the handlers add files while the incident is open."""
    check_upload(upload)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not (locked.reporter_id == user.pk or is_handler(user, locked)):
            raise PermissionDenied
        evidence = _store_evidence(locked, user, upload)
        record_event(locked, IncidentAuditAction.ADD_EVIDENCE, user, data={"file": evidence.original_name})
    return evidence


def transition(incident, action, user, *, comment="", check=None, **updates):
    """Move ``incident`` by ``action`` if the table allows it and ``user`` may (row locked)."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update(of=("self",)).select_related("use_case").get(pk=incident.pk)
        # Rights before state: only those who handle the incident learn what its state allows.
        if not is_handler(user, locked):
            raise PermissionDenied
        rule = TRANSITIONS.get((locked.state, action))
        if rule is None:
            raise TransitionNotAllowed(locked, action)
        to_state, who = rule
        if not ACTOR_RULES[who](user, locked):
            raise PermissionDenied
        if check is not None:
            check(locked)
        now = timezone.now()
        if to_state in STATE_TIMES:
            updates[STATE_TIMES[to_state]] = now
        changes = field_changes(locked, updates)
        from_state = locked.state
        locked.state = to_state
        for name, value in updates.items():
            setattr(locked, name, value)
        locked.save()
        record_event(
            locked,
            TRANSITION_AUDIT[action],
            user,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
            changes=changes,
        )
        name = "incident.triaged" if action == IncidentTransition.TRIAGE else "incident.state_changed"
        events.publish(
            name,
            locked,
            key=f"{name}:{locked.pk}:{to_state}",
            recipients=[pk for pk in _people(locked) if pk != user.pk],
            actor=user,
            reference=locked.reference,
            from_state=from_state,
            to_state=to_state,
        )
        if "assignee" in changes and locked.assignee_id:
            _announce_assignment(locked, user, now)
    return locked


def triage(incident, user, fields, comment=""):
    """Set severity, category, links and assignee, and start the clocks the facts call for."""
    if not is_incident_manager(user):
        raise PermissionDenied
    values = {name: fields[name] for name in TRIAGE_FIELDS if name in fields}
    if values.get("severity") not in Severity.values or values.get("category") not in Category.values:
        raise ValidationError({"severity": [_("Choose a severity and a category.")]})
    _check_facts(values)
    with transaction.atomic():
        triaged = transition(incident, IncidentTransition.TRIAGE, user, comment=comment, **values)
        start_clocks(triaged, user)
    return triaged


def contain(incident, user, comment=""):
    return transition(incident, IncidentTransition.CONTAIN, user, comment=comment)


def resolve(incident, user, resolution="", comment=""):
    """Resolve; with a corrective action, the linked use case is asked for a re-review."""
    with transaction.atomic():
        resolved = transition(
            incident,
            IncidentTransition.RESOLVE,
            user,
            comment=comment,
            check=_require_actions_done,
            resolution=resolution,
        )
        has_corrective = resolved.actions.filter(kind=ActionKind.CORRECTIVE).exists()
        if resolved.use_case_id and has_corrective:
            suspension.request_rereview(resolved, user)
    return resolved


def _require_actions_done(incident):
    if incident.actions.filter(done_at__isnull=True).exists():
        raise Invalid(_("Finish or remove the open actions before resolving the incident."))


def close(incident, user, comment=""):
    return transition(incident, IncidentTransition.CLOSE, user, comment=comment)


def reject(incident, user, comment=""):
    if not is_incident_manager(user):
        raise PermissionDenied
    if not comment.strip():
        raise ValidationError({"comment": [_("Say why this is not an incident.")]})
    with transaction.atomic():
        rejected = transition(incident, IncidentTransition.REJECT, user, comment=comment)
        # Clocks of something that is not an incident stop running.
        rejected.deadlines.open().delete()
    return rejected


def _announce_assignment(incident, actor, when):
    events.publish(
        "incident.assigned",
        incident,
        key=f"incident.assigned:{incident.pk}:{incident.assignee_id}:{when.isoformat()}",
        recipients=[incident.assignee_id],
        actor=actor,
        reference=incident.reference,
    )


def assign(incident, user, assignee):
    """An incident manager gives the incident to someone (or takes it back with None)."""
    if not is_incident_manager(user):
        raise PermissionDenied
    if assignee is not None and not assignee.is_active:
        raise ValidationError({"assignee": [_("Choose an active user.")]})
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        changes = field_changes(locked, {"assignee": assignee})
        if not changes:
            return locked
        locked.assignee = assignee
        locked.save(update_fields=["assignee", "updated_at"])
        record_event(locked, IncidentAuditAction.ASSIGN, user, changes=changes)
        if assignee is not None:
            _announce_assignment(locked, user, timezone.now())
    return locked


# --- Deadlines --------------------------------------------------------------------------------


def start_clocks(incident, user):
    """Create the deadlines the facts call for (each clock once; a clock already running keeps
    its due date). Returns the deadlines created."""
    fact = rules_engine.facts(incident)
    matched = rules_engine.matching_clocks(fact, DeadlineRule.objects.all(), rules_engine.starts_of(incident))
    running = set(incident.deadlines.values_list("clock", flat=True))
    created = []
    for clock, (rule, due_at) in matched.items():
        if clock in running:
            continue
        deadline = Deadline.objects.create(incident=incident, rule=rule, clock=clock, due_at=due_at)
        created.append(deadline)
        record_event(
            incident,
            IncidentAuditAction.START_CLOCK,
            user,
            data={"clock": clock, "rule": rule.name, "due_at": due_at.isoformat()},
        )
        events.publish(
            "incident.deadline_due",
            deadline,
            key=f"incident.deadline_due:{deadline.pk}",
            recipients=sorted({*_people(incident), *managers().values_list("pk", flat=True)} - {user.pk}),
            actor=user,
            reference=incident.reference,
            clock=clock,
            due_at=due_at.isoformat(),
        )
    return created


def mark_deadline_done(deadline, user, note=""):
    """A handler records that the duty was done (who and when); done once."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=deadline.incident_id)
        if not is_handler(user, incident):
            raise PermissionDenied
        now = timezone.now()
        if not Deadline.objects.filter(pk=deadline.pk, done_at__isnull=True).update(
            done_at=now, done_by=user, note=note[:500]
        ):
            raise Conflict(_("This deadline is already marked done."))
        deadline.refresh_from_db()
        record_event(
            incident,
            IncidentAuditAction.MEET_DEADLINE,
            user,
            comment=note,
            data={"clock": deadline.clock, "due_at": deadline.due_at.isoformat(), "late": now > deadline.due_at},
        )
    return deadline


def change_deadline(deadline, user, due_at, note=""):
    """An incident manager, or an admin allowed to change deadlines, moves a deadline (audited with
    the old and new due date)."""
    if not (is_incident_manager(user) or user.has_perm("incidents.change_deadline")):
        raise PermissionDenied
    with transaction.atomic():
        locked = Deadline.objects.select_for_update().get(pk=deadline.pk)
        changes = field_changes(locked, {"due_at": due_at})
        if changes:
            locked.due_at = due_at
            locked.save(update_fields=["due_at"])
            record_event(locked.incident, IncidentAuditAction.CHANGE_DEADLINE, user, comment=note, changes=changes)
    return locked


def save_rule(user, fields, rule=None):
    """Admins edit the deadline rules; every change is audited."""
    if not (user.is_superuser or user.has_perm("incidents.change_deadlinerule")):
        raise PermissionDenied
    with transaction.atomic():
        rule = DeadlineRule() if rule is None else DeadlineRule.objects.select_for_update().get(pk=rule.pk)
        values = {name: fields[name] for name in RULE_FIELDS if name in fields}
        changes = field_changes(rule, values)
        for name, value in values.items():
            setattr(rule, name, value)
        rule.full_clean()
        rule.save()
        if changes:
            record_event(rule, IncidentAuditAction.CHANGE_RULE, user, changes=changes)
    return rule


# --- Actions ----------------------------------------------------------------------------------


def add_action(incident, user, kind, description, owner, due_on=None):
    if not is_handler(user, incident):
        raise PermissionDenied
    if kind not in ActionKind.values:
        raise ValidationError({"kind": [_("Choose containment, corrective or preventive.")]})
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not is_handler(user, locked):
            raise PermissionDenied
        if locked.state not in (IncidentState.TRIAGED, IncidentState.CONTAINED):
            raise Conflict(_("Actions are added while the incident is being handled."))
        action = IncidentAction(incident=locked, kind=kind, description=description, owner=owner, due_on=due_on)
        action.full_clean()
        action.save()
        record_event(
            locked,
            IncidentAuditAction.ADD_ACTION,
            user,
            data={"kind": kind, "description": description, "owner": str(owner)},
        )
    return action


def complete_action(action, user):
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=action.incident_id)
        if not (is_handler(user, locked) or action.owner_id == user.pk):
            raise PermissionDenied
        if not IncidentAction.objects.filter(pk=action.pk, done_at__isnull=True).update(
            done_at=timezone.now(), done_by=user
        ):
            raise Conflict(_("This action is already done."))
        action.refresh_from_db()
        record_event(locked, IncidentAuditAction.COMPLETE_ACTION, user, data={"description": action.description})
    return action
