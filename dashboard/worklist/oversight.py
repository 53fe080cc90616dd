"""Tasks of reviewers, executives and governance admins: decisions waiting, expiries, what is stuck."""

from django.contrib.auth import get_user_model
from django.db.models import (
    DateField,
    Exists,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext

from dashboard.choices import TaskKind, TaskSubject
from dashboard.worklist.base import Source, Task, use_case_title
from governance.choices import ReminderKind, ReminderStatus
from governance.models import (
    ApprovalStage,
    Finding,
    PolicyException,
    Reminder,
)
from governance.reminders.kinds import KINDS
from governance.reminders.outbox import display_name
from usecases.choices import REVIEW_STATES
from usecases.models import UseCase
from vendors.choices import ANSWERABLE_STATES, AssessmentStatus, TemplateAudience
from vendors.models import Assessment


class StageDecisionSource(Source):
    """Pending stages of my groups (and of the groups of those I act for), assigned to one of
    us or to nobody; never on my own use cases."""

    kind = TaskKind.STAGE_DECISION

    def applies(self, ctx):
        return ctx.can("governance.decide_approvalstage")

    def queryset(self, ctx):
        memberships = get_user_model().groups.through.objects.filter(user_id__in=ctx.people)
        return (
            ApprovalStage.objects.active()
            .filter(use_case__status__in=REVIEW_STATES, group_id__in=memberships.values("group_id"))
            .filter(Q(assigned_to__isnull=True) | Q(assigned_to_id__in=ctx.people))
            .exclude(use_case__owner=ctx.user)
            .select_related("use_case", "definition", "group", "assigned_to")
        )

    def rows(self, queryset, ctx):
        stages = list(queryset)
        others = ctx.people - {ctx.user.pk}
        mine, theirs = set(), {}
        if stages and others:
            # Whose group each stage is: mine, or only one of the people I stand in for.
            links = get_user_model().groups.through.objects.filter(user_id__in=ctx.people).select_related("user")
            for link in links:
                if link.user_id == ctx.user.pk:
                    mine.add(link.group_id)
                else:
                    theirs.setdefault(link.group_id, link.user)
        elif stages:
            mine = {stage.group_id for stage in stages}
        tasks = []
        for stage in stages:
            behalf = ""
            if stage.assigned_to_id and stage.assigned_to_id != ctx.user.pk:
                behalf = display_name(stage.assigned_to)
            elif stage.group_id not in mine and stage.group_id in theirs:
                behalf = display_name(theirs[stage.group_id])
            tasks.append(
                Task(
                    kind=self.kind,
                    subject_type=TaskSubject.APPROVAL_STAGE,
                    subject_id=stage.pk,
                    title=use_case_title(stage.use_case),
                    url=f"{stage.use_case.get_absolute_url()}#decide-form",
                    due_on=stage.due_on,
                    detail=str(stage.definition),
                    assigned_to_me=stage.assigned_to_id == ctx.user.pk,
                    on_behalf_of=behalf,
                    today=ctx.today,
                )
            )
        return tasks


class ExceptionRequestSource(Source):
    """Use cases in review held by a blocking finding that no valid exception covers."""

    kind = TaskKind.EXCEPTION_REQUEST

    def applies(self, ctx):
        return ctx.can("governance.grant_policyexception")

    def queryset(self, ctx):
        covered = PolicyException.objects.valid(ctx.today).filter(
            use_case=OuterRef("use_case"), rule_id=OuterRef("rule_id"), subject=OuterRef("subject")
        )
        open_blocking = Finding.objects.blocking().filter(use_case=OuterRef("pk")).exclude(Exists(covered))
        return (
            UseCase.objects.filter(status__in=REVIEW_STATES)
            .filter(Exists(open_blocking))
            .exclude(owner=ctx.user)
            .annotate(due=Subquery(self._first_due()))
        )

    @staticmethod
    def _first_due():
        return (
            ApprovalStage.objects.active()
            .filter(use_case=OuterRef("pk"), due_on__isnull=False)
            .order_by("due_on")
            .values("due_on")[:1]
        )

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.USE_CASE,
                subject_id=use_case.pk,
                title=use_case_title(use_case),
                url=reverse("governance:grant-exception", kwargs={"reference": use_case.reference}),
                due_on=use_case.due,
                today=ctx.today,
            )
            for use_case in queryset
        ]


class AssessmentReviewSource(Source):
    """Questionnaires a vendor has submitted, waiting for a decision."""

    kind = TaskKind.ASSESSMENT_REVIEW

    def applies(self, ctx):
        return ctx.can("vendors.decide_assessment")

    def queryset(self, ctx):
        return Assessment.objects.filter(
            status=AssessmentStatus.SUBMITTED, template_version__template__audience=TemplateAudience.VENDOR
        ).select_related("vendor")

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.ASSESSMENT,
                subject_id=assessment.pk,
                title=f"{assessment.reference} {assessment.vendor.name}",
                url=assessment.get_absolute_url(),
                detail=gettext("Submitted on %(date)s")
                % {"date": timezone.localdate(assessment.submitted_at).isoformat()}
                if assessment.submitted_at
                else "",
                today=ctx.today,
            )
            for assessment in queryset
        ]


