"""Reminder defaults: when each kind goes out and who may see and retry reminders. All of
it is data an administrator may change afterwards (admin: reminder settings). The beat
entries once seeded here (scan hourly, send every minute, digest daily at 08:00) are
declared in settings.PERIODIC_TASKS and created after migrate."""

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


def seed(apps, schema_editor):
    ReminderSetting = apps.get_model("governance", "ReminderSetting")
    for kind, (days, escalate) in SETTINGS.items():
        ReminderSetting.objects.get_or_create(
            kind=kind, defaults={"days_before": days, "escalate_after_days": escalate}
        )
    grant_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0003_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
