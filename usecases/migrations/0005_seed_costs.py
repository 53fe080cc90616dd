"""Cost defaults from docs/REFERENCE.md (all editable by governance admins afterwards): one
settings row, exchange rates into yen, who may edit them; and when existing use cases
entered their current roadmap step (their approval, else their creation)."""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Coalesce

from portal.roles import grant_permissions

RATES = {"USD": "150", "EUR": "160"}

ROLE_PERMISSIONS = {
    "governance_admin": [
        "usecases.view_costsettings",
        "usecases.change_costsettings",
        "usecases.view_exchangerate",
        "usecases.add_exchangerate",
        "usecases.change_exchangerate",
        "usecases.delete_exchangerate",
    ]
}


def seed(apps, schema_editor):
    CostSettings = apps.get_model("usecases", "CostSettings")
    ExchangeRate = apps.get_model("usecases", "ExchangeRate")
    UseCase = apps.get_model("usecases", "UseCase")
    CostSettings.objects.get_or_create(pk=1)
    for currency, rate in RATES.items():
        ExchangeRate.objects.get_or_create(currency=currency, defaults={"rate": rate})
    grant_permissions(apps, ROLE_PERMISSIONS)
    UseCase.objects.filter(step_entered_at__isnull=True).update(
        step_entered_at=Coalesce(F("approved_at"), F("created_at"))
    )


class Migration(migrations.Migration):
    dependencies = [("usecases", "0004_roadmap_costs"), ("portal", "0002_roles")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
