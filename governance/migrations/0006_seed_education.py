"""Rules and education: who may do what, and the reminder defaults for pending
acknowledgements and expiring training (editable afterwards in the admin)."""

from django.db import migrations

from portal.roles import grant_permissions

EDUCATION = [
    "governance.view_policydocument",
    "governance.view_trainingcourse",
    "governance.add_trainingcompletion",
    "governance.view_prompttemplate",
    "governance.add_prompttemplate",
]
FIGURES = ["governance.view_policyacknowledgement", "governance.view_trainingcompletion"]

ROLE_PERMISSIONS = {
    "requester": EDUCATION,
    "reviewer": [*EDUCATION, "governance.approve_prompttemplate"],
    "executive": [*EDUCATION, *FIGURES],
    "governance_admin": [
        *EDUCATION,
        *FIGURES,
        "governance.manage_policy",
        "governance.manage_training",
        "governance.approve_prompttemplate",
    ],
}

SETTINGS = {
    # kind: (days before the due date, escalate after days overdue)
    "policy_acknowledgement": ([7, 1], 7),
    "training_expiring": ([30, 7], None),
}


def seed(apps, schema_editor):
    grant_permissions(apps, ROLE_PERMISSIONS)
    ReminderSetting = apps.get_model("governance", "ReminderSetting")
    for kind, (days, escalate) in SETTINGS.items():
        ReminderSetting.objects.get_or_create(
            kind=kind, defaults={"days_before": days, "escalate_after_days": escalate}
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0005_rules_and_education"), ("portal", "0002_roles")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
