"""docs/REFERENCE.md states the figures the code and the seed migrations ship with: its tables
are read here and compared with the migrated database and the code, so the page cannot drift."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from governance.models import ClassificationLevel, ClassificationRule, RiskTierSetting
from tests.factories import UseCaseFactory
from usecases import economics, roadmap
from usecases.choices import RoadmapStep
from usecases.models import CostSettings, ExchangeRate
from vendors import demo
from vendors.models import Licence

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "REFERENCE.md"
NONE = "—"
YES_NO = {"yes": True, "no": False}


def _sections():
    """{heading: [table, ...]} where a table is a list of {column: cell} rows."""
    sections, heading, table = {}, None, None
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading, table = line[3:].strip(), None
            sections[heading] = []
        elif heading and line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if table is None:
                table = {"columns": cells, "rows": []}
                sections[heading].append(table)
            elif not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                table["rows"].append(dict(zip(table["columns"], cells, strict=True)))
        else:
            table = None
    return {name: [table["rows"] for table in tables] for name, tables in sections.items()}


SECTIONS = _sections()


def _number(cell):
    return None if cell in (None, "", NONE, "(empty)") else Decimal(cell.replace(",", ""))


def _codes(cell):
    return [] if cell == NONE else re.findall(r"`([a-z_]+\.[a-z_]+)`", cell)


@pytest.mark.django_db
def test_roadmap_steps_and_their_gate_items():
    (steps,) = SECTIONS["Roadmap steps and their gates"]
    with translation.override("en"):
        names = {int(step): str(step.label).split(". ", 1)[1] for step in RoadmapStep}
    assert {int(row["step"]): row["name"] for row in steps} == names
    gates = roadmap.gates(UseCaseFactory())
    for row in steps:
        gate = gates[int(row["step"])]
        assert _codes(row["start items"]) == [item.code for item in gate.start], row["step"]
        assert _codes(row["finish items"]) == [item.code for item in gate.finish], row["step"]


@pytest.mark.django_db
def test_cost_defaults_and_exchange_rates_are_the_seeded_ones():
    settings_table, rates_table, prices_table = SECTIONS["Cost defaults"]
    settings = CostSettings.load()
    with translation.override("en"):
        fields = {str(field.verbose_name): field.name for field in CostSettings._meta.fields}
    documented = {fields[row["setting"]]: row["default"] for row in settings_table}
    assert documented.pop("currency") == settings.currency
    assert {name: _number(cell) for name, cell in documented.items()} == {
        name: getattr(settings, name) for name in documented
    }
    assert {row["currency"]: _number(row["yen per unit"]) for row in rates_table} == dict(
        ExchangeRate.objects.values_list("currency", "rate")
    )
    # The worked example under the table.
    assert economics.self_hosting_cost(economics.Assumptions.load(), 1) == 775_000
    assert "= JPY 775,000" in REFERENCE.read_text(encoding="utf-8")
    listed = {
        name: (_number(price_in), _number(price_out), currency)
        for name, *_r, price_in, price_out, currency, _c, _s, _n in demo.MODELS
    }
    assert {
        row["model"]: (_number(row["input"]), _number(row["output"]), row["currency"]) for row in prices_table
    } == listed


@pytest.mark.django_db
def test_licence_table_is_the_seeded_catalogue():
    (licences,) = SECTIONS["Licence table"]
    documented = {
        row["identifier"]: (
            row["name"],
            YES_NO[row["commercial use"]],
            YES_NO[row["redistribution"]],
            YES_NO[row["attribution"]],
            YES_NO[row["non-commercial only"]],
            [] if row["restriction kinds"] == NONE else row["restriction kinds"].split(", "),
            _number(row["user limit"]),
        )
        for row in licences
    }
    seeded = {
        licence.identifier: (
            licence.name,
            licence.commercial_use,
            licence.redistribution,
            licence.attribution_required,
            licence.non_commercial_only,
            licence.restriction_kinds,
            licence.user_limit,
        )
        for licence in Licence.objects.all()
    }
    assert documented == seeded


CONDITIONS = {
    "allowed": ("allowed", frozenset()),
    "prohibited": ("prohibited", frozenset()),
    "conditional (approval)": ("conditional", frozenset({"require_vendor_approval"})),
    "conditional (confidential API)": ("conditional", frozenset(ClassificationRule.CONDITION_FIELDS)),
}


@pytest.mark.django_db
def test_classification_matrix_and_review_cadence_are_the_seeded_ones():
    matrix, cadence = SECTIONS["Classification matrix defaults"]
    styles = [column for column in matrix[0] if column not in ("level", "rank", "allowed regions")]
    documented, seeded = {}, {}
    for row in matrix:
        regions = [] if row["allowed regions"] == NONE else row["allowed regions"].split(", ")
        documented[row["level"]] = (int(row["rank"]), regions, {style: CONDITIONS[row[style]] for style in styles})
    for level in ClassificationLevel.objects.all():
        cells = {}
        for rule in ClassificationRule.objects.filter(level=level):
            required = frozenset(name for name in ClassificationRule.CONDITION_FIELDS if getattr(rule, name))
            cells[rule.style] = (rule.verdict, required)
        regions = [str(region) for region in level.allowed_regions]
        seeded[level.code] = (level.rank, regions, cells)
    assert documented == seeded
    assert {row["risk tier"]: int(row["days"]) for row in cadence} == dict(
        RiskTierSetting.objects.values_list("tier", "review_interval_days")
    )
