"""The reviewer's own operations: who works on a stage (assignment) and who stands in while
a reviewer is away (delegation). Pages, API and admin call these; each writes its audit event.

Routing of tasks and notices to delegates is ``governance.delegation``; this module only
keeps the delegations right (validation, audit).
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.choices import GovernanceAuditAction, StageStatus
from governance.models import ApprovalStage, Delegation
from portal import events
from portal.exceptions import Conflict, Forbidden, Invalid, NotFound
from portal.services import record_event


class AssigneeNotAllowed(Invalid):
    """The person chosen cannot decide the stage."""


def _user_label(user):
    return f"{user} ({user.username})" if user is not None else ""


# --- Assignment -------------------------------------------------------------------------------------


def _in_group(user, group_id):
    return user.groups.filter(pk=group_id).exists()


def may_assign(user, stage):
    """Members of the stage's group who decide stages (and superusers) hand out its work."""
    return (
        user.is_authenticated
        and user.has_perm("governance.decide_approvalstage")
        and (user.is_superuser or stage.group_id in user.group_ids)
    )


def assignable_users(stage):
    """Active members of the stage's group who decide stages, never the use case's owner."""
    users = get_user_model().objects.filter(is_active=True, groups=stage.group_id).exclude(pk=stage.use_case.owner_id)
    return users.order_by("last_name", "first_name", "username").distinct()


def _check_assignee(stage, assignee):
    if (
        assignee is None
        or not assignee.is_active
        or assignee.pk == stage.use_case.owner_id
        or not _in_group(assignee, stage.group_id)
        or not assignee.has_perm("governance.decide_approvalstage")
    ):
        raise AssigneeNotAllowed(
            _(
                "Only an active member of the group deciding “%(stage)s” can be assigned, never the use case's "
                "owner; nothing was changed."
            )
            % {"stage": stage.definition}
        )


def _lock_pending(stage):
    # Not ``assigned_to`` in the same query: after waiting for the lock, PostgreSQL re-reads the
    # locked row but keeps the joined rows it first read, so the assignee would be stale.
    stage = (
        ApprovalStage.objects.select_for_update(of=("self",))
        .select_related("use_case", "definition", "group")
        .get(pk=stage.pk)
    )
    if stage.status != StageStatus.PENDING:
        raise Conflict(_("This stage is no longer waiting for a decision; nothing was changed."))
    return stage


def assign_stage(stage, assignee, by):
    """Make ``assignee`` the person who works on ``stage``; tells them unless they took it themselves."""
    if not may_assign(by, stage):
        raise Forbidden(_("Only members of the stage's group can assign it."))
    with transaction.atomic():
        stage = _lock_pending(stage)
        _check_assignee(stage, assignee)
        previous = stage.assigned_to
        if previous is not None and previous.pk == assignee.pk:
            return stage
        now = timezone.now()
        stage.assigned_to, stage.assigned_at = assignee, now
        stage.save(update_fields=["assigned_to", "assigned_at"])
        record_event(
            stage.use_case,
            GovernanceAuditAction.ASSIGN_STAGE,
            by,
            data={"stage": stage.definition.code, "assignee": assignee.username},
            changes={"assigned_to": [_user_label(previous), _user_label(assignee)]},
        )
        if assignee.pk != by.pk:
            events.publish(
                "stage.assigned",
                stage,
                key=f"stage.assigned:{stage.pk}:{assignee.pk}:{now.isoformat()}",
                recipients=[assignee.pk],
                actor=by,
                use_case=stage.use_case.reference,
                stage=str(stage.definition),
            )
    return stage


