"""Building blocks of the "My tasks" tests: stages, findings, pilots, reminders."""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from governance.models import ApprovalStage, Delegation, Finding, PolicyException, Reminder, StageDefinition
from tests.factories import UseCaseFactory


def today():
    return timezone.localdate()


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def in_review(owner, **fields):
    return UseCaseFactory(owner=owner, status="in_review", submitted_at=timezone.now(), **fields)


def stage(use_case, code="it-review", due=5, assigned_to=None, started=True, group=None):
    definition = StageDefinition.objects.get(code=code)
    return ApprovalStage.objects.create(
        use_case=use_case,
        definition=definition,
        group=group or definition.group,
        position=definition.position,
        started_at=timezone.now() if started else None,
        due_on=None if due is None else days(due),
        assigned_to=assigned_to,
        assigned_at=timezone.now() if assigned_to else None,
    )


def away(user, delegate, start=-1, end=3):
    return Delegation.objects.create(user=user, delegate=delegate, starts_on=days(start), ends_on=days(end))


def blocking_finding(use_case, rule_id="R-DATA", subject=""):
    return Finding.objects.create(use_case=use_case, rule_id=rule_id, subject=subject, severity="block")


def exception(use_case, granted_by, expires_in, rule_id="R-DATA", subject=""):
    return PolicyException.objects.create(
        use_case=use_case,
        rule_id=rule_id,
        subject=subject,
        justification="経営判断",
        expires_on=days(expires_in),
        granted_by=granted_by,
    )


def failed_reminder(about, recipient, kind="stage_due", n=0):
    return Reminder.objects.create(
        kind=kind,
        step="before",
        days_before=1 + n,
        content_type=ContentType.objects.get_for_model(about),
        object_id=about.pk,
        object_repr=str(about)[:200],
        due_on=today(),
        recipient=recipient,
        recipient_key=f"user:{recipient.pk}",
        status="failed",
        error="SMTP 550",
    )
