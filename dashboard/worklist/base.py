"""The task, the person's context and the source of one kind of task."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from dashboard.choices import TaskKind
from governance.choices import ReminderKind
from governance.delegation import acting_for
from governance.models import (
    ReminderSetting,
)
from governance.reminders.kinds import KINDS
from usecases.choices import UseCaseStatus

# A pilot shows from this many days before its planned end; a KPI is measured at least this often.
PILOT_NOTICE_DAYS = 7
KPI_INTERVAL_DAYS = 30
KPI_NOTICE_DAYS = 7
KPI_STATES = (UseCaseStatus.PILOTING, UseCaseStatus.IN_PRODUCTION)

# The order of kinds among tasks that are otherwise equally urgent.
KIND_RANK = {kind: rank for rank, kind in enumerate(TaskKind.values)}


@dataclass
class Task:
    kind: str
    subject_type: str
    subject_id: int | None
    title: str
    url: str
    due_on: datetime.date | None = None
    detail: str = ""
    assigned_to_me: bool = False
    on_behalf_of: str = ""
    today: datetime.date = field(default_factory=timezone.localdate, repr=False)

    @property
    def kind_label(self):
        return TaskKind(self.kind).label

    @property
    def overdue(self):
        return self.due_on is not None and self.due_on < self.today

    @property
    def days_left(self):
        return None if self.due_on is None else (self.due_on - self.today).days

    @property
    def days_overdue(self):
        return 0 if not self.overdue else (self.today - self.due_on).days

    def sort_key(self):
        return (
            not self.overdue,
            not self.assigned_to_me,
            self.due_on is None,
            self.due_on or datetime.date.max,
            KIND_RANK[self.kind],
            self.title,
        )


class Context:
    """The person, today, and what several sources read (loaded once, on first use)."""

    def __init__(self, user, today=None):
        self.user = user
        self.today = today or timezone.localdate()
        self._people = None
        self._windows = None

    def can(self, permission):
        return self.user.has_perm(permission)

    @property
    def people(self):
        """The ids of the user and of everyone they act for today (one query)."""
        if self._people is None:
            self._people = acting_for(self.user, self.today)
        return self._people

    def window(self, kind):
        """The reminder window of ``kind`` in days: the largest "days before" of its setting
        (its default days when not set); the settings of every kind come in one query."""
        if self._windows is None:
            self._windows = {
                setting.kind: [int(day) for day in setting.days_before]
                for setting in ReminderSetting.objects.filter(kind__in=WINDOW_KINDS)
            }
        days = self._windows.get(kind) or KINDS[kind].default_days
        return max(days, default=0)

    def until(self, kind):
        return self.today + datetime.timedelta(days=self.window(kind))


WINDOW_KINDS = [
    ReminderKind.EXCEPTION_EXPIRING,
    ReminderKind.ASSESSMENT_EXPIRING,
    ReminderKind.USE_CASE_REVIEW,
    ReminderKind.TRAINING_EXPIRING,
]


def use_case_title(use_case):
    return f"{use_case.reference} {use_case.title}"


class Source:
    """One kind of task. ``queryset`` is one query, ``count_field`` what one task stands for."""

    kind = None
    count_field = "pk"

    def applies(self, ctx):
        return True

    def queryset(self, ctx):
        raise NotImplementedError

    def rows(self, queryset, ctx):
        raise NotImplementedError
