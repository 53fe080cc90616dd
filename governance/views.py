from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView
from django_filters.views import FilterView

from governance import services
from governance.audit_filters import AuditPageFilterSet
from governance.choices import ReminderStatus
from governance.exports import AUDIT
from governance.filters import ReminderFilterSet
from governance.forms import (
    ClassificationLevelForm,
    ClassificationRuleForm,
    NotificationPreferenceForm,
    PolicyExceptionForm,
    RiskTierOverrideForm,
    StageDecisionForm,
)
from governance.models import ApprovalStage, ClassificationLevel, ClassificationRule, Notification, Reminder
from governance.recommend import recommend
from governance.reminders import outbox
from portal.audit_display import describe
from portal.errors import PermissionRequiredMixin
from portal.exceptions import RuleViolation
from portal.forms import add_errors
from portal.models import AuditEvent
from portal.pages import show_rule_violation
from portal.views import QueryStringMixin
from usecases.choices import DeploymentStyle
from usecases.forms import UseCaseForm
from usecases.models import UseCase
from usecases.services import TransitionNotAllowed


class MatrixView(LoginRequiredMixin, TemplateView):
    """The classification matrix, readable by everyone signed in."""

    template_name = "governance/matrix.html"

    def get_context_data(self, **kwargs):
        levels = list(ClassificationLevel.objects.prefetch_related("rules"))
        for level in levels:
            cells = {rule.style: rule for rule in level.rules.all()}
            level.cells = [cells.get(style) for style in DeploymentStyle.values]
        changes = describe(
            AuditEvent.objects.filter(
                content_type__app_label="governance",
                content_type__model__in=["classificationrule", "classificationlevel"],
            )[:20]
        )
        return super().get_context_data(
            levels=levels,
            changes=changes,
            styles=DeploymentStyle.choices,
            can_edit=self.request.user.has_perm("governance.manage_classification"),
            **kwargs,
        )


class _PolicyEditView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "governance.manage_classification"
    template_name = "governance/policy_form.html"
    model = form_class = service = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = get_object_or_404(self.model, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.form_class(instance=self.object)))

    def post(self, request, *args, **kwargs):
        form = self.form_class(request.POST, instance=self.model.objects.get(pk=self.object.pk))
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
            type(self).service(self.object, request.user, fields)
            messages.success(
                request, _("Saved; the change is in the audit trail and affected use cases are re-checked.")
            )
            return redirect("governance:matrix")
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, **kwargs)


class MatrixRuleUpdateView(_PolicyEditView):
    model = ClassificationRule
    form_class = ClassificationRuleForm
    service = services.update_matrix_rule


class LevelUpdateView(_PolicyEditView):
    model = ClassificationLevel
    form_class = ClassificationLevelForm
    service = services.update_level


