"""The governance panels of the use-case pages (registered in ``usecases.extensions``)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import reviewers, services
from governance.choices import SEVERITY_ORDER, ReminderKind
from governance.forms import StageAssignForm, StageDecisionForm
from governance.models import ApprovalStage, PolicyException, Reminder, StageDefinition
from governance.recommend import recommend
from usecases.choices import CLOSED_STATES, LIVE_STATES
from usecases.models import UseCase
from vendors.choices import ANSWERABLE_STATES
from vendors.models import Assessment, Vendor


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
            ApprovalStage.objects.filter(use_case=use_case).select_related(
                "definition", "group", "decided_by", "assigned_to"
            )
        )
        current = next((stage for stage in stages if stage.status == "pending" and stage.started_at), None)
        if current is not None:
            current.use_case = use_case
        for stage in stages:
            stage.use_case = use_case
        open_case = use_case.status not in CLOSED_STATES
        return {
            "findings": findings,
            "blocking_open": [f for f in findings if f.severity == "block" and not f.excepted],
            "exceptions": exceptions,
            "stages": stages,
            "current_stage": current,
            "can_grant": open_case and services.can_grant_exception(user, use_case),
            "can_override": open_case and services.can_override_risk_tier(user, use_case),
            "recommendation": recommend(use_case),
        }


class DecisionPanel:
    """At the top of the use case's page, for the current stage's group: the decision, what
    blocks an approval and how to resolve it, and who works on the stage."""

    template_name = "governance/panels/decision.html"

    def get_context(self, request, use_case):
        user = request.user
        if not user.is_authenticated or not user.has_perm("governance.decide_approvalstage"):
            return {"show": False}
        current = (
            ApprovalStage.objects.active()
            .filter(use_case=use_case)
            .select_related("definition", "group", "assigned_to")
            .first()
        )
        if current is None or use_case.status in CLOSED_STATES:
            return {"show": False}
        current.use_case = use_case
        may_decide = services.can_decide(user, current)
        may_assign = reviewers.may_assign(user, current)
        if not (may_decide or may_assign):
            return {"show": False}
        exceptions = PolicyException.objects.filter(use_case=use_case).valid()
        excepted = {(exception.rule_id, exception.subject) for exception in exceptions}
        blocking = [
            finding
            for finding in use_case.findings.blocking().order_by("rule_id", "subject")
            if (finding.rule_id, finding.subject) not in excepted
        ]
        four_eyes = may_decide and services.breaks_four_eyes(user, current, use_case)
        return {
            "show": True,
            "stage": current,
            "blocking": blocking,
            "four_eyes": four_eyes,
            "decide_form": StageDecisionForm(prefix="stage") if may_decide and not four_eyes else None,
            "may_assign": may_assign,
            "assign_form": StageAssignForm(assignees=reviewers.assignable_users(current)) if may_assign else None,
        }


class RecommendationFormPanel:
    template_name = "governance/panels/recommendation_form.html"

    def get_context(self, request, use_case):
        return {"recommendation": recommend(use_case or UseCase())}


class UpcomingRemindersPanel:
    """Upcoming review dates of a use case or vendor and the reminders about them."""

    template_name = "governance/panels/upcoming.html"

    def get_context(self, request, obj):
        user = request.user
        dates, subjects = upcoming_dates(obj, user)
        condition = Q()
        for model, ids in subjects.items():
            condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
        rows = (
            Reminder.objects.filter(condition)
            .exclude(kind=ReminderKind.EVENT)  # workflow notices are not reminders of a date
            .select_related("recipient")
            .order_by("-due_on", "-created_at")[:20]
        )
        return {
            "dates": sorted(dates, key=lambda item: item[1]),
            "reminders": rows,
            "show_recipients": user.has_perm("governance.view_reminder") or user.has_perm("usecases.review_usecase"),
        }


def upcoming_dates(obj, user):
    """([(label, date)], {model: [ids the reminders are about]}) of a use case or vendor;
    a vendor's questionnaires only for those who may see assessments."""
    today = timezone.localdate()
    if isinstance(obj, UseCase):
        dates = []
        if obj.next_review_on and obj.status in LIVE_STATES:
            dates.append((_("Periodic re-review"), obj.next_review_on))
        stages = list(ApprovalStage.objects.active().filter(use_case=obj).select_related("definition"))
        dates += [(_("Decision due: %(stage)s") % {"stage": stage.definition}, stage.due_on) for stage in stages]
        exceptions = list(PolicyException.objects.filter(use_case=obj, expires_on__gte=today))
        dates += [
            (_("Exception expires: %(rule)s") % {"rule": exception.rule_id}, exception.expires_on)
            for exception in exceptions
        ]
        all_stage_ids = ApprovalStage.objects.filter(use_case=obj).values_list("pk", flat=True)
        all_exception_ids = PolicyException.objects.filter(use_case=obj).values_list("pk", flat=True)
        return dates, {UseCase: [obj.pk], ApprovalStage: all_stage_ids, PolicyException: all_exception_ids}
    dates = []
    if obj.next_reassessment_on:
        dates.append((_("Reassessment due"), obj.next_reassessment_on))
    if not user.has_perm("vendors.view_assessment"):
        return dates, {Vendor: [obj.pk]}
    open_assessments = list(Assessment.objects.filter(vendor=obj, status__in=ANSWERABLE_STATES))
    dates += [
        (
            _("Questionnaire link expires: %(reference)s") % {"reference": a.reference},
            timezone.localdate(a.link_expires_at),
        )
        for a in open_assessments
    ]
    assessment_ids = Assessment.objects.filter(vendor=obj).values_list("pk", flat=True)
    return dates, {Vendor: [obj.pk], Assessment: assessment_ids}


class StageNames:
    """Use-case history: stage decisions record the stage's code; show its name."""

    def __call__(self, events):
        codes = {event.data.get("stage") for event in events if isinstance(event.data, dict)} - {None}
        if not codes:
            return
        names = {stage.code: str(stage) for stage in StageDefinition.objects.filter(code__in=codes)}
        for event in events:
            if isinstance(event.data, dict) and event.data.get("stage"):
                event.stage_name = names.get(event.data["stage"], event.data["stage"])
