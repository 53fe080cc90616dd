"""My tasks (dashboard.worklist): per role, the exact tasks, their order and links; delegation;
scoping; the navigation's count agrees with the list; constant queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard import worklist
from dashboard.choices import TaskKind
from governance.models import ReminderSetting
from portal.roles import Role
from tests.dashboard.tasks_helpers import (
    away,
    blocking_finding,
    days,
    exception,
    failed_reminder,
    in_review,
    stage,
    today,
)
from tests.factories import AIModelFactory, KpiFactory, UseCaseFactory, UserFactory, approved_vendor
from tests.governance.education_helpers import completed, course, policy, publish

pytestmark = pytest.mark.django_db


def kinds_and_ids(tasks):
    return [(task.kind, task.subject_id) for task in tasks]


def test_reviewer_sees_the_stages_of_their_groups_assigned_to_them_first(reviewer, requester, legal_reviewer):
    other = UserFactory(username="reviewer2", role=Role.REVIEWER)
    other.groups.add(*reviewer.groups.filter(name="it-review"))
    soon = stage(in_review(requester), due=1)  # unassigned, due tomorrow
    mine = stage(in_review(requester), due=4, assigned_to=reviewer)
    late = stage(in_review(requester), due=-2)  # overdue, unassigned
    stage(in_review(requester), due=2, assigned_to=other)  # someone else's
    stage(in_review(requester), code="legal-review", due=1)  # a group the reviewer is not in
    stage(in_review(reviewer), due=1)  # their own use case
    stage(in_review(requester), due=1, started=False)  # not open yet
    UseCaseFactory(owner=requester)  # a draft: not theirs to do
    tasks = worklist.build(reviewer)
    assert kinds_and_ids(tasks) == [
        (TaskKind.STAGE_DECISION, late.pk),
        (TaskKind.STAGE_DECISION, mine.pk),
        (TaskKind.STAGE_DECISION, soon.pk),
    ]
    first, second, third = tasks
    assert first.overdue and first.days_left == -2 and first.days_overdue == 2
    assert second.assigned_to_me and not third.assigned_to_me
    assert third.days_left == 1 and not third.overdue
    assert first.url == f"{late.use_case.get_absolute_url()}#decide-form"
    assert first.title == f"{late.use_case.reference} {late.use_case.title}"
    assert worklist.counts(reviewer) == {
        TaskKind.STAGE_DECISION: 3,
        TaskKind.ASSESSMENT_REVIEW: 0,
        TaskKind.INVITATION_FAILED: 0,
        TaskKind.EXCEPTION_EXPIRING: 0,
        TaskKind.VENDOR_REASSESSMENT: 0,
        TaskKind.CHANGES_REQUESTED: 0,
        TaskKind.DRAFT: 0,
        TaskKind.PILOT_RESULTS: 0,
        TaskKind.KPI_MEASUREMENT: 0,
        TaskKind.REVIEW_DUE: 0,
        TaskKind.POLICY_ACKNOWLEDGEMENT: 0,
        TaskKind.TRAINING_DUE: 0,
        TaskKind.TRAINING_EXPIRING: 0,
    }
    # The legal reviewer sees the legal stage only.
    assert [task.detail for task in worklist.build(legal_reviewer)] == ["法務・コンプライアンス審査"]


def test_a_delegate_sees_the_away_reviewers_stages_on_their_behalf(reviewer, legal_reviewer, requester):
    legal_reviewer.first_name, legal_reviewer.last_name = "Hanako", "Sato"
    legal_reviewer.save()
    legal = stage(in_review(requester), code="legal-review", due=3)
    assigned = stage(in_review(requester), code="legal-review", due=6, assigned_to=legal_reviewer)
    assert worklist.build(reviewer) == []
    away(legal_reviewer, reviewer)
    tasks = worklist.build(reviewer)
    assert kinds_and_ids(tasks) == [(TaskKind.STAGE_DECISION, legal.pk), (TaskKind.STAGE_DECISION, assigned.pk)]
    assert [task.on_behalf_of for task in tasks] == ["Sato Hanako", "Sato Hanako"]  # family name first
    assert worklist.total(reviewer) == 2
    # The away reviewer still has them too; a delegation over yesterday changes nothing.
    assert len(worklist.build(legal_reviewer)) == 2
    assert worklist.build(reviewer, today=days(10)) == []


def test_requester_tasks_on_their_own_use_cases_policies_and_training(requester, other_requester, admin_user):
    draft = UseCaseFactory(owner=requester)
    returned = UseCaseFactory(owner=requester, status="changes_requested", submitted_at=timezone.now())
    UseCaseFactory(owner=other_requester)  # not theirs
    live = UseCaseFactory(owner=requester, status="in_production", submitted_at=timezone.now())
    type(live).objects.filter(pk=live.pk).update(next_review_on=days(10))
    UseCaseFactory(owner=requester, status="in_production", submitted_at=timezone.now())  # no review date
    later = UseCaseFactory(owner=requester, status="approved", submitted_at=timezone.now())
    type(later).objects.filter(pk=later.pk).update(next_review_on=days(90))  # outside the 30-day window
    piloting = UseCaseFactory(owner=requester, status="piloting", submitted_at=timezone.now())
    type(piloting).objects.filter(pk=piloting.pk).update(step_entered_at=timezone.now() - datetime.timedelta(days=40))
    trial = piloting.trials.create(
        kind="closed_pilot",
        ai_model=AIModelFactory(),
        starts_on=days(-30),
        planned_end_on=days(-1),
        updated_by=requester,
    )
    kpi = KpiFactory(use_case=piloting)
    measured = KpiFactory(use_case=piloting, name="作業時間")
    measured.measurements.create(measured_on=days(-3), value="5")
    document = policy(admin_user, "usage-rules")
    version = publish(document, admin_user)
    required = course(admin_user, "ai-literacy", required=True)
    expiring = course(admin_user, "prompting", required=False, validity=1)
    completed(expiring, requester, admin_user, on=today() - datetime.timedelta(days=20))

    tasks = worklist.build(requester)
    got = {(task.kind, task.subject_id): task for task in tasks}
    assert set(got) == {
        (TaskKind.DRAFT, draft.pk),
        (TaskKind.CHANGES_REQUESTED, returned.pk),
        (TaskKind.REVIEW_DUE, live.pk),
        (TaskKind.PILOT_RESULTS, trial.pk),
        (TaskKind.KPI_MEASUREMENT, piloting.pk),
        (TaskKind.POLICY_ACKNOWLEDGEMENT, version.pk),
        (TaskKind.TRAINING_DUE, required.pk),
        (TaskKind.TRAINING_EXPIRING, expiring.pk),
    }
    # Overdue first (the pilot ended yesterday, the KPI was due 10 days ago), then by date.
    assert [task.kind for task in tasks[:2]] == [TaskKind.KPI_MEASUREMENT, TaskKind.PILOT_RESULTS]
    assert got[(TaskKind.KPI_MEASUREMENT, piloting.pk)].detail == kpi.name  # the measured KPI is not due
    assert got[(TaskKind.KPI_MEASUREMENT, piloting.pk)].due_on == days(-10)
    assert got[(TaskKind.DRAFT, draft.pk)].url == reverse("usecases:update", args=[draft.reference])
    assert got[(TaskKind.CHANGES_REQUESTED, returned.pk)].url == reverse("usecases:update", args=[returned.reference])
    assert got[(TaskKind.PILOT_RESULTS, trial.pk)].url == reverse("usecases:pilot", args=[piloting.reference])
    assert got[(TaskKind.KPI_MEASUREMENT, piloting.pk)].url == reverse(
        "usecases:record-measurement", args=[piloting.reference]
    )
    assert got[(TaskKind.REVIEW_DUE, live.pk)].due_on == days(10)
    assert got[(TaskKind.POLICY_ACKNOWLEDGEMENT, version.pk)].url == f"{document.get_absolute_url()}#acknowledge-form"
    assert got[(TaskKind.TRAINING_DUE, required.pk)].url == f"{required.get_absolute_url()}#completion-form"
    assert worklist.total(requester) == len(tasks) == 8
    # The other requester has their draft, and the all-staff policy and course.
    assert {task.kind for task in worklist.build(other_requester)} == {
        TaskKind.DRAFT,
        TaskKind.POLICY_ACKNOWLEDGEMENT,
        TaskKind.TRAINING_DUE,
    }


def test_the_reminder_setting_moves_the_window(requester):
    live = UseCaseFactory(owner=requester, status="in_production", submitted_at=timezone.now())
    type(live).objects.filter(pk=live.pk).update(next_review_on=days(45))
    assert worklist.build(requester) == []
    ReminderSetting.objects.update_or_create(kind="use_case_review", defaults={"days_before": [60, 7]})
    assert kinds_and_ids(worklist.build(requester)) == [(TaskKind.REVIEW_DUE, live.pk)]


def test_executive_sign_offs_and_exceptions_waiting(executive, requester, admin_user):
    signoff = stage(in_review(requester), code="executive-signoff", due=2)
    stage(in_review(requester), due=2)  # IT review: not the executive's
    blocked = in_review(requester)
    stage(blocked, due=3)
    blocking_finding(blocked)
    covered = in_review(requester)
    blocking_finding(covered, "R-OTHER")
    exception(covered, admin_user, 60, "R-OTHER")
    lapsed = in_review(requester)
    blocking_finding(lapsed, "R-OLD")
    exception(lapsed, admin_user, -1, "R-OLD")  # expired: blocks again
    tasks = worklist.build(executive)
    assert kinds_and_ids(tasks) == [
        (TaskKind.STAGE_DECISION, signoff.pk),
        (TaskKind.EXCEPTION_REQUEST, blocked.pk),
        (TaskKind.EXCEPTION_REQUEST, lapsed.pk),
    ]
    assert tasks[1].url == reverse("governance:grant-exception", args=[blocked.reference])
    assert tasks[1].due_on == days(3)  # the stage it holds up
    assert worklist.total(executive) == 3


def test_expiring_exceptions_and_vendor_approvals_for_reviewers(reviewer, requester, admin_user):
    use_case = UseCaseFactory(owner=requester, status="approved", submitted_at=timezone.now())
    soon = exception(use_case, admin_user, 5)
    exception(use_case, admin_user, 30, "R-FAR")  # beyond the 7-day window
    vendor = approved_vendor()
    type(vendor).objects.filter(pk=vendor.pk).update(next_reassessment_on=days(20))
    approved_vendor()  # a year away
    tasks = worklist.build(reviewer)
    assert kinds_and_ids(tasks) == [(TaskKind.EXCEPTION_EXPIRING, soon.pk), (TaskKind.VENDOR_REASSESSMENT, vendor.pk)]
    assert tasks[1].url == reverse("vendors:send-assessment", args=[vendor.pk])
    # The owner is told of their own exception; another requester is not.
    assert kinds_and_ids(worklist.build(requester)) == [(TaskKind.EXCEPTION_EXPIRING, soon.pk)]


def test_admin_sees_what_is_stuck(admin_user, requester, reviewer):
    stuck = stage(in_review(requester), code="privacy-review", due=-1)  # nobody is in the privacy group
    stage(in_review(requester), due=2)  # the IT group has a member
    for n in range(3):
        failed_reminder(stuck, reviewer, n=n)
    failed_reminder(stuck, reviewer, kind="use_case_review")
    tasks = worklist.build(admin_user)
    by_kind = {}
    for task in tasks:
        by_kind.setdefault(task.kind, []).append(task)
    assert [task.subject_id for task in by_kind[TaskKind.STAGE_WITHOUT_DECIDER]] == [stuck.pk]
    assert by_kind[TaskKind.STAGE_WITHOUT_DECIDER][0].url.endswith("#stages")
    failed = by_kind[TaskKind.FAILED_NOTIFICATIONS]
    assert sorted(task.url for task in failed) == [
        reverse("governance:reminders") + "?status=failed&kind=stage_due",
        reverse("governance:reminders") + "?status=failed&kind=use_case_review",
    ]
    assert sorted(task.detail for task in failed) == ["1件が未配信", "3件が未配信"] or sorted(
        task.detail for task in failed
    ) == ["1 not delivered", "3 not delivered"]
    assert tasks[0].kind == TaskKind.STAGE_WITHOUT_DECIDER  # the overdue one first
    assert worklist.counts(admin_user)[TaskKind.FAILED_NOTIFICATIONS] == 2
    assert worklist.total(admin_user) == len(tasks)
    # Reviewers and requesters are not shown what is stuck.
    assert TaskKind.STAGE_WITHOUT_DECIDER not in {task.kind for task in worklist.build(reviewer)}
    assert worklist.build(requester) == []


def test_several_roles_get_the_union(requester, it_department):
    both = UserFactory(username="both", department=it_department, role=Role.REVIEWER)
    both.groups.add(*type(both.groups.first()).objects.filter(name__in=["requester", "it-review"]))
    draft = UseCaseFactory(owner=both)
    waiting = stage(in_review(requester), due=1)
    stage(in_review(both), due=1)  # their own use case: never their decision
    assert kinds_and_ids(worklist.build(both)) == [(TaskKind.STAGE_DECISION, waiting.pk), (TaskKind.DRAFT, draft.pk)]
    assert worklist.build(both, kind=TaskKind.DRAFT)[0].subject_id == draft.pk


def test_nobody_without_a_role_or_signed_out_has_tasks(outsider):
    from django.contrib.auth.models import AnonymousUser

    assert worklist.build(outsider) == [] and worklist.total(outsider) == 0
    assert worklist.build(AnonymousUser()) == [] and worklist.counts(AnonymousUser()) == {}


def _many_tasks(requester, reviewer, admin_user, n):
    for number in range(n):
        stage(in_review(requester), due=number - 3, assigned_to=reviewer if number % 3 == 0 else None)
        UseCaseFactory(owner=reviewer)
        piloting = UseCaseFactory(owner=reviewer, status="piloting", submitted_at=timezone.now())
        KpiFactory(use_case=piloting)


def test_building_and_counting_cost_the_same_queries_for_1_or_30_tasks(
    requester, reviewer, admin_user, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _many_tasks(requester, reviewer, admin_user, 1)
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)
    with CaptureQueriesContext(connection) as few:
        assert len(worklist.build(reviewer)) == 3
    with CaptureQueriesContext(connection) as few_count:
        assert worklist.total(reviewer) == 3
    _many_tasks(requester, reviewer, admin_user, 29)
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)
    with django_assert_max_num_queries(len(few)):
        assert len(worklist.build(reviewer)) == 90
    with django_assert_max_num_queries(len(few_count)):
        assert worklist.total(reviewer) == 90
    assert len(few_count) <= 4  # delegations, reminder settings, permissions, one count
