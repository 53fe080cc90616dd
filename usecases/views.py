import csv

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from portal.forms import add_errors
from portal.models import AuditEvent
from portal.views import QueryStringMixin
from usecases import extensions, services
from usecases.choices import RiskTier, UseCaseStatus
from usecases.filters import UseCaseFilterSet
from usecases.forms import (
    KpiFormSet,
    KpiMeasurementForm,
    ModelChoiceFormSet,
    TaskFormSet,
    UseCaseForm,
    WithdrawForm,
)
from usecases.models import UseCase


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


class UseCaseExportView(UseCaseAccessMixin, View):
    """CSV of the filtered inventory, streamed so a large export stays flat in memory."""

    HEADER = (
        gettext_lazy("Reference"),
        gettext_lazy("Title"),
        gettext_lazy("Status"),
        gettext_lazy("Department"),
        gettext_lazy("Owner"),
        gettext_lazy("Category"),
        gettext_lazy("Audience"),
        gettext_lazy("Input data classification"),
        gettext_lazy("Involves personal data"),
        gettext_lazy("Intended style"),
        gettext_lazy("Roadmap step"),
        gettext_lazy("Requests a month"),
        gettext_lazy("Average input tokens"),
        gettext_lazy("Average output tokens"),
        gettext_lazy("Submitted on"),
        gettext_lazy("Updated on"),
    )

    def get(self, request):
        filterset = UseCaseFilterSet(request.GET, queryset=self.get_queryset(), request=request)
        rows = filterset.qs if filterset.is_valid() else self.get_queryset().none()
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff"  # so spreadsheet programs open Japanese text as UTF-8
            yield writer.writerow([str(label) for label in self.HEADER])
            for use_case in rows.iterator(chunk_size=500):
                yield writer.writerow([_csv_cell(value) for value in self._row(use_case)])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="use-cases-{stamp}.csv"'
        return response

    @staticmethod
    def _row(use_case):
        return (
            use_case.reference,
            use_case.title,
            use_case.get_status_display(),
            use_case.department.name,
            str(use_case.owner),
            use_case.get_category_display(),
            use_case.get_audience_display(),
            use_case.get_data_classification_display(),
            _("yes") if use_case.involves_personal_data else _("no"),
            use_case.get_intended_style_display(),
            use_case.roadmap_step,
            use_case.monthly_requests,
            use_case.avg_input_tokens,
            use_case.avg_output_tokens,
            timezone.localtime(use_case.submitted_at).isoformat() if use_case.submitted_at else "",
            timezone.localtime(use_case.updated_at).isoformat(),
        )


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    """Neutralise spreadsheet formulas in user-entered text (CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not isinstance(value, int | float):
        return "'" + text
    return text


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
            panels=extensions.render_context(extensions.DETAIL_PANELS, self.request, use_case),
        )
        return context

    @staticmethod
    def _history(use_case):
        labels = {**dict(UseCaseStatus.choices), **dict(RiskTier.choices)}
        events = list(AuditEvent.objects.for_object(use_case)[:50])
        for event in events:
            event.from_label = labels.get(event.from_state, event.from_state)
            event.to_label = labels.get(event.to_state, event.to_state)
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
            messages.error(request, str(error))
            return self.render_to_response(self.get_context_data(**forms), status=409)
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
        except services.IncompleteUseCase as error:
            messages.error(request, _("The use case cannot be submitted yet. Missing:"))
            for item in error.missing:
                messages.error(request, item.message)
        except services.TransitionNotAllowed as error:
            messages.error(request, str(error))
        return redirect(use_case)
