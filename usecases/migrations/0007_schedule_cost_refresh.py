"""Once the daily beat entry for recomputing the stored cost estimates. That entry
("Refresh cost estimates (daily 03:00)") is now declared in settings.PERIODIC_TASKS and
created after migrate (portal.schedule); installs migrated before already have the row."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("usecases", "0006_cost_estimates"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
