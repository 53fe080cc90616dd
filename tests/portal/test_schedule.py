"""The beat schedule declared in settings.PERIODIC_TASKS is in the database after migrate,
exactly as the data migrations that used to seed it left it, and re-syncing respects the rows."""

import pytest
from django.apps import apps as global_apps
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from portal.schedule import sync_periodic_tasks

# What usecases 0002/0007 and governance 0002/0004 created: name -> (task, schedule), less the
# retired submission-notice sweep (the notification outbox sends those notices now).
EXPECTED = {
    "Refresh cost estimates (daily 03:00)": (
        "usecases.tasks.refresh_cost_estimates",
        ("cron", "0", "3", "*", "*", "*", "Asia/Tokyo"),
    ),
    "Re-run policy checks of open use cases": ("governance.tasks.recheck_open_use_cases", ("every", 1, "days")),
    "Scan reminders (hourly)": ("governance.tasks.scan_reminders", ("every", 1, "hours")),
    "Send due reminders (every minute)": ("governance.tasks.send_due_reminders", ("every", 1, "minutes")),
    "Send reminder digests (daily 08:00)": (
        "governance.tasks.send_reminder_digests",
        ("cron", "0", "8", "*", "*", "*", "Asia/Tokyo"),
    ),
}


def schedule_of(task):
    if task.interval_id:
        return ("every", task.interval.every, task.interval.period)
    crontab = task.crontab
    return (
        "cron",
        crontab.minute,
        crontab.hour,
        crontab.day_of_month,
        crontab.month_of_year,
        crontab.day_of_week,
        str(crontab.timezone),
    )


def current():
    return {
        task.name: (task.task, schedule_of(task), task.enabled, task.args, task.kwargs)
        for task in PeriodicTask.objects.select_related("interval", "crontab")
    }


def resync():
    """What migrate does at its end (flush's post_migrate, without a plan, leaves it alone)."""
    sync_periodic_tasks(apps=global_apps, using="default", plan=[])


@pytest.mark.django_db
def test_the_schedule_exists_after_migrate_as_the_migrations_made_it():
    assert {name: (task, schedule) for name, (task, schedule, *_rest) in current().items()} == EXPECTED
    assert all(enabled and args == "[]" and kwargs == "{}" for *_head, enabled, args, kwargs in current().values())


@pytest.mark.django_db
def test_syncing_again_changes_nothing():
    before = current()
    counts = (PeriodicTask.objects.count(), IntervalSchedule.objects.count(), CrontabSchedule.objects.count())
    resync()
    resync()
    assert current() == before
    assert (PeriodicTask.objects.count(), IntervalSchedule.objects.count(), CrontabSchedule.objects.count()) == counts


@pytest.mark.django_db
def test_a_missing_row_is_created_again_with_its_schedule():
    PeriodicTask.objects.filter(name="Send reminder digests (daily 08:00)").delete()
    CrontabSchedule.objects.filter(hour="8").delete()
    resync()
    task, schedule, *_rest = current()["Send reminder digests (daily 08:00)"]
    assert (task, schedule) == EXPECTED["Send reminder digests (daily 08:00)"]


@pytest.mark.django_db
def test_flush_signal_without_a_plan_creates_nothing():
    PeriodicTask.objects.all().delete()
    sync_periodic_tasks(apps=global_apps, using="default")
    assert not PeriodicTask.objects.exists()


@pytest.mark.django_db
def test_an_admins_edit_survives_a_new_migrate():
    task = PeriodicTask.objects.get(name="Refresh cost estimates (daily 03:00)")
    task.crontab = CrontabSchedule.objects.create(minute="30", hour="4", timezone="Asia/Tokyo")
    task.enabled = False
    task.save()
    sender = PeriodicTask.objects.get(name="Send due reminders (every minute)")
    sender.interval = IntervalSchedule.objects.create(every=5, period="minutes")
    sender.save()
    before = current()
    PeriodicTask.objects.filter(name="Scan reminders (hourly)").delete()  # shows the sync ran
    call_command("migrate", verbosity=0, interactive=False)
    after = current()
    assert after == before
    assert after["Refresh cost estimates (daily 03:00)"][1:3] == (
        ("cron", "30", "4", "*", "*", "*", "Asia/Tokyo"),
        False,
    )
    assert after["Send due reminders (every minute)"][1] == ("every", 5, "minutes")


@pytest.mark.django_db
def test_a_retired_task_row_is_deleted_by_the_sync():
    interval = IntervalSchedule.objects.create(every=10, period="minutes")
    PeriodicTask.objects.create(
        name="Re-send unsent submission notices", task="usecases.tasks.notify_pending_submissions", interval=interval
    )
    resync()
    assert not PeriodicTask.objects.filter(task="usecases.tasks.notify_pending_submissions").exists()
    assert "Scan reminders (hourly)" in current()