def unassign_stage(stage, by):
    """Give a stage back to the whole group."""
    if not may_assign(by, stage):
        raise Forbidden(_("Only members of the stage's group can assign it."))
    with transaction.atomic():
        stage = _lock_pending(stage)
        previous = stage.assigned_to
        if previous is None:
            return stage
        stage.assigned_to, stage.assigned_at = None, None
        stage.save(update_fields=["assigned_to", "assigned_at"])
        record_event(
            stage.use_case,
            GovernanceAuditAction.UNASSIGN_STAGE,
            by,
            data={"stage": stage.definition.code, "assignee": previous.username},
            changes={"assigned_to": [_user_label(previous), ""]},
        )
    return stage


# --- Delegation while away ---------------------------------------------------------------------------


def review_groups(user):
    """Groups that decide some stage, of which ``user`` is a member."""
    return Group.objects.filter(user=user, stage_definitions__isnull=False).distinct()


def possible_delegates(user):
    """Active people sharing one of ``user``'s review groups."""
    users = get_user_model().objects.filter(is_active=True, groups__in=review_groups(user)).exclude(pk=user.pk)
    return users.distinct().order_by("last_name", "first_name", "username")


def may_delegate(user):
    return user.is_authenticated and user.has_perm("governance.decide_approvalstage")


def create_delegation(user, delegate, starts_on, ends_on, note="", by=None):
    """``delegate`` acts for ``user`` from ``starts_on`` to ``ends_on`` (both included)."""
    by = by or user
    if by.pk != user.pk and not by.is_superuser:
        raise Forbidden(_("You can name a delegate only for yourself."))
    if not may_delegate(user):
        raise Forbidden(_("Only reviewers name a delegate."))
    errors = {}
    today = timezone.localdate()
    if delegate is None or delegate.pk == user.pk:
        errors["delegate"] = [_("Choose someone other than yourself.")]
    elif not delegate.is_active or not possible_delegates(user).filter(pk=delegate.pk).exists():
        errors["delegate"] = [_("The delegate must be an active member of one of your review groups.")]
    if starts_on is None or ends_on is None:
        errors["ends_on"] = [_("Give both dates.")]
    elif ends_on < starts_on:
        errors["ends_on"] = [_("The last day cannot be before the first.")]
    elif ends_on < today:
        errors["ends_on"] = [_("The last day is already past.")]
    elif (ends_on - starts_on).days > 366:
        errors["ends_on"] = [_("A delegation lasts at most a year.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One delegate at a time: lock the user's delegations, then look for an overlap.
        mine = list(Delegation.objects.select_for_update().filter(user=user, ends_on__gte=starts_on))
        if any(existing.starts_on <= ends_on for existing in mine):
            raise ValidationError(
                {"starts_on": [_("You already have a delegate for some of these days; end that delegation first.")]}
            )
        delegation = Delegation.objects.create(
            user=user, delegate=delegate, starts_on=starts_on, ends_on=ends_on, note=(note or "").strip()
        )
        record_event(
            delegation,
            GovernanceAuditAction.CREATE_DELEGATION,
            by,
            data={
                "user": user.username,
                "delegate": delegate.username,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
    return delegation


def end_delegation(delegation, by):
    """End a delegation now: it stops today (or is cancelled when it had not started yet).

    Returns the delegation, or None when it was cancelled before its first day."""
    if delegation.user_id != by.pk and not by.is_superuser:
        raise NotFound(_("No such delegation."))
    today = timezone.localdate()
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().filter(pk=delegation.pk).first()
        if delegation is None or delegation.ends_on < today:
            raise Conflict(_("This delegation has already ended; nothing was changed."))
        yesterday = today - datetime.timedelta(days=1)
        before = delegation.ends_on
        cancelled = delegation.starts_on > yesterday
        record_event(
            delegation,
            GovernanceAuditAction.END_DELEGATION,
            by,
            data={"cancelled": cancelled},
            changes={"ends_on": [before.isoformat(), "" if cancelled else yesterday.isoformat()]},
        )
        if cancelled:
            delegation.delete()
            return None
        delegation.ends_on = yesterday
        delegation.save(update_fields=["ends_on"])
    return delegation
