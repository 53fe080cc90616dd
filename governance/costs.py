"""The policy checks as the cost view sees them (``governance.wiring`` registers them in
``usecases.economics.POLICY_CHECKS``).

The cost view compares the use case's own models and, without them, the approved catalogue;
each option is evaluated as if it were the use case's only model, so catalogue options are
checked against this use case's data and rules too. Use-case-wide findings (no subject) are
not about an option and do not mark it.
"""

import dataclasses

from governance import rules
from governance.checks import check_context
from governance.models import PolicyException


def blocking_reasons(use_case, options):
    """{(model_pk, deployment): [rule title, ...]} for the options a blocking rule refuses."""
    if not options:
        return {}
    context = check_context(use_case)
    excepted = set()
    if use_case.pk is not None:
        excepted = set(PolicyException.objects.filter(use_case=use_case).valid().values_list("rule_id", "subject"))
    found = {}
    for model, deployment in dict.fromkeys(options):
        results = rules.evaluate(dataclasses.replace(context, choices=[(deployment, model)]))
        titles = [
            str(result.rule.title)
            for result in results
            if result.severity == rules.BLOCK and result.subject and (result.rule_id, result.subject) not in excepted
        ]
        if titles:
            found[(model.pk, deployment)] = list(dict.fromkeys(titles))
    return found
