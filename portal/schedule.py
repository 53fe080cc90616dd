"""Keeps django-celery-beat's tables in step with ``settings.PERIODIC_TASKS`` after migrate.

Only missing rows are created: an existing row (its schedule, enabled flag, arguments) is
an administrator's to change in the admin, and running this again changes nothing. Rows of
the tasks named in ``settings.RETIRED_PERIODIC_TASKS`` (removed from the code) are deleted."""

import json

from django.conf import settings
from django.db import router

BEAT_APP = "django_celery_beat"


def sync_periodic_tasks(sender=None, *, apps=None, using="default", plan=None, **kwargs):
    """post_migrate receiver. ``flush`` sends post_migrate too (without a plan); it empties
    the tables on purpose, so the schedule is left to the next migrate, as the seeded data is."""
    if apps is None or plan is None:
        return
    try:
        PeriodicTask = apps.get_model(BEAT_APP, "PeriodicTask")
    except LookupError:  # beat's tables are not (or no longer) migrated
        return
    if not router.allow_migrate_model(using, PeriodicTask):
        return
    tasks = PeriodicTask.objects.using(using)
    # Tasks that no longer exist: their rows would make beat enqueue unknown task names.
    tasks.filter(task__in=getattr(settings, "RETIRED_PERIODIC_TASKS", ())).delete()
    existing = set(
        tasks.filter(name__in=[entry["name"] for entry in settings.PERIODIC_TASKS]).values_list("name", flat=True)
    )
    for entry in settings.PERIODIC_TASKS:
        if entry["name"] in existing:
            continue
        tasks.create(
            name=entry["name"],
            task=entry["task"],
            kwargs=json.dumps(entry.get("kwargs", {})),
            description=entry.get("description", ""),
            **_schedule(apps, using, entry),
        )


def _schedule(apps, using, entry):
    """The schedule row ``entry`` runs on (an existing equal one, else a new one), as
    PeriodicTask's keyword argument."""
    if "interval" in entry:
        every, period = entry["interval"]
        return {
            "interval": _first_or_create(
                apps.get_model(BEAT_APP, "IntervalSchedule"), using, every=every, period=period
            )
        }
    minute, hour, day_of_month, month_of_year, day_of_week = entry["crontab"].split()
    crontab = _first_or_create(
        apps.get_model(BEAT_APP, "CrontabSchedule"),
        using,
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=entry.get("timezone", settings.TIME_ZONE),
    )
    return {"crontab": crontab}


def _first_or_create(model, using, **values):
    # Not get_or_create: an admin may have made equal schedules, and any of them will do.
    return model.objects.using(using).filter(**values).order_by("pk").first() or model.objects.using(using).create(
        **values
    )
