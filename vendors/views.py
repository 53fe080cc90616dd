"""The staff pages of the vendor registry: vendors, AI models and licences. The
questionnaire and assessment pages are in vendors.assessment_views."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from portal.audit_display import describe
from portal.errors import PermissionRequiredMixin
from portal.forms import add_errors
from portal.models import AuditEvent
from portal.views import QueryStringMixin
from vendors import extensions, services
from vendors.choices import AssessmentStatus, VendorStatus
from vendors.exports import VENDORS, export_queryset
from vendors.filters import AIModelFilterSet, VendorFilterSet
from vendors.forms import AIModelForm, CertificationFormSet, ContactFormSet, VendorForm
from vendors.models import AIModel, Assessment, Licence, Vendor


class StaffMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Signed-in users holding ``permission_required``: others get 403 (anonymous: login).

    ``load(request, **kwargs)`` runs after that check, so nothing is looked up (and no
    404 tells an outsider what exists) before the role is known."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not self.has_permission():
            return self.handle_no_permission()
        self.load(request, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, request, **kwargs):
        pass


# --- Vendors ----------------------------------------------------------------------------------


class VendorListView(StaffMixin, QueryStringMixin, FilterView):
    permission_required = "vendors.view_vendor"
    filterset_class = VendorFilterSet
    template_name = "vendors/vendor_list.html"
    paginate_by = 25
    strict = True

    def get_queryset(self):
        return Vendor.objects.visible_to(self.request.user).prefetch_related("ai_models")


class VendorExportView(StaffMixin, View):
    """The filtered vendor registry as CSV or Excel (vendors.exports)."""

    permission_required = "vendors.view_vendor"
    format = "csv"

    def get(self, request):
        queryset = export_queryset(Vendor.objects.visible_to(request.user))
        filterset = VendorFilterSet(request.GET, queryset=queryset)
        return VENDORS.response(filterset.qs if filterset.is_valid() else queryset.none(), self.format)


class VendorDetailView(StaffMixin, DetailView):
    permission_required = "vendors.view_vendor"
    template_name = "vendors/vendor_detail.html"
    context_object_name = "vendor"

    def get_queryset(self):
        return Vendor.objects.visible_to(self.request.user).prefetch_related(
            "contacts", "certifications", "ai_models__licence"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["assessments"] = Assessment.objects.visible_to(user).filter(vendor=self.object).with_related()
        events = (
            self._history(self.object, context["assessments"])
            if user.has_perm("vendors.view_assessment")
            else AuditEvent.objects.for_object(self.object)[:100]
        )
        context["events"] = describe(events, AssessmentStatus, VendorStatus)
        context["can_edit"] = user.has_perm("vendors.change_vendor")
        context["can_send"] = user.has_perm("vendors.add_assessment")
        context["panels"] = extensions.render_context(extensions.DETAIL_PANELS, self.request, self.object)
        return context

    @staticmethod
    def _history(vendor, assessments):
        """The vendor's own events and every step of its assessments (sent, answered, decided)."""
        vendor_type = ContentType.objects.get_for_model(Vendor)
        assessment_type = ContentType.objects.get_for_model(Assessment)
        return AuditEvent.objects.filter(
            Q(content_type=vendor_type, object_id=str(vendor.pk))
            | Q(
                content_type=assessment_type, object_id__in=[str(pk) for pk in assessments.values_list("pk", flat=True)]
            )
        ).select_related("actor", "content_type")[:100]


