"""My tasks: what one person must do now, most urgent first, built from every app's data.

Each ``Source`` is one kind of task: a queryset scoped to the person (one query) and the rows
it becomes. The task list runs each source's query once; the navigation's count runs all of
the same querysets as subqueries of a single query, so both always agree. Who sees a kind is
decided by permissions, so a person with several roles gets the union.

What is "due" is read where the reminders read it (``governance.reminders``): the same
items, and the window of a kind is the largest "days before" of its reminder setting.
"""

from django.contrib.auth import get_user_model
from django.db.models import F, Func, IntegerField, Subquery
from django.db.models.functions import Coalesce

from dashboard.choices import TaskKind
from dashboard.worklist.base import Context, Task
from dashboard.worklist.oversight import (
    AssessmentReviewSource,
    ExceptionExpiringSource,
    ExceptionRequestSource,
    FailedNotificationsSource,
    InvitationFailedSource,
    StageDecisionSource,
    StageWithoutDeciderSource,
    VendorReassessmentSource,
)
from dashboard.worklist.own import (
    ChangesRequestedSource,
    DraftSource,
    KpiMeasurementSource,
    PilotResultsSource,
    PolicyAcknowledgementSource,
    ReviewDueSource,
    TrainingDueSource,
    TrainingExpiringSource,
)

SOURCES = [
    StageDecisionSource(),
    ExceptionRequestSource(),
    AssessmentReviewSource(),
    InvitationFailedSource(),
    ExceptionExpiringSource(),
    VendorReassessmentSource(),
    ChangesRequestedSource(),
    DraftSource(),
    PilotResultsSource(),
    KpiMeasurementSource(),
    ReviewDueSource(),
    PolicyAcknowledgementSource(),
    TrainingDueSource(),
    TrainingExpiringSource(),
    StageWithoutDeciderSource(),
    FailedNotificationsSource(),
]
assert sorted(source.kind for source in SOURCES) == sorted(TaskKind.values), "one source per task kind"


def _sources(ctx, kind=None):
    if not ctx.user.is_authenticated or not ctx.user.is_active:
        return []
    return [source for source in SOURCES if (kind is None or source.kind == kind) and source.applies(ctx)]


def build(user, kind=None, today=None):
    """The tasks of ``user`` (optionally of one ``kind``), most urgent first: overdue, then
    assigned to them, then by due date. One query per kind, whatever the number of tasks."""
    ctx = Context(user, today)
    tasks = []
    for source in _sources(ctx, kind):
        tasks.extend(source.rows(source.queryset(ctx), ctx))
    tasks.sort(key=Task.sort_key)
    return tasks


class _Count(Func):
    template = "COUNT(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def counts(user, today=None):
    """``{kind: number of tasks}`` of every kind the user can have, from the same querysets as
    ``build`` but counted in one query (plus the delegations and reminder settings they read)."""
    ctx = Context(user, today)
    sources = _sources(ctx)
    if not sources:
        return {}
    expressions = {}
    for source in sources:
        queryset = source.queryset(ctx).order_by()
        counted = queryset.annotate(_n=_Count(F(source.count_field))).values("_n")[:1]
        expressions[source.kind] = Coalesce(Subquery(counted, output_field=IntegerField()), 0)
    row = get_user_model().objects.filter(pk=user.pk).values(**expressions).first() or {}
    return {source.kind: row.get(source.kind, 0) for source in sources}


def total(user, today=None):
    return sum(counts(user, today).values())
