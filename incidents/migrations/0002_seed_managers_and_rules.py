"""The incident manager group (empty: admins add its members) and the default deadline rules."""

from django.conf import settings
from django.db import migrations

from portal.roles import grant_permissions

DAY = 24
# (name, clock, conditions, due hours, counted from)
RULES = [
    (
        "APPI preliminary report: personal data of more than 1,000 people",
        "appi_preliminary",
        {"requires_personal_data": True, "min_affected_people": 1000},
        5 * DAY,
        "noticed_at",
    ),
    (
        "APPI preliminary report: sensitive personal data",
        "appi_preliminary",
        {"requires_sensitive_data": True},
        5 * DAY,
        "noticed_at",
    ),
    (
        "APPI preliminary report: personal data, unauthorised access",
        "appi_preliminary",
        {"requires_personal_data": True, "requires_unauthorised_access": True},
        5 * DAY,
        "noticed_at",
    ),
    (
        "APPI final report (30 days): personal data of more than 1,000 people",
        "appi_final",
        {"requires_personal_data": True, "min_affected_people": 1000, "requires_unauthorised_access": False},
        30 * DAY,
        "noticed_at",
    ),
    (
        "APPI final report (30 days): sensitive personal data",
        "appi_final",
        {"requires_sensitive_data": True, "requires_unauthorised_access": False},
        30 * DAY,
        "noticed_at",
    ),
    (
        "APPI final report (60 days): unauthorised access or malicious act",
        "appi_final",
        {"requires_personal_data": True, "requires_unauthorised_access": True},
        60 * DAY,
        "noticed_at",
    ),
    (
        "EU AI Act Art. 26(5): inform the provider of a serious incident immediately",
        "inform_provider",
        {"requires_serious": True, "requires_high_risk_use_case": True},
        1 * DAY,
        "triaged_at",
    ),
    (
        "Vendor incident: obtain the vendor's incident report",
        "vendor_report",
        {"requires_vendor": True},
        7 * DAY,
        "triaged_at",
    ),
]

ADMIN_PERMISSIONS = [
    "incidents.view_incident",
    "incidents.view_deadlinerule",
    "incidents.add_deadlinerule",
    "incidents.change_deadlinerule",
    "incidents.view_deadline",
    "incidents.change_deadline",
]


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name=settings.INCIDENT_MANAGER_GROUP)
    grant_permissions(apps, {"governance_admin": ADMIN_PERMISSIONS})
    DeadlineRule = apps.get_model("incidents", "DeadlineRule")
    for position, (name, clock, conditions, hours, start) in enumerate(RULES, start=1):
        DeadlineRule.objects.get_or_create(
            name=name,
            defaults={"clock": clock, "due_hours": hours, "starts_from": start, "position": position, **conditions},
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_incident_register"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
