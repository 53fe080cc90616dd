"""Incident pages: report (anyone signed in), the register, an incident's page and its buttons."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from incidents import exports, services, suspension
from incidents.choices import IncidentState, IncidentTransition, Severity
from incidents.forms import ActionForm, CommentForm, DeadlineDoneForm, EvidenceForm, ReportForm, TriageForm
from incidents.models import Incident, IncidentAction, IncidentEvidence
from incidents.querysets import is_incident_manager
from portal.exceptions import RuleViolation
from portal.pages import show_rule_violation
from usecases.models import UseCase

PAGE_ACTIONS = {
    IncidentTransition.CONTAIN: services.contain,
    IncidentTransition.CLOSE: services.close,
    IncidentTransition.REJECT: services.reject,
}


class IncidentListView(LoginRequiredMixin, ListView):
    template_name = "incidents/incident_list.html"
    paginate_by = 50

    def get_queryset(self):
        rows = Incident.objects.visible_to(self.request.user).with_related()
        state = self.request.GET.get("state")
        if state in IncidentState.values:
            rows = rows.filter(state=state)
        severity = self.request.GET.get("severity")
        if severity in Severity.values:
            rows = rows.filter(severity=severity)
        return rows

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            states=IncidentState.choices,
            severities=Severity.choices,
            is_manager=is_incident_manager(self.request.user),
            **kwargs,
        )


class IncidentExportView(LoginRequiredMixin, View):
    def get(self, request, fmt):
        rows = exports.export_queryset(Incident.objects.visible_to(request.user))
        return exports.REGISTER.response(rows, fmt)


class ReportView(LoginRequiredMixin, FormView):
    template_name = "incidents/report.html"

    def get_form(self, form_class=None):
        return ReportForm(**self.get_form_kwargs(), user=self.request.user)

    def get_initial(self):
        initial = {}
        for name in ("use_case", "vendor", "ai_model", "prompt_template"):
            value = self.request.GET.get(name, "")
            if value.isdigit() and len(value) < 12:
                initial[name] = int(value)
        return initial

    def form_valid(self, form):
        files = [form.cleaned_data["evidence"]] if form.cleaned_data.get("evidence") else []
        try:
            incident = services.report(self.request.user, form.cleaned_data, files=files)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # a refused evidence file
                form.add_error("evidence", error.messages)
                return self.form_invalid(form)
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        except RuleViolation as error:
            return self.render_to_response(
                self.get_context_data(form=form), status=show_rule_violation(self.request, error, form)
            )
        messages.success(
            self.request, _("Thank you. Incident %(reference)s is reported.") % {"reference": incident.reference}
        )
        return redirect(incident)


class IncidentMixin(LoginRequiredMixin):
    """Loads the incident the user may see (404 otherwise, never saying whether it exists)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.incident = get_object_or_404(
            Incident.objects.visible_to(request.user).with_related(), reference=kwargs["reference"]
        )
        return super().dispatch(request, *args, **kwargs)


class IncidentDetailView(IncidentMixin, DetailView):
    template_name = "incidents/incident_detail.html"
    context_object_name = "incident"

    def get_object(self, queryset=None):
        return self.incident

    def get_context_data(self, **kwargs):
        incident, user = self.incident, self.request.user
        handler = services.is_handler(user, incident)
        manager = is_incident_manager(user)
        actions = services.allowed_actions(incident, user)
        return super().get_context_data(
            actions=[(action, IncidentTransition(action).label) for action in actions if action in PAGE_ACTIONS],
            may_triage=IncidentTransition.TRIAGE in actions,
            may_resolve=IncidentTransition.RESOLVE in actions,
            triage_form=TriageForm(instance=incident, prefix="triage")
            if IncidentTransition.TRIAGE in actions
            else None,
            comment_form=CommentForm(),
            action_form=ActionForm(prefix="action")
            if handler and incident.state in (IncidentState.TRIAGED, IncidentState.CONTAINED)
            else None,
            deadlines=list(incident.deadlines.select_related("done_by")),
            incident_actions=list(incident.actions.select_related("owner", "done_by")),
            evidence=list(incident.evidence.all()),
            is_handler=handler,
            may_add_evidence=handler or incident.reporter_id == user.pk,
            evidence_form=EvidenceForm(),
            may_suspend=manager
            and incident.is_serious
            and incident.use_case_id
            and incident.state in (IncidentState.TRIAGED, IncidentState.CONTAINED)
            and incident.use_case.status in ("approved", "piloting", "in_production"),
            **kwargs,
        )


