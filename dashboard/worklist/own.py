"""Tasks on what a person owns or must do themselves: use cases, pilots, KPIs, policies, training."""

import datetime

from django.db.models import (
    DateField,
    Exists,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse

from dashboard.choices import TaskKind, TaskSubject
from dashboard.worklist.base import (
    KPI_INTERVAL_DAYS,
    KPI_NOTICE_DAYS,
    KPI_STATES,
    PILOT_NOTICE_DAYS,
    Source,
    Task,
    use_case_title,
)
from governance.choices import ReminderKind, StageDecision
from governance.education.services import pending_acknowledgements
from governance.models import (
    ApprovalStage,
    TrainingCompletion,
    TrainingCourse,
)
from governance.reminders.kinds import KINDS
from usecases.choices import TrialKind, UseCaseStatus
from usecases.models import Kpi, KpiMeasurement, Trial, UseCase


class OwnUseCaseSource(Source):
    """My own use cases in one state, to be edited (and submitted)."""

    status = None

    def queryset(self, ctx):
        return UseCase.objects.filter(owner=ctx.user, status=self.status)

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.USE_CASE,
                subject_id=use_case.pk,
                title=use_case_title(use_case),
                url=reverse("usecases:update", kwargs={"reference": use_case.reference}),
                today=ctx.today,
            )
            for use_case in queryset
        ]


class ChangesRequestedSource(OwnUseCaseSource):
    """Returned use cases, with the reviewer's comment in the same query: the requester reads
    what to change on arrival, not in the history."""

    kind = TaskKind.CHANGES_REQUESTED
    status = UseCaseStatus.CHANGES_REQUESTED

    def queryset(self, ctx):
        comment = (
            ApprovalStage.objects.filter(use_case=OuterRef("pk"), decision=StageDecision.REQUEST_CHANGES)
            .order_by("-decided_at", "-pk")
            .values("comment")[:1]
        )
        return super().queryset(ctx).annotate(reviewer_comment=Subquery(comment))

    def rows(self, queryset, ctx):
        tasks = super().rows(queryset, ctx)
        comments = {use_case.pk: use_case.reviewer_comment or "" for use_case in queryset}
        for task in tasks:
            task.detail = comments[task.subject_id][:300]
        return tasks


class DraftSource(OwnUseCaseSource):
    kind = TaskKind.DRAFT
    status = UseCaseStatus.DRAFT


class PilotResultsSource(Source):
    """Pilots and proofs of concept of my piloting use cases that end soon or ended without results."""

    kind = TaskKind.PILOT_RESULTS
    URL_NAMES = {TrialKind.CLOSED_PILOT: "usecases:pilot", TrialKind.OPEN_POC: "usecases:poc"}

    def queryset(self, ctx):
        return Trial.objects.filter(
            use_case__owner=ctx.user,
            use_case__status=UseCaseStatus.PILOTING,
            ended_on__isnull=True,
            planned_end_on__lte=ctx.today + datetime.timedelta(days=PILOT_NOTICE_DAYS),
        ).select_related("use_case", "ai_model")

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.PILOT,
                subject_id=trial.pk,
                title=use_case_title(trial.use_case),
                url=reverse(self.URL_NAMES[trial.kind], kwargs={"reference": trial.use_case.reference}),
                due_on=trial.planned_end_on,
                detail=str(trial),
                today=ctx.today,
            )
            for trial in queryset
        ]


