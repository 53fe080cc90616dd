from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from portal.audit_display import describe
from portal.errors import PermissionRequiredMixin
from portal.forms import add_errors
from portal.models import AuditEvent
from portal.pages import show_rule_violation
from portal.views import QueryStringMixin
from usecases import extensions, returns, roadmap, roadmap_services, services
from usecases.choices import (
    CLOSED_STATES,
    LIVE_STATES,
    RiskTier,
    RoadmapStep,
    TrialKind,
    UseCaseCategory,
    UseCaseStatus,
)
from usecases.comments.views import thread_context
from usecases.exports import INVENTORY
from usecases.filters import UseCaseFilterSet
from usecases.forms import (
    BenefitForm,
    CostAssumptionsForm,
    KpiFormSet,
    KpiMeasurementForm,
    ModelChoiceFormSet,
    MoveBackForm,
    RoadmapReasonForm,
    TaskFormSet,
    TrialForm,
    UseCaseForm,
    WithdrawForm,
    model_role_forms,
)
from usecases.models import CostSettings, Trial, UseCase
from usecases.querysets import CHILD_PREFETCHES


class UseCaseAccessMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "usecases.view_usecase"

    def get_queryset(self):
        return UseCase.objects.visible_to(self.request.user).with_related()


class UseCaseListView(UseCaseAccessMixin, QueryStringMixin, FilterView):
    filterset_class = UseCaseFilterSet
    template_name = "usecases/usecase_list.html"
    paginate_by = 25
    # An invalid filter shows the form's errors and no rows, as the export and API do.
    strict = True

    def get_queryset(self):
        # The status badges ask whether the stage waiting for a decision is the reader's:
        # the apps' child prefetches load it with the page instead of one query a row.
        return super().get_queryset().prefetch_related(*(make() for make in CHILD_PREFETCHES))


class UseCaseExportView(UseCaseAccessMixin, View):
    """CSV (streamed, flat in memory) or Excel of the filtered inventory (usecases.exports)."""

    format = "csv"

    def get(self, request):
        filterset = UseCaseFilterSet(request.GET, queryset=self.get_queryset(), request=request)
        rows = filterset.qs if filterset.is_valid() else self.get_queryset().none()
        return INVENTORY.response(rows, self.format)


class UseCaseDetailView(UseCaseAccessMixin, DetailView):
    template_name = "usecases/usecase_detail.html"
    slug_field = "reference"
    slug_url_kwarg = "reference"
    context_object_name = "use_case"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("tasks", "kpis__measurements")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        use_case = self.object
        user = self.request.user
        context.update(
            actions=services.allowed_actions(use_case, user),
            can_edit=services.can_edit(use_case, user),
            can_record_measurement=services.can_record_measurement(use_case, user) and use_case.kpis.all(),
            events=self._history(use_case),
            withdraw_form=WithdrawForm(),
            missing=services.missing_items(use_case) if use_case.owner_id == user.pk else [],
            top_panels=extensions.render_context(extensions.TOP_PANELS, self.request, use_case),
            panels=extensions.render_context(extensions.DETAIL_PANELS, self.request, use_case),
            roadmap=roadmap.summary(use_case),
            on_roadmap=use_case.status in LIVE_STATES,
            **thread_context(self.request, use_case),
        )
        return context

    @staticmethod
    def _history(use_case):
        events = describe(AuditEvent.objects.for_object(use_case)[:50], UseCaseStatus, RiskTier)
        for labeller in extensions.HISTORY_LABELLERS:
            labeller(events)
        return events


