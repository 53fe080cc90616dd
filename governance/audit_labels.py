"""What governance names in audit events, for ``portal.audit_display`` (registered in
``wiring.install()``): review groups by their stage's name, stage codes by name, rule ids by
title and decisions by label. Each lookup takes every code of a page at once."""

from governance.choices import StageDecision
from governance.models import StageDefinition
from governance.rules import RULES


def group_labels(names):
    """A review group by the name of the stage it decides (several stages: joined)."""
    labels = {}
    for definition in StageDefinition.objects.filter(group__name__in=names).select_related("group"):
        labels.setdefault(definition.group.name, []).append(str(definition))
    return {name: " / ".join(stages) for name, stages in labels.items()}


def stage_labels(codes):
    return {stage.code: str(stage) for stage in StageDefinition.objects.filter(code__in=codes)}


def rule_labels(rule_ids):
    return {rule_id: str(RULES[rule_id].title) for rule_id in rule_ids if rule_id in RULES}


def decision_labels(codes):
    labels = dict(StageDecision.choices)
    return {code: labels[code] for code in codes if code in labels}


LOOKUPS = {"group": group_labels, "stage": stage_labels, "rule": rule_labels, "decision": decision_labels}