class KpiMeasurementSource(Source):
    """KPIs of my piloting or live use cases not measured for ``KPI_INTERVAL_DAYS`` days: one
    task per use case, due when its least recently measured KPI falls due."""

    kind = TaskKind.KPI_MEASUREMENT
    count_field = "use_case_id"

    def queryset(self, ctx):
        last = KpiMeasurement.objects.filter(kpi=OuterRef("pk")).order_by("-measured_on").values("measured_on")[:1]
        since = Coalesce(
            Subquery(last),
            TruncDate("use_case__step_entered_at", output_field=DateField()),
            TruncDate("use_case__approved_at", output_field=DateField()),
            output_field=DateField(),
        )
        limit = ctx.today + datetime.timedelta(days=KPI_NOTICE_DAYS - KPI_INTERVAL_DAYS)
        return (
            Kpi.objects.filter(use_case__owner=ctx.user, use_case__status__in=KPI_STATES)
            .annotate(since=since)
            .filter(Q(since__isnull=True) | Q(since__lte=limit))
            .select_related("use_case")
            .order_by("use_case_id", "id")
        )

    def rows(self, queryset, ctx):
        by_use_case = {}
        for kpi in queryset:
            due = None if kpi.since is None else kpi.since + datetime.timedelta(days=KPI_INTERVAL_DAYS)
            use_case, kpis, first_due = by_use_case.get(kpi.use_case_id, (kpi.use_case, [], due))
            kpis.append(kpi.name)
            earliest = min((d for d in (first_due, due) if d is not None), default=None)
            by_use_case[kpi.use_case_id] = (use_case, kpis, earliest)
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.USE_CASE,
                subject_id=use_case.pk,
                title=use_case_title(use_case),
                url=reverse("usecases:record-measurement", kwargs={"reference": use_case.reference}),
                due_on=due,
                detail=", ".join(kpis),
                today=ctx.today,
            )
            for use_case, kpis, due in by_use_case.values()
        ]


class ReviewDueSource(Source):
    """My live use cases whose periodic re-review falls within the reminder window (or is past)."""

    kind = TaskKind.REVIEW_DUE

    def queryset(self, ctx):
        return (
            KINDS[ReminderKind.USE_CASE_REVIEW]
            .items()
            .filter(owner=ctx.user, next_review_on__lte=ctx.until(ReminderKind.USE_CASE_REVIEW))
        )

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.USE_CASE,
                subject_id=use_case.pk,
                title=use_case_title(use_case),
                url=use_case.get_absolute_url(),
                due_on=use_case.next_review_on,
                today=ctx.today,
            )
            for use_case in queryset
        ]


class PolicyAcknowledgementSource(Source):
    kind = TaskKind.POLICY_ACKNOWLEDGEMENT

    def queryset(self, ctx):
        return pending_acknowledgements(ctx.user)

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.POLICY_VERSION,
                subject_id=version.pk,
                title=version.document.title,
                url=f"{version.document.get_absolute_url()}#acknowledge-form",
                due_on=version.acknowledge_by,
                today=ctx.today,
            )
            for version in queryset
        ]


def _completions(ctx):
    return TrainingCompletion.objects.filter(course=OuterRef("pk"), user=ctx.user)


class TrainingDueSource(Source):
    """Required courses meant for me that I hold no valid completion of (never done, or expired)."""

    kind = TaskKind.TRAINING_DUE

    def queryset(self, ctx):
        valid = _completions(ctx).valid(ctx.today)
        expired = _completions(ctx).order_by("-expires_on").values("expires_on")[:1]
        return (
            TrainingCourse.objects.filter(pk__in=TrainingCourse.objects.applying_to(ctx.user).values("pk"))
            .filter(required=True)
            .exclude(Exists(valid))
            .annotate(expired_on=Subquery(expired))
        )

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.TRAINING_COURSE,
                subject_id=course.pk,
                title=course.title,
                url=f"{course.get_absolute_url()}#completion-form",
                due_on=course.expired_on,
                today=ctx.today,
            )
            for course in queryset
        ]


class TrainingExpiringSource(Source):
    """My completions that run out within the reminder window (the reminder's own items)."""

    kind = TaskKind.TRAINING_EXPIRING

    def queryset(self, ctx):
        return (
            KINDS[ReminderKind.TRAINING_EXPIRING]
            .items()
            .filter(user=ctx.user, expires_on__gte=ctx.today, expires_on__lte=ctx.until(ReminderKind.TRAINING_EXPIRING))
        )

    def rows(self, queryset, ctx):
        return [
            Task(
                kind=self.kind,
                subject_type=TaskSubject.TRAINING_COURSE,
                subject_id=completion.course_id,
                title=completion.course.title,
                url=f"{completion.course.get_absolute_url()}#completion-form",
                due_on=completion.expires_on,
                today=ctx.today,
            )
            for completion in queryset
        ]
