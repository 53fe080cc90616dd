"""What governance adds to a use case's conversation (``usecases.comments.thread``):
the reviewers' decisions with their comments, and the deciders as followers."""

from django.utils.translation import gettext as _

from governance.delegation import route
from governance.models import ApprovalStage
from usecases.comments.thread import ThreadItem


class DecisionThread:
    """A thread source: one item per decided stage; followers are who decided a stage and
    who is assigned one still waiting (or who stands in for them today)."""

    def items(self, use_case):
        stages = (
            ApprovalStage.objects.filter(use_case=use_case)
            .exclude(decision="")
            .select_related("definition", "decided_by")
            .order_by("decided_at", "id")
        )
        return [
            ThreadItem(
                at=stage.decided_at,
                author=stage.decided_by,
                kind="decision",
                title=_("%(stage)s: %(decision)s")
                % {"stage": stage.definition, "decision": stage.get_decision_display()},
                text=stage.comment,
                details={"stage": str(stage.definition), "decision": stage.decision},
            )
            for stage in stages
        ]

    def followers(self, use_case):
        rows = ApprovalStage.objects.filter(use_case=use_case).values_list("decided_by_id", "assigned_to_id", "status")
        decided = [decider for decider, _assignee, _status in rows if decider]
        assigned = [assignee for decider, assignee, _status in rows if assignee and not decider]
        return list(dict.fromkeys([*decided, *route(assigned)]))
