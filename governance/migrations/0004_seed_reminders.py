"""Reminder defaults: when each kind goes out, who may see and retry reminders, and the
beat schedule (scan hourly, send every minute, digest daily at 08:00). All of it is
data an administrator may change afterwards (admin: reminder settings, periodic tasks)."""

from django.db import migrations

from portal.roles import grant_permissions

SETTINGS = {
    # kind: (days before the due date, escalate after days overdue)
    "stage_due": ([1], 3),
    "use_case_review": ([30, 7, 1], 14),
    "assessment_unanswered": ([7, 2], None),
    "assessment_expiring": ([30], None),
    "exception_expiring": ([7, 1], None),
}

ROLE_PERMISSIONS = {
    "governance_admin": [
        "governance.view_reminder",
        "governance.change_reminder",
        "governance.view_remindersetting",
        "governance.change_remindersetting",
    ]
}

TASKS = {
    "Scan reminders (hourly)": ("governance.tasks.scan_reminders", {"interval": (1, "hours")}),
    "Send due reminders (every minute)": ("governance.tasks.send_due_reminders", {"interval": (1, "minutes")}),
    "Send reminder digests (daily 08:00)": ("governance.tasks.send_reminder_digests", {"crontab": "0 8"}),
}


def seed(apps, schema_editor):
    ReminderSetting = apps.get_model("governance", "ReminderSetting")
    for kind, (days, escalate) in SETTINGS.items():
        ReminderSetting.objects.get_or_create(
            kind=kind, defaults={"days_before": days, "escalate_after_days": escalate}
        )
    grant_permissions(apps, ROLE_PERMISSIONS)
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, schedule) in TASKS.items():
        if "interval" in schedule:
            every, period = schedule["interval"]
            interval, _created = IntervalSchedule.objects.get_or_create(every=every, period=period)
            PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})
        else:
            minute, hour = schedule["crontab"].split()
            crontab, _created = CrontabSchedule.objects.get_or_create(
                minute=minute,
                hour=hour,
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone="Asia/Tokyo",
            )
            PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(TASKS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0003_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