class _UseCaseActionView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Role first (403), then the use case must be visible (404), then ``may_act`` (403)."""

    may_act = None  # services.can_...(user, use_case), where the owner may not act

    def has_permission(self):
        if not super().has_permission():
            return False
        self.use_case = get_object_or_404(
            UseCase.objects.visible_to(self.request.user), reference=self.kwargs["reference"]
        )
        return self.may_act is None or self.may_act(self.request.user, self.use_case)

    def get_context_data(self, **kwargs):
        return super().get_context_data(use_case=self.use_case, **kwargs)


class StageDecideView(_UseCaseActionView):
    http_method_names = ["post"]
    permission_required = "governance.decide_approvalstage"

    def post(self, request, reference, pk):
        stage = get_object_or_404(ApprovalStage, pk=pk, use_case=self.use_case)
        # Rights before input: a stage of another group is refused whatever the form says.
        if not services.can_decide(request.user, stage):
            raise PermissionDenied
        form = StageDecisionForm(request.POST, prefix="stage")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(self.use_case)
        try:
            services.decide_stage(stage, request.user, form.cleaned_data["decision"], form.cleaned_data["comment"])
        except (RuleViolation, TransitionNotAllowed, ValidationError) as error:
            show_rule_violation(request, error)
        else:
            messages.success(request, _("Decision recorded."))
        return redirect(self.use_case)


class GrantExceptionView(_UseCaseActionView):
    permission_required = "governance.grant_policyexception"
    may_act = staticmethod(services.can_grant_exception)
    template_name = "governance/exception_form.html"

    def _form(self, data=None):
        findings = list(self.use_case.findings.filter(severity="block"))
        return PolicyExceptionForm(data, findings=findings)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self._form()))

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if form.is_valid():
            rule_id, subject = form.cleaned_data["finding"]
            try:
                services.grant_exception(
                    self.use_case,
                    request.user,
                    rule_id,
                    subject,
                    form.cleaned_data["justification"],
                    form.cleaned_data["expires_on"],
                )
            except ValidationError as error:
                add_errors(form, error)
            except TransitionNotAllowed as error:
                show_rule_violation(request, error, form)
            else:
                messages.success(request, _("Exception granted."))
                return redirect(self.use_case)
        return self.render_to_response(self.get_context_data(form=form))


class RiskTierOverrideView(_UseCaseActionView):
    permission_required = "usecases.review_usecase"
    may_act = staticmethod(services.can_override_risk_tier)
    template_name = "governance/override_form.html"

    def get(self, request, *args, **kwargs):
        form = RiskTierOverrideForm(initial={"tier": self.use_case.risk_tier_override})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = RiskTierOverrideForm(request.POST)
        if form.is_valid():
            try:
                services.override_risk_tier(
                    self.use_case, request.user, form.cleaned_data["tier"], form.cleaned_data["justification"]
                )
            except ValidationError as error:
                add_errors(form, error)
            except TransitionNotAllowed as error:
                show_rule_violation(request, error, form)
            else:
                messages.success(request, _("Risk tier saved."))
                return redirect(self.use_case)
        return self.render_to_response(self.get_context_data(form=form))


class RecommendationView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """The recommendation for the answers typed so far (the form asks for it as you type)."""

    permission_required = "usecases.view_usecase"
    template_name = "governance/panels/recommendation_body.html"

    def get(self, request, *args, **kwargs):
        form = UseCaseForm(request.GET, instance=UseCase(), user=request.user)
        form.is_valid()  # partial answers are fine: use whatever is valid
        facts = UseCase(**{name: value for name, value in form.cleaned_data.items() if name in _FACT_FIELDS})
        return self.render_to_response(self.get_context_data(recommendation=recommend(facts)))


_FACT_FIELDS = {
    "category",
    "audience",
    "data_classification",
    "customers_see_output",
    "tuned_on_own_data",
    "uses_internal_knowledge",
    "fast_start",
}


class AuditAccessMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "portal.view_auditevent"

    def get_queryset(self):
        return AuditEvent.objects.select_related("content_type")


class AuditListView(AuditAccessMixin, QueryStringMixin, FilterView):
    filterset_class = AuditPageFilterSet
    template_name = "governance/audit_list.html"
    paginate_by = 50
    strict = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # States, fields, values, groups and rules as labels (one batch of look-ups per page).
        context["object_list"] = describe(context["object_list"])
        return context


class AuditExportView(AuditAccessMixin, View):
    """The filtered audit trail as CSV (governance.exports)."""

    def get(self, request):
        filterset = AuditPageFilterSet(request.GET, queryset=self.get_queryset(), request=request)
        return AUDIT.response(filterset.qs if filterset.is_valid() else self.get_queryset().none(), "csv")


# --- Notifications and reminders ----------------------------------------------------------------


class InboxView(LoginRequiredMixin, ListView):
    """The signed-in user's notifications, newest first, with the digest preference."""

    template_name = "governance/inbox.html"
    paginate_by = 30
    context_object_name = "notifications"

    def get_queryset(self):
        queryset = Notification.objects.for_user(self.request.user)
        if self.request.GET.get("unread"):
            queryset = queryset.unread()
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            preference_form=NotificationPreferenceForm(instance=self.request.user), **kwargs
        )


class NotificationReadView(LoginRequiredMixin, View):
    """Mark one notification (``pk``) or all of the user's notifications read."""

    http_method_names = ["post"]

    def post(self, request, pk=None):
        notifications = Notification.objects.for_user(request.user).unread()
        if pk is not None:
            notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
            notifications = notifications.filter(pk=notification.pk)
            target = notification.reminder.url
        else:
            target = None
        notifications.update(read_at=timezone.now())
        if target and request.POST.get("open"):
            return redirect(target)
        return redirect("governance:inbox")


class NotificationPreferenceView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = NotificationPreferenceForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your notification preference was saved."))
        return redirect("governance:inbox")


class ReminderListView(LoginRequiredMixin, PermissionRequiredMixin, QueryStringMixin, FilterView):
    """Governance admins see every reminder: waiting, sent, failed (with the error)."""

    permission_required = "governance.view_reminder"
    filterset_class = ReminderFilterSet
    template_name = "governance/reminder_list.html"
    paginate_by = 50
    strict = True

    def get_queryset(self):
        return Reminder.objects.select_related("recipient", "destination").order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        counts = dict(Reminder.objects.values_list("status").annotate(count=Count("pk")).order_by())
        return super().get_context_data(
            status_counts=[(label, counts.get(value, 0), value) for value, label in ReminderStatus.choices],
            can_retry=self.request.user.has_perm("governance.change_reminder"),
            **kwargs,
        )


class ReminderRetryView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """Send failed reminders again, after the mail server or address was fixed."""

    permission_required = "governance.change_reminder"
    http_method_names = ["post"]

    def post(self, request):
        ids = [int(value) for value in request.POST.getlist("reminder") if value.isdigit()]
        if request.POST.get("all_failed"):
            ids = list(Reminder.objects.filter(status=ReminderStatus.FAILED).values_list("pk", flat=True))
        count = outbox.retry_failed(ids)
        messages.success(request, outbox.reminders_sent_again(count))
        return redirect(f"{reverse('governance:reminders')}?status=pending")
