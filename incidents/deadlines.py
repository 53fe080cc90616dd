"""Deadline rules as data: the facts of an incident -> the clocks it starts and their due dates.

``facts(incident)`` reads what the rules may ask; ``matching_clocks(facts, rules, starts)``
is pure (a table test feeds it facts) and gives ``{clock: (rule, due_at)}``, one entry per
clock with the earliest due date of the active rules that match."""

import datetime
from dataclasses import dataclass

from incidents.choices import SERIOUS_SEVERITIES, Category

_CONDITIONS = (
    ("requires_personal_data", "personal_data"),
    ("requires_sensitive_data", "sensitive_data"),
    ("requires_unauthorised_access", "unauthorised_access"),
    ("requires_serious", "serious"),
    ("requires_high_risk_use_case", "high_risk_use_case"),
    ("requires_vendor", "vendor"),
)


@dataclass(frozen=True)
class Facts:
    affected_people: int = 0
    personal_data: bool = False
    sensitive_data: bool = False
    unauthorised_access: bool = False
    serious: bool = False
    high_risk_use_case: bool = False
    vendor: bool = False


def facts(incident):
    use_case = incident.use_case
    return Facts(
        affected_people=incident.affected_people or 0,
        personal_data=incident.personal_data or incident.sensitive_data,
        sensitive_data=incident.sensitive_data,
        unauthorised_access=incident.unauthorised_access,
        serious=incident.severity in SERIOUS_SEVERITIES,
        high_risk_use_case=bool(use_case is not None and use_case.effective_risk_tier == "high"),
        vendor=bool(incident.vendor_id or incident.category == Category.VENDOR),
    )


def rule_matches(rule, fact):
    if not rule.is_active:
        return False
    if rule.min_affected_people is not None and fact.affected_people <= rule.min_affected_people:
        return False
    return all(
        getattr(rule, condition) is None or getattr(rule, condition) == getattr(fact, name)
        for condition, name in _CONDITIONS
    )


def matching_clocks(fact, rules, starts):
    """``{clock: (rule, due_at)}``; ``starts`` maps a ``ClockStart`` value to its time (a rule
    counted from a time not known yet is skipped)."""
    clocks = {}
    for rule in rules:
        start = starts.get(rule.starts_from)
        if start is None or not rule_matches(rule, fact):
            continue
        due_at = start + datetime.timedelta(hours=rule.due_hours)
        if rule.clock not in clocks or due_at < clocks[rule.clock][1]:
            clocks[rule.clock] = (rule, due_at)
    return clocks


def starts_of(incident):
    return {"noticed_at": incident.noticed_at, "reported_at": incident.reported_at, "triaged_at": incident.triaged_at}
