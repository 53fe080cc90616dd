"""The governance panels of the use-case pages (registered in ``usecases.extensions``)."""

from governance import services
from governance.choices import SEVERITY_ORDER
from governance.forms import StageDecisionForm
from governance.models import ApprovalStage, PolicyException
from governance.recommend import recommend
from usecases.choices import CLOSED_STATES
from usecases.models import UseCase


class UseCaseGovernancePanel:
    template_name = "governance/panels/use_case_governance.html"

    def get_context(self, request, use_case):
        user = request.user
        findings = sorted(use_case.findings.all(), key=lambda f: (SEVERITY_ORDER[f.severity], f.rule_id, f.subject))
        exceptions = list(PolicyException.objects.filter(use_case=use_case).select_related("granted_by"))
        valid = {(exception.rule_id, exception.subject) for exception in exceptions if exception.is_valid}
        for finding in findings:
            finding.excepted = (finding.rule_id, finding.subject) in valid
        stages = list(
            ApprovalStage.objects.filter(use_case=use_case).select_related("definition", "group", "decided_by")
        )
        current = next((stage for stage in stages if stage.status == "pending" and stage.started_at), None)
        if current is not None:
            current.use_case = use_case
        may_decide = current is not None and services.can_decide(user, current)
        open_case = use_case.status not in CLOSED_STATES
        return {
            "findings": findings,
            "blocking_open": [f for f in findings if f.severity == "block" and not f.excepted],
            "exceptions": exceptions,
            "stages": stages,
            "current_stage": current,
            "decide_form": StageDecisionForm(prefix="stage") if may_decide else None,
            "can_grant": open_case and services.can_grant_exception(user, use_case),
            "can_override": open_case and services.can_override_risk_tier(user, use_case),
            "recommendation": recommend(use_case),
        }


class RecommendationFormPanel:
    template_name = "governance/panels/recommendation_form.html"

    def get_context(self, request, use_case):
        return {"recommendation": recommend(use_case or UseCase())}


def install():
    from usecases import extensions

    for registry, panel in (
        (extensions.DETAIL_PANELS, UseCaseGovernancePanel()),
        (extensions.FORM_PANELS, RecommendationFormPanel()),
    ):
        if not any(type(existing) is type(panel) for existing in registry):
            registry.append(panel)
