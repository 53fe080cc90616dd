"""Governance admins configure the team-chat destinations of workflow notices (admin)."""

from django.db import migrations

from portal.roles import grant_permissions

ROLE_PERMISSIONS = {
    "governance_admin": [
        "governance.view_chatdestination",
        "governance.add_chatdestination",
        "governance.change_chatdestination",
    ]
}


def grant(apps, schema_editor):
    grant_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("governance", "0010_notification_events_channels")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
