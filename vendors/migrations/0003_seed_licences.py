"""The catalogue of licences the portal ships with (tabled in docs/REFERENCE.md). Editable afterwards;
this only adds missing rows."""

from django.db import migrations

LICENCES = [
    {
        "identifier": "Apache-2.0",
        "name": "Apache License 2.0",
        "commercial_use": True,
        "redistribution": True,
        "attribution_required": True,
        "non_commercial_only": False,
        "restrictions": "Keep the licence and NOTICE file; state changes.",
        "url": "https://spdx.org/licenses/Apache-2.0.html",
    },
    {
        "identifier": "MIT",
        "name": "MIT License",
        "commercial_use": True,
        "redistribution": True,
        "attribution_required": True,
        "non_commercial_only": False,
        "restrictions": "Keep the copyright notice.",
        "url": "https://spdx.org/licenses/MIT.html",
    },
    {
        "identifier": "CC-BY-NC-4.0",
        "name": "Creative Commons Attribution-NonCommercial 4.0",
        "commercial_use": False,
        "redistribution": True,
        "attribution_required": True,
        "non_commercial_only": True,
        "restrictions": "Non-commercial use only: never in a customer-facing service.",
        "url": "https://spdx.org/licenses/CC-BY-NC-4.0.html",
    },
    {
        "identifier": "LicenseRef-Llama-Community",
        "name": "Meta Llama Community License",
        "commercial_use": True,
        "redistribution": False,
        "attribution_required": True,
        "non_commercial_only": False,
        "restrictions": (
            "Commercial use allowed below a monthly active user threshold (700 million for Llama 3); "
            "acceptable use policy applies; derived models inherit the licence; redistribution restricted."
        ),
        "url": "https://www.llama.com/llama3/license/",
    },
    {
        "identifier": "LicenseRef-Proprietary-API",
        "name": "Proprietary vendor API terms",
        "commercial_use": True,
        "redistribution": False,
        "attribution_required": False,
        "non_commercial_only": False,
        "restrictions": "Per contract with the vendor; check the terms of service for each use.",
        "url": "",
    },
]


def seed(apps, schema_editor):
    Licence = apps.get_model("vendors", "Licence")
    for licence in LICENCES:
        Licence.objects.get_or_create(identifier=licence["identifier"], defaults=licence)


class Migration(migrations.Migration):
    dependencies = [("vendors", "0002_roles")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