class IncidentPostView(IncidentMixin, View):
    http_method_names = ["post"]

    def post(self, request, reference, **kwargs):
        try:
            self.act(request, **kwargs)
        except PermissionDenied:
            raise
        except ValidationError as error:
            for line in error.messages:
                messages.error(request, line)
        except RuleViolation as error:
            show_rule_violation(request, error)
        return redirect("incidents:detail", reference=reference)


class TriageView(IncidentPostView):
    def act(self, request):
        if not is_incident_manager(request.user):
            raise PermissionDenied  # rights before input
        form = TriageForm(request.POST, instance=Incident(), prefix="triage")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return
        data = form.cleaned_data
        services.triage(self.incident, request.user, data, comment=request.POST.get("triage-comment", ""))
        messages.success(request, _("The incident is triaged; its deadlines are running."))


class TransitionView(IncidentPostView):
    def act(self, request, action):
        form = CommentForm(request.POST)
        form.is_valid()
        comment = form.cleaned_data.get("comment", "")
        if action == IncidentTransition.RESOLVE:
            services.resolve(
                self.incident, request.user, resolution=form.cleaned_data.get("resolution", ""), comment=comment
            )
        elif action in PAGE_ACTIONS:
            PAGE_ACTIONS[action](self.incident, request.user, comment=comment)
        else:
            raise Http404
        messages.success(request, _("Saved."))


class SuspendView(IncidentPostView):
    def act(self, request):
        suspension.suspend_use_case(self.incident, request.user, comment=request.POST.get("comment", "")[:2000])
        messages.success(request, _("The use case is suspended."))


class AddActionView(IncidentPostView):
    def act(self, request):
        if not services.is_handler(request.user, self.incident):
            raise PermissionDenied  # rights before input
        form = ActionForm(request.POST, prefix="action")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return
        data = form.cleaned_data
        services.add_action(
            self.incident, request.user, data["kind"], data["description"], data["owner"], data.get("due_on")
        )
        messages.success(request, _("Action added."))


class CompleteActionView(IncidentPostView):
    def act(self, request, pk):
        action = get_object_or_404(IncidentAction, pk=pk, incident=self.incident)
        services.complete_action(action, request.user)
        messages.success(request, _("Action done."))


class DeadlineDoneView(IncidentPostView):
    def act(self, request, pk):
        if not services.is_handler(request.user, self.incident):
            raise PermissionDenied
        deadline = get_object_or_404(self.incident.deadlines, pk=pk)
        form = DeadlineDoneForm(request.POST)
        form.is_valid()
        services.mark_deadline_done(deadline, request.user, form.cleaned_data.get("note", ""))
        messages.success(request, _("Deadline marked done."))


class AddEvidenceView(IncidentPostView):
    def act(self, request):
        if not (services.is_handler(request.user, self.incident) or self.incident.reporter_id == request.user.pk):
            raise PermissionDenied  # rights before input
        form = EvidenceForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose a file."))
            return
        services.add_evidence(self.incident, request.user, form.cleaned_data["file"])
        messages.success(request, _("File added."))


class EvidenceDownloadView(LoginRequiredMixin, View):
    """Evidence is served only to those who may see the incident, never from a public URL."""

    def get(self, request, pk):
        evidence = get_object_or_404(
            IncidentEvidence.objects.filter(incident__in=Incident.objects.visible_to(request.user)), pk=pk
        )
        response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class LiftSuspensionView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, reference):
        use_case = get_object_or_404(UseCase.objects.visible_to(request.user), reference=reference)
        try:
            suspension.lift_suspension(use_case, request.user, comment=request.POST.get("comment", "")[:2000])
            messages.success(request, _("The suspension is lifted."))
        except RuleViolation as error:
            show_rule_violation(request, error)
        return redirect(use_case)
