"""Create the four role groups with their permissions, so a fresh install has them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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
    # Permissions are normally created after all migrations; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


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