class UseCaseFormView(LoginRequiredMixin, TemplateView):
    """Create or edit a draft: the use case form and its task and KPI rows together."""

    template_name = "usecases/usecase_form.html"
    use_case = None

    def forms(self, data=None):
        instance = self.use_case or UseCase()
        return {
            "form": UseCaseForm(data, instance=instance, user=self.request.user),
            "tasks": TaskFormSet(data, instance=instance, prefix="tasks"),
            "kpis": KpiFormSet(data, instance=instance, prefix="kpis"),
            "models": ModelChoiceFormSet(data, instance=instance, prefix="models"),
        }

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(**self.forms()))

    def post(self, request, *args, **kwargs):
        forms = self.forms(request.POST)
        form = forms["form"]
        # A list, not a generator: every part validates, so all errors show at once.
        if not all([part.is_valid() for part in forms.values()]):  # noqa: C419
            messages.error(request, _("Please correct the errors below; nothing was saved yet."))
            return self.render_to_response(self.get_context_data(**forms))
        try:
            with transaction.atomic():
                use_case = self.save(
                    form.cleaned_data, forms["tasks"].rows(), forms["kpis"].rows(), forms["models"].rows()
                )
        except ValidationError as error:
            add_errors(form, error)
            messages.error(request, _("Please correct the errors below; nothing was saved yet."))
            return self.render_to_response(self.get_context_data(**forms))
        except services.StaleUseCase as error:
            status = show_rule_violation(request, error)
            return self.render_to_response(self.get_context_data(**forms), status=status)
        except PermissionDenied:
            # Submitted (or taken over) in another tab meanwhile: keep what was typed on screen.
            messages.error(
                request,
                _(
                    "This use case can no longer be edited (its status changed meanwhile). "
                    "Nothing was saved; copy your changes before leaving this page."
                ),
            )
            return self.render_to_response(self.get_context_data(**forms), status=409)
        messages.success(request, _("Draft %(reference)s saved.") % {"reference": use_case.reference})
        return redirect(use_case)

    def get_context_data(self, **kwargs):
        panels = extensions.render_context(extensions.FORM_PANELS, self.request, self.use_case)
        return super().get_context_data(use_case=self.use_case, panels=panels, **kwargs)


class UseCaseCreateView(PermissionRequiredMixin, UseCaseFormView):
    permission_required = "usecases.add_usecase"

    def save(self, fields, tasks, kpis, models):
        return services.create_draft(self.request.user, fields, tasks, kpis, models)


class UseCaseUpdateView(UseCaseFormView):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.use_case = get_object_or_404(
            UseCase.objects.visible_to(request.user).with_related(), reference=kwargs["reference"]
        )
        # The owner's POST goes on to the service even if the status just changed, so the
        # form comes back with what they typed instead of a bare 403.
        owner_saving = request.method == "POST" and self.use_case.owner_id == request.user.pk
        if not (services.can_edit(self.use_case, request.user) or owner_saving):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def save(self, fields, tasks, kpis, models):
        return services.update_draft(
            self.use_case, self.request.user, fields, tasks, kpis, models, expected_version=fields.get("loaded_version")
        )


