"""A daily beat entry (editable in the admin) that recomputes the stored cost estimates, so a
missed refresh (broker down when a price changed) catches up by the next morning."""

from django.db import migrations

NAME = "Refresh cost estimates (daily 03:00)"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="0", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Tokyo"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": "usecases.tasks.refresh_cost_estimates", "crontab": crontab}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("usecases", "0006_cost_estimates"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