class VendorFormView(StaffMixin, TemplateView):
    template_name = "vendors/vendor_form.html"
    vendor = None

    def forms(self, data=None):
        instance = self.vendor or Vendor()
        return (
            VendorForm(data, instance=instance),
            ContactFormSet(data, instance=instance, prefix="contacts"),
            CertificationFormSet(data, instance=instance, prefix="certifications"),
        )

    def get(self, request, *args, **kwargs):
        form, contacts, certifications = self.forms()
        return self.render_to_response(
            self.get_context_data(form=form, contacts=contacts, certifications=certifications, vendor=self.vendor)
        )

    def post(self, request, *args, **kwargs):
        form, contacts, certifications = self.forms(request.POST)
        if form.is_valid() and contacts.is_valid() and certifications.is_valid():
            fields = services.editable_values(Vendor, form.cleaned_data)
            rows = {"contacts": formset_rows(contacts), "certifications": formset_rows(certifications)}
            try:
                if self.vendor is None:
                    vendor = services.create_vendor(request.user, fields, **rows)
                else:
                    vendor = services.update_vendor(self.vendor, request.user, fields, **rows)
            except ValidationError as error:
                add_errors(form, error)
            else:
                saved_message(request, vendor, _("Vendor saved."))
                return redirect(vendor)
        messages.error(request, _("Please correct the errors below; nothing was saved yet."))
        return self.render_to_response(
            self.get_context_data(form=form, contacts=contacts, certifications=certifications, vendor=self.vendor)
        )


def formset_rows(formset):
    """A valid inline formset as the service's full list of rows: the existing rows, as the
    formset edited or deleted them (a row the POST does not mention stays as it is, as with
    ``formset.save()``), then the new ones."""
    fields = [name for name in formset.form.base_fields if name not in ("id", "DELETE", formset.fk.name)]
    rows = {
        child.pk: {"id": child.pk, **{name: getattr(child, name) for name in fields}}
        for child in formset.get_queryset()
    }
    new, deleted = [], formset.deleted_forms
    for form in formset.forms:
        pk = form.instance.pk
        if form in deleted:
            rows.pop(pk, None)
        elif form.cleaned_data:
            row = {"id": pk, **{name: form.cleaned_data.get(name) for name in fields}}
            if pk in rows:
                rows[pk] = row
            else:
                new.append(row)
    return [*rows.values(), *new]


def saved_message(request, obj, message):
    if obj.audit_changes:
        messages.success(request, message)
    else:
        messages.info(request, _("Nothing was changed."))


class VendorCreateView(VendorFormView):
    permission_required = "vendors.add_vendor"


class VendorUpdateView(VendorFormView):
    permission_required = "vendors.change_vendor"

    def load(self, request, **kwargs):
        self.vendor = get_object_or_404(Vendor, pk=kwargs["pk"])


# --- AI models and licences ---------------------------------------------------------------------


class AIModelListView(StaffMixin, QueryStringMixin, FilterView):
    permission_required = "vendors.view_aimodel"
    filterset_class = AIModelFilterSet
    template_name = "vendors/aimodel_list.html"
    paginate_by = 50
    strict = True

    def get_queryset(self):
        return AIModel.objects.select_related("publisher", "licence")


class AIModelDetailView(StaffMixin, DetailView):
    permission_required = "vendors.view_aimodel"
    template_name = "vendors/aimodel_detail.html"
    context_object_name = "ai_model"
    queryset = AIModel.objects.select_related("publisher", "licence")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["events"] = describe(AuditEvent.objects.for_object(self.object)[:50])
        context["can_edit"] = self.request.user.has_perm("vendors.change_aimodel")
        return context


class AIModelFormView(StaffMixin, TemplateView):
    template_name = "vendors/aimodel_form.html"
    ai_model = None

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=AIModelForm(instance=self.ai_model)))

    def post(self, request, *args, **kwargs):
        form = AIModelForm(request.POST, instance=self.ai_model)
        if form.is_valid():
            fields = services.editable_values(AIModel, form.cleaned_data)
            try:
                if self.ai_model is None:
                    ai_model = services.create_model(request.user, fields)
                else:
                    ai_model = services.update_model(self.ai_model, request.user, fields)
            except ValidationError as error:
                add_errors(form, error)
            else:
                saved_message(request, ai_model, _("AI model saved."))
                return redirect(ai_model)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        return super().get_context_data(ai_model=self.ai_model, **kwargs)


class AIModelCreateView(AIModelFormView):
    permission_required = "vendors.add_aimodel"


class AIModelUpdateView(AIModelFormView):
    permission_required = "vendors.change_aimodel"

    def load(self, request, **kwargs):
        self.ai_model = get_object_or_404(AIModel, pk=kwargs["pk"])


class LicenceListView(StaffMixin, ListView):
    permission_required = "vendors.view_licence"
    template_name = "vendors/licence_list.html"
    queryset = Licence.objects.all()
