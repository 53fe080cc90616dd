"""Create the four role groups with their permissions, so a fresh install has them."""

from django.db import migrations

from portal.roles import grant_permissions

# Frozen copy of portal.roles.ROLE_PERMISSIONS at the time of this migration.
ROLE_PERMISSIONS = {
    "requester": [
        "usecases.view_usecase",
        "portal.view_department",
        "usecases.add_usecase",
        "usecases.change_usecase",
    ],
    "reviewer": [
        "usecases.view_usecase",
        "portal.view_department",
        "usecases.view_all_usecases",
        "usecases.review_usecase",
    ],
    "executive": ["usecases.view_usecase", "portal.view_department", "usecases.view_all_usecases"],
    "governance_admin": [
        "usecases.view_usecase",
        "portal.view_department",
        "usecases.view_all_usecases",
        "usecases.add_usecase",
        "usecases.change_usecase",
        "usecases.review_usecase",
        "portal.add_department",
        "portal.change_department",
        "portal.view_user",
        "portal.add_user",
        "portal.change_user",
        "portal.view_auditevent",
    ],
}


def create_roles(apps, schema_editor):
    grant_permissions(apps, ROLE_PERMISSIONS)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("usecases", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