class KpiMeasurementCreateView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Record a KPI's actual value (the owner, until the use case is closed)."""

    template_name = "usecases/measurement_form.html"
    permission_required = "usecases.change_usecase"

    def has_permission(self):
        # The role first (403), then whether the use case is visible (404), then the owner rule (403).
        if not super().has_permission():
            return False
        self.use_case = get_object_or_404(
            UseCase.objects.visible_to(self.request.user).with_related(), reference=self.kwargs["reference"]
        )
        return services.can_record_measurement(self.use_case, self.request.user)

    def get(self, request, *args, **kwargs):
        form = KpiMeasurementForm(use_case=self.use_case, initial={"measured_on": timezone.localdate()})
        return self.render_to_response(self.get_context_data(form=form, use_case=self.use_case))

    def post(self, request, *args, **kwargs):
        form = KpiMeasurementForm(request.POST, use_case=self.use_case)
        if form.is_valid():
            try:
                services.record_measurement(self.use_case, request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Measurement recorded."))
                return redirect(self.use_case)
        return self.render_to_response(self.get_context_data(form=form, use_case=self.use_case))


class UseCaseTransitionView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """POST-only buttons: submit and withdraw."""

    http_method_names = ["post"]
    permission_required = "usecases.change_usecase"
    action = None

    def post(self, request, reference):
        use_case = get_object_or_404(UseCase.objects.visible_to(request.user), reference=reference)
        try:
            if self.action == "submit":
                use_case = services.submit(use_case, request.user)
                messages.success(request, _("Submitted for review."))
            else:
                form = WithdrawForm(request.POST)
                if not form.is_valid():
                    for errors in form.errors.values():
                        for error in errors:
                            messages.error(request, error)
                    return redirect(use_case)
                use_case = services.withdraw(use_case, request.user, comment=form.cleaned_data["comment"])
                messages.success(request, _("Withdrawn."))
        except (services.IncompleteUseCase, services.TransitionNotAllowed) as error:
            show_rule_violation(request, error)
        return redirect(use_case)


# --- Roadmap, cost and value ---------------------------------------------------------------------


class UseCaseObjectMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """A use case the user may read (404 otherwise), loaded before the view runs."""

    permission_required = "usecases.view_usecase"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.has_perm(self.permission_required):
            self.use_case = get_object_or_404(
                UseCase.objects.visible_to(request.user).with_related(), reference=kwargs["reference"]
            )
        return super().dispatch(request, *args, **kwargs)


class RoadmapManagerMixin(UseCaseObjectMixin):
    """Pages that record the journey: the owner and reviewers (403 for others)."""

    def has_permission(self):
        return super().has_permission() and services.can_manage_roadmap(self.request.user, self.use_case)


class UseCaseRoadmapView(UseCaseObjectMixin, TemplateView):
    template_name = "usecases/roadmap.html"

    def get_context_data(self, **kwargs):
        use_case, user = self.use_case, self.request.user
        facts = roadmap.Facts.load(use_case)
        actions = services.allowed_actions(use_case, user)
        return super().get_context_data(
            use_case=use_case,
            roadmap=roadmap.summary(use_case, facts),
            pilot=facts.pilot,
            poc=facts.poc,
            choices=facts.choices,
            actions=actions,
            can_manage=services.can_manage_roadmap(user, use_case) and use_case.status in LIVE_STATES,
            skip_form=RoadmapReasonForm(prefix="skip"),
            retire_form=RoadmapReasonForm(prefix="retire"),
            move_back_form=MoveBackForm(use_case=use_case)
            if "move_back" in actions or "stop_pilot" in actions
            else None,
            **kwargs,
        )


class UseCaseRoadmapActionView(RoadmapManagerMixin, View):
    """POST-only roadmap buttons: advance (or skip the PoC), go live, move back, retire."""

    http_method_names = ["post"]
    action = None

    def post(self, request, reference):
        use_case, user = self.use_case, request.user
        try:
            if self.action == "advance":
                skip = request.POST.get("skip_poc") == "1"
                form = RoadmapReasonForm(request.POST, prefix="skip") if skip else None
                if form is not None and not form.is_valid():
                    messages.error(request, _("Give the reason for skipping the proof of concept."))
                    return redirect("usecases:roadmap", reference=reference)
                use_case = roadmap_services.advance_step(
                    use_case,
                    user,
                    skip_poc=skip,
                    reason=form.cleaned_data["reason"] if form else "",
                    expected_step=_posted_step(request),
                )
                messages.success(request, _("Moved to %(step)s.") % {"step": use_case.get_roadmap_step_display()})
            elif self.action == "go_live":
                roadmap_services.go_live(use_case, user)
                messages.success(request, _("The use case is in production."))
            elif self.action == "move_back":
                form = MoveBackForm(request.POST, use_case=use_case)
                if not form.is_valid():
                    for errors in form.errors.values():
                        for error in errors:
                            messages.error(request, error)
                    return redirect("usecases:roadmap", reference=reference)
                use_case = roadmap_services.move_back(
                    use_case,
                    user,
                    form.cleaned_data["to_step"],
                    form.cleaned_data["reason"],
                    expected_step=_posted_step(request),
                )
                messages.success(request, _("Moved back to %(step)s.") % {"step": use_case.get_roadmap_step_display()})
            else:
                form = RoadmapReasonForm(request.POST, prefix="retire")
                if not form.is_valid():
                    messages.error(request, _("Give the reason for retiring the use case."))
                    return redirect("usecases:roadmap", reference=reference)
                roadmap_services.retire(use_case, user, form.cleaned_data["reason"])
                messages.success(request, _("The use case is retired."))
        except (
            roadmap_services.GateNotMet,
            services.TransitionNotAllowed,
            roadmap_services.StepChanged,
            ValidationError,
        ) as error:
            show_rule_violation(request, error)
        return redirect("usecases:roadmap", reference=reference)


def _posted_step(request):
    """The step the page showed (hidden ``from_step``), so a double click moves once."""
    try:
        return int(request.POST["from_step"])
    except (KeyError, ValueError):
        return None


class TrialFormView(RoadmapManagerMixin, TemplateView):
    template_name = "usecases/trial_form.html"
    kind = None

    def get_form(self, data=None):
        trial = Trial.objects.filter(use_case=self.use_case, kind=self.kind).first()
        return TrialForm(data, instance=trial, kind=self.kind)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                roadmap_services.save_trial(self.use_case, request.user, self.kind, form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("usecases:roadmap", reference=self.use_case.reference)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(use_case=self.use_case, kind_label=TrialKind(self.kind).label, **kwargs)


class ModelRolesView(RoadmapManagerMixin, TemplateView):
    template_name = "usecases/model_roles.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(forms=model_role_forms(self.use_case)))

    def post(self, request, *args, **kwargs):
        forms = model_role_forms(self.use_case, request.POST)
        if all([form.is_valid() for form in forms]):  # noqa: C419 - every form validates
            rows = [{"choice": form.choice, **form.cleaned_data} for form in forms]
            try:
                roadmap_services.decide_roles(self.use_case, request.user, rows)
            except ValidationError as error:
                errors = error.message_dict.get("roles", error.messages)
                return self.render_to_response(self.get_context_data(forms=forms, errors=errors), status=400)
            messages.success(request, _("The hybrid decision is saved."))
            return redirect("usecases:roadmap", reference=self.use_case.reference)
        return self.render_to_response(self.get_context_data(forms=forms), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(use_case=self.use_case, **kwargs)


class UseCaseEconomicsView(UseCaseObjectMixin, TemplateView):
    """Cost and value of one use case; its two forms post here and come back with their
    errors (and what was typed) on the page."""

    template_name = "usecases/economics.html"

    def may_manage(self):
        return (
            services.can_manage_roadmap(self.request.user, self.use_case) and self.use_case.status not in CLOSED_STATES
        )

    def get_context_data(self, assumptions_form=None, benefit_form=None, **kwargs):
        use_case = self.use_case
        may_manage = self.may_manage()
        if may_manage and assumptions_form is None:
            assumptions_form = CostAssumptionsForm(instance=use_case, defaults=CostSettings.load())
        if may_manage and benefit_form is None and use_case.status in LIVE_STATES:
            benefit_form = BenefitForm(initial={"month": timezone.localdate().replace(day=1)})
        figures = returns.use_case_economics(use_case)
        currency = figures["assumptions"].currency
        shares_url = None  # where the request shares are set: the intake form, or the hybrid decision once live
        if services.can_edit(use_case, self.request.user):
            shares_url = reverse("usecases:update", args=[use_case.reference])
        elif services.can_manage_roadmap(self.request.user, use_case) and use_case.status in LIVE_STATES:
            shares_url = reverse("usecases:model-roles", args=[use_case.reference])
        return super().get_context_data(
            use_case=use_case,
            **figures,
            shares_url=shares_url,
            other_rates=sorted((c, r) for c, r in figures["assumptions"].rates.items() if c != currency),
            can_manage=may_manage,
            assumptions_form=assumptions_form if may_manage else None,
            benefit_form=benefit_form if may_manage and use_case.status in LIVE_STATES else None,
            **kwargs,
        )

    def post(self, request, reference):
        if not self.may_manage():
            raise PermissionDenied
        if request.POST.get("form") == "benefit":
            form, key, done = BenefitForm(request.POST), "benefit_form", _("Benefit recorded.")
        else:
            form = CostAssumptionsForm(request.POST, instance=self.use_case, defaults=CostSettings.load())
            key, done = "assumptions_form", _("The assumptions are saved.")
        if form.is_valid():
            try:
                if key == "benefit_form":
                    roadmap_services.record_benefit(self.use_case, request.user, **form.cleaned_data)
                else:
                    roadmap_services.update_cost_assumptions(self.use_case, request.user, form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, done)
                return redirect("usecases:economics", reference=reference)
        messages.error(request, _("Please correct the errors below; nothing was saved yet."))
        return self.render_to_response(self.get_context_data(**{key: form}), status=400)


class OrganisationRoadmapView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Where the organisation stands on the six steps, and whether it is ready for each."""

    template_name = "usecases/organisation_roadmap.html"
    permission_required = "usecases.view_usecase"

    def get_context_data(self, **kwargs):
        overview = roadmap.organisation_overview(UseCase.objects.visible_to(self.request.user))
        readiness = roadmap.organisation_readiness()
        labels = dict(UseCaseCategory.choices)
        for row in overview["by_category"]:
            row["label"] = labels.get(row["category"]) or _("Not set")
        steps = [
            {
                "step": step,
                "label": RoadmapStep(step).label,
                "count": count,
                "readiness": readiness[step],
                "waiting": overview["waiting"][step],
            }
            for step, count in overview["steps"]
        ]
        # The counts are of use cases in progress; the links ask the inventory for the same ones.
        in_progress = "&".join(f"status={status}" for status in roadmap.IN_PROGRESS_STATES)
        return super().get_context_data(overview=overview, steps=steps, in_progress_query=in_progress, **kwargs)


class OrganisationEconomicsView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Cost and return of every live use case the user may see, with totals."""

    template_name = "usecases/organisation_economics.html"
    permission_required = "usecases.view_usecase"

    def get_context_data(self, **kwargs):
        totals = returns.organisation_totals(UseCase.objects.visible_to(self.request.user))
        return super().get_context_data(totals=totals, **kwargs)
