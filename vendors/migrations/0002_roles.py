"""Give the roles their vendor-registry permissions (see portal.roles.ROLE_PERMISSIONS)."""

from django.db import migrations

from portal.roles import grant_permissions

READ = ["vendors.view_vendor", "vendors.view_aimodel", "vendors.view_licence"]
MANAGE = [
    "vendors.add_vendor",
    "vendors.change_vendor",
    "vendors.add_aimodel",
    "vendors.change_aimodel",
    "vendors.view_questionnairetemplate",
    "vendors.add_questionnairetemplate",
    "vendors.change_questionnairetemplate",
    "vendors.view_assessment",
    "vendors.add_assessment",
    "vendors.change_assessment",
    "vendors.decide_assessment",
]
ROLE_PERMISSIONS = {
    "requester": READ,
    "reviewer": READ + MANAGE,
    "executive": READ,
    "governance_admin": READ + MANAGE + ["vendors.add_licence", "vendors.change_licence"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("vendors", "0001_initial"), ("portal", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
