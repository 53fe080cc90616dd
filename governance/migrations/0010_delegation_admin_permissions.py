"""Governance admins see and correct delegations in the admin (e.g. for someone suddenly away)."""

from django.db import migrations

from portal.roles import grant_permissions

ROLE_PERMISSIONS = {
    "governance_admin": ["governance.view_delegation", "governance.add_delegation", "governance.change_delegation"],
}


def seed(apps, schema_editor):
    grant_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("governance", "0009_reviewer_assignment_delegation"), ("portal", "0002_roles")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