class InvitationFailedSource(Source):
    """Questionnaires whose invitation e-mail could not be delivered: the vendor cannot answer."""

    kind = TaskKind.INVITATION_FAILED

    def applies(self, ctx):
        return ctx.can("vendors.add_assessment")

    def queryset(self, ctx):
        return (
            Assessment.objects.filter(status__in=ANSWERABLE_STATES, invitation_failed_at__isnull=False)
            .annotate(due=TruncDate("link_expires_at", output_field=DateField()))
            .select_related("vendor")
        )

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.ASSESSMENT,
                subject_id=assessment.pk,
                title=f"{assessment.reference} {assessment.vendor.name}",
                url=assessment.get_absolute_url(),
                due_on=assessment.due,
                today=ctx.today,
            )
            for assessment in queryset
        ]


class ExceptionExpiringSource(Source):
    """Exceptions that run out within the reminder window (the reminder's own items)."""

    kind = TaskKind.EXCEPTION_EXPIRING

    def queryset(self, ctx):
        queryset = (
            KINDS[ReminderKind.EXCEPTION_EXPIRING]
            .items()
            .filter(expires_on__gte=ctx.today, expires_on__lte=ctx.until(ReminderKind.EXCEPTION_EXPIRING))
        )
        if ctx.can("governance.grant_policyexception") or ctx.can("usecases.review_usecase"):
            return queryset
        return queryset.filter(use_case__owner=ctx.user)

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.POLICY_EXCEPTION,
                subject_id=exception.pk,
                title=use_case_title(exception.use_case),
                url=f"{exception.use_case.get_absolute_url()}#exceptions",
                due_on=exception.expires_on,
                detail=exception.rule_id,
                today=ctx.today,
            )
            for exception in queryset
        ]


class VendorReassessmentSource(Source):
    """Approved vendors whose approval runs out within the reminder window, or has run out."""

    kind = TaskKind.VENDOR_REASSESSMENT

    def applies(self, ctx):
        return ctx.can("vendors.add_assessment")

    def queryset(self, ctx):
        return (
            KINDS[ReminderKind.ASSESSMENT_EXPIRING]
            .items()
            .filter(next_reassessment_on__lte=ctx.until(ReminderKind.ASSESSMENT_EXPIRING))
        )

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.VENDOR,
                subject_id=vendor.pk,
                title=vendor.name,
                url=reverse("vendors:send-assessment", kwargs={"pk": vendor.pk}),
                due_on=vendor.next_reassessment_on,
                today=ctx.today,
            )
            for vendor in queryset
        ]


class StageWithoutDeciderSource(Source):
    """Open stages whose group has no active member: nobody can decide them."""

    kind = TaskKind.STAGE_WITHOUT_DECIDER

    def applies(self, ctx):
        return ctx.can("governance.change_stagedefinition")

    def queryset(self, ctx):
        members = get_user_model().groups.through.objects.filter(group_id=OuterRef("group_id"), user__is_active=True)
        return (
            ApprovalStage.objects.active()
            .filter(use_case__status__in=REVIEW_STATES)
            .exclude(Exists(members))
            .select_related("use_case", "definition", "group")
        )

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.APPROVAL_STAGE,
                subject_id=stage.pk,
                title=use_case_title(stage.use_case),
                url=f"{stage.use_case.get_absolute_url()}#stages",
                due_on=stage.due_on,
                detail=f"{stage.definition} ({stage.group.name})",
                today=ctx.today,
            )
            for stage in queryset
        ]


class FailedNotificationsSource(Source):
    """Notifications that could not be delivered: one task per kind of reminder."""

    kind = TaskKind.FAILED_NOTIFICATIONS
    count_field = "kind"

    def applies(self, ctx):
        return ctx.can("governance.change_reminder")

    def queryset(self, ctx):
        return Reminder.objects.filter(status=ReminderStatus.FAILED).order_by("kind").only("kind")

    def rows(self, queryset, ctx):
        counts = {}
        for reminder in queryset:
            counts[reminder.kind] = counts.get(reminder.kind, 0) + 1
        tasks = []
        for kind, number in counts.items():
            query = urlencode({"status": ReminderStatus.FAILED, "kind": kind})
            tasks.append(
                Task(
                    kind=self.kind,
                    subject_type=TaskSubject.REMINDER_KIND,
                    subject_id=None,
                    title=str(ReminderKind(kind).label),
                    url=f"{reverse('governance:reminders')}?{query}",
                    detail=gettext("%(count)d not delivered") % {"count": number},
                    today=ctx.today,
                )
            )
        return tasks
