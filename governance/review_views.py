"""The reviewer's pages: the queue, assigning stages, delegating while away."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView

from governance import reviewers
from governance.filters import StageQueueFilterSet
from governance.forms import DelegationForm, StageAssignForm
from governance.models import ApprovalStage, Delegation
from portal.errors import PermissionRequiredMixin
from portal.exceptions import RuleViolation
from portal.forms import add_errors
from portal.pages import show_rule_violation
from portal.views import QueryStringMixin
from usecases.models import UseCase


class ReviewerMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "governance.decide_approvalstage"


class ReviewQueueView(ReviewerMixin, QueryStringMixin, FilterView):
    """Stages waiting for my groups, soonest due first; searchable, filterable, sortable."""

    template_name = "governance/queue.html"
    filterset_class = StageQueueFilterSet
    context_object_name = "stages"
    paginate_by = 50
    strict = True

    def get_queryset(self):
        return ApprovalStage.objects.queue_for(self.request.user).select_related("assigned_to")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(today=timezone.localdate(), **kwargs)
        stages = list(context["stages"])
        # Colleagues each row may be assigned to: one query for every group on the page.
        group_ids = {stage.group_id for stage in stages}
        members = {}
        people = (
            get_user_model()
            .objects.filter(is_active=True, groups__in=group_ids)
            .values_list("groups", "pk", "username", "first_name", "last_name")
            .order_by("last_name", "first_name", "username")
        )
        for group_id, pk, username, first_name, last_name in people:
            if group_id in group_ids:
                name = f"{last_name} {first_name}".strip() or username
                members.setdefault(group_id, []).append((pk, name))
        for stage in stages:
            stage.colleagues = [
                (pk, name) for pk, name in members.get(stage.group_id, []) if pk != stage.use_case.owner_id
            ]
        context["stages"] = stages
        return context


def _back(request, stage):
    return redirect("governance:queue") if request.POST.get("back") == "queue" else redirect(stage.use_case)


class _StageActionView(ReviewerMixin, View):
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            use_cases = UseCase.objects.visible_to(request.user)
            self.stage = get_object_or_404(
                ApprovalStage.objects.select_related("use_case", "group", "definition"),
                pk=kwargs["pk"],
                use_case__in=use_cases,
            )
            # Rights before input: only members of the stage's group assign it.
            if not reviewers.may_assign(request.user, self.stage):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class StageAssignView(_StageActionView):
    """Assign to me (``me``) or to a colleague of the stage's group (``assignee``)."""

    def post(self, request, pk):
        stage = self.stage
        if request.POST.get("me"):
            assignee = request.user
        else:
            form = StageAssignForm(request.POST, assignees=reviewers.assignable_users(stage))
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, error)
                return _back(request, stage)
            assignee = form.cleaned_data["assignee"]
        try:
            reviewers.assign_stage(stage, assignee, request.user)
        except RuleViolation as error:
            show_rule_violation(request, error)
        else:
            messages.success(request, _("Assigned to %(name)s.") % {"name": assignee})
        return _back(request, stage)


class StageUnassignView(_StageActionView):
    def post(self, request, pk):
        try:
            reviewers.unassign_stage(self.stage, request.user)
        except RuleViolation as error:
            show_rule_violation(request, error)
        else:
            messages.success(request, _("The stage is back with the whole group."))
        return _back(request, self.stage)


class DelegationView(ReviewerMixin, TemplateView):
    """Name a delegate for the days I am away; see and end my delegations."""

    template_name = "governance/delegations.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = timezone.localdate()
        mine = Delegation.objects.filter(user=user, ends_on__gte=today).select_related("delegate")
        for_me = Delegation.objects.filter(delegate=user, ends_on__gte=today).select_related("user")
        kwargs.setdefault("form", DelegationForm(user=user))
        return super().get_context_data(delegations=mine, for_me=for_me, today=today, **kwargs)

    def post(self, request):
        form = DelegationForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reviewers.create_delegation(
                    request.user, data["delegate"], data["starts_on"], data["ends_on"], data["note"]
                )
            except ValidationError as error:
                add_errors(form, error)
            except RuleViolation as error:
                show_rule_violation(request, error, form)
            else:
                messages.success(request, _("Delegate named: %(name)s.") % {"name": data["delegate"]})
                return redirect("governance:delegations")
        return self.render_to_response(self.get_context_data(form=form))


class DelegationEndView(ReviewerMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        delegation = get_object_or_404(Delegation, pk=pk, user=request.user)
        try:
            reviewers.end_delegation(delegation, request.user)
        except RuleViolation as error:
            show_rule_violation(request, error)
        else:
            messages.success(request, _("The delegation has ended."))
        return redirect("governance:delegations")
