from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from portal.forms import add_errors
from portal.models import AuditEvent, label_states
from portal.pages import show_rule_violation
from portal.views import QueryStringMixin
from vendors import extensions, services
from vendors.choices import ANSWERABLE_STATES, AssessmentStatus, TemplateAudience, VendorStatus
from vendors.exports import VENDORS, export_queryset
from vendors.filters import AIModelFilterSet, VendorFilterSet
from vendors.forms import (
    AIModelForm,
    CertificationFormSet,
    ContactFormSet,
    DecisionForm,
    QuestionForm,
    SectionForm,
    SendAssessmentForm,
    VendorForm,
)
from vendors.models import (
    AIModel,
    Assessment,
    EvidenceFile,
    Licence,
    Question,
    QuestionnaireTemplate,
    TemplateSection,
    TemplateVersion,
    Vendor,
)


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
        context["events"] = label_states(events, AssessmentStatus, VendorStatus)
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
        context["events"] = AuditEvent.objects.for_object(self.object)[:50]
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


# --- Questionnaire templates ------------------------------------------------------------------------


class TemplateListView(StaffMixin, ListView):
    permission_required = "vendors.view_questionnairetemplate"
    template_name = "vendors/template_list.html"
    queryset = QuestionnaireTemplate.objects.prefetch_related("versions")


class TemplateVersionView(StaffMixin, DetailView):
    permission_required = "vendors.view_questionnairetemplate"
    template_name = "vendors/template_version.html"
    context_object_name = "version"
    queryset = TemplateVersion.objects.select_related("template").prefetch_related("sections__questions")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.object.is_editable and self.request.user.has_perm(
            "vendors.change_questionnairetemplate"
        )
        context["section_form"] = SectionForm()
        return context


class TemplateActionView(StaffMixin, View):
    """POST buttons of the template editor; every change goes through a service that
    refuses to touch a published version."""

    http_method_names = ["post"]
    permission_required = "vendors.change_questionnairetemplate"
    action = None

    def post(self, request, pk):
        try:
            target = self.run(request, pk)
        except (services.TemplateLocked, ValidationError) as error:
            show_rule_violation(request, error)
            target = "vendors:template-list"
        return redirect(target)

    def run(self, request, pk):
        user = request.user
        if self.action == "new-version":
            template = get_object_or_404(QuestionnaireTemplate, pk=pk)
            return services.start_new_version(template, user)
        if self.action == "publish":
            version = services.publish_version(get_object_or_404(TemplateVersion, pk=pk), user)
            messages.success(request, _("Version %(number)s published.") % {"number": version.number})
            return version
        if self.action == "add-section":
            version = get_object_or_404(TemplateVersion, pk=pk)
            form = SectionForm(request.POST)
            if form.is_valid():
                services.add_section(version, user, **form.cleaned_data)
            else:
                messages.error(request, _("Give the section a title in both languages."))
            return version
        question = get_object_or_404(Question.objects.select_related("section__version"), pk=pk)
        if self.action == "delete-question":
            services.delete_question(question, user)
        else:
            services.move_question(question, user, -1 if self.action == "move-up" else 1)
        return question.section.version


class QuestionFormView(StaffMixin, TemplateView):
    permission_required = "vendors.change_questionnairetemplate"
    template_name = "vendors/question_form.html"

    def load(self, request, **kwargs):
        self.section = get_object_or_404(
            TemplateSection.objects.select_related("version__template"), pk=kwargs["section"]
        )
        self.question = get_object_or_404(Question, pk=kwargs["pk"], section=self.section) if "pk" in kwargs else None

    def get(self, request, *args, **kwargs):
        initial = QuestionForm.initial_for(self.question) if self.question else None
        return self.render_to_response(self.get_context_data(form=QuestionForm(initial=initial)))

    def post(self, request, *args, **kwargs):
        form = QuestionForm(request.POST)
        if form.is_valid():
            try:
                services.save_question(self.section, request.user, form.cleaned_data, self.question)
            except services.TemplateLocked as error:
                show_rule_violation(request, error)
            except ValidationError as error:
                show_rule_violation(request, error, form)
                return self.render_to_response(self.get_context_data(form=form))
            return redirect(self.section.version)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, question=self.question, **kwargs)


# --- Assessments (reviewer side) -----------------------------------------------------------------------


class AssessmentSendView(StaffMixin, TemplateView):
    permission_required = "vendors.add_assessment"
    template_name = "vendors/assessment_send.html"

    def load(self, request, **kwargs):
        self.vendor = get_object_or_404(Vendor, pk=kwargs["pk"])

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=SendAssessmentForm(vendor=self.vendor)))

    def post(self, request, *args, **kwargs):
        form = SendAssessmentForm(request.POST, vendor=self.vendor)
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessment, token = services.send_assessment(
                    self.vendor, data["contact"], data["template_version"], request.user, data["link_days"]
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                if assessment.template_version.template.audience == TemplateAudience.INTERNAL:
                    messages.success(
                        request,
                        _("Internal checklist %(reference)s: answer it here.") % {"reference": assessment.reference},
                    )
                    return redirect("vendor-portal:assessment", token=token)
                messages.success(
                    request,
                    _("Questionnaire %(reference)s sent to %(email)s.")
                    % {"reference": assessment.reference, "email": assessment.contact.email},
                )
                return redirect(assessment)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        return super().get_context_data(vendor=self.vendor, **kwargs)


class AssessmentDetailView(StaffMixin, DetailView):
    """The review page: every answer beside its points, the score and knockouts, the decision."""

    permission_required = "vendors.view_assessment"
    template_name = "vendors/assessment_detail.html"
    context_object_name = "assessment"
    slug_field = slug_url_kwarg = "reference"

    def get_queryset(self):
        return Assessment.objects.visible_to(self.request.user).with_related()

    def get_context_data(self, decision_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        assessment, user = self.object, self.request.user
        answers = {answer.question_id: answer for answer in assessment.answers.prefetch_related("files")}
        result = services.compute_score(assessment)
        rows, section = [], None
        for question in services.questions_of(assessment):
            answer = answers.get(question.id)
            rows.append(
                {
                    "section": question.section if question.section_id != section else None,
                    "question": question,
                    "answer": answer,
                    "display": _display_value(question, answer.value if answer else None),
                    "points": result.points.get(question.id, 0) * question.weight,
                    "knockout": question.id in result.knockouts,
                }
            )
            section = question.section_id
        context.update(
            rows=rows,
            live_score=result.score,
            live_knockouts=len(result.knockouts),
            events=AuditEvent.objects.for_object(assessment)[:50],
            decision_form=decision_form or DecisionForm(),
            can_decide=assessment.status == AssessmentStatus.SUBMITTED and user.has_perm("vendors.decide_assessment"),
            can_manage_link=assessment.status in ANSWERABLE_STATES and user.has_perm("vendors.change_assessment"),
            can_revoke=(assessment.status in ANSWERABLE_STATES or assessment.status == AssessmentStatus.SUBMITTED)
            and user.has_perm("vendors.change_assessment"),
        )
        return context


def _display_value(question, value):
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(str(question.option_label(item)) for item in value)
    return str(question.option_label(value))


class AssessmentActionView(StaffMixin, View):
    http_method_names = ["post"]
    permission_required = "vendors.change_assessment"
    action = None

    def post(self, request, reference):
        assessment = get_object_or_404(Assessment.objects.visible_to(request.user), reference=reference)
        try:
            if self.action == "decide":
                return self.decide(request, assessment)
            if self.action == "revoke":
                services.revoke_assessment(assessment, request.user, comment=request.POST.get("comment", "")[:1000])
                messages.success(request, _("The assessment was revoked; its link no longer works."))
            else:
                assessment, token = services.reissue_link(assessment, request.user)
                if assessment.template_version.template.audience == TemplateAudience.INTERNAL:
                    return redirect("vendor-portal:assessment", token=token)
                messages.success(request, _("A new link was e-mailed; the earlier link no longer works."))
        except services.AssessmentNotAllowed as error:
            show_rule_violation(request, error)
        return redirect(assessment)

    def decide(self, request, assessment):
        if not request.user.has_perm("vendors.decide_assessment"):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                services.decide_assessment(assessment, request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Decision recorded; the vendor's status was updated."))
                return redirect(assessment)
        view = AssessmentDetailView()
        view.setup(request, reference=assessment.reference)
        view.object = view.get_object()
        return view.render_to_response(view.get_context_data(decision_form=form), status=400)


class EvidenceDownloadView(StaffMixin, View):
    """Evidence is served only to signed-in staff who may read assessments, never from a public URL."""

    permission_required = "vendors.view_assessment"

    def get(self, request, pk):
        evidence = get_object_or_404(
            EvidenceFile.objects.filter(answer__assessment__in=Assessment.objects.visible_to(request.user)), pk=pk
        )
        response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- The vendor's questionnaire page (no account: a signed, expiring link) ----------------------------


class VendorAssessmentView(View):
    """What a vendor contact sees through their link. Any invalid link gets the same
    page, which names neither the vendor nor why the link failed."""

    template_name = "vendors/portal/assessment.html"

    def dispatch(self, request, token):
        try:
            self.assessment = services.assessment_for_token(token)
        except services.InvalidLink:
            return render(request, "vendors/portal/invalid_link.html", status=404)
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(self.assessment.contact.language)
            request.LANGUAGE_CODE = translation.get_language()
        response = super().dispatch(request, token)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def get(self, request, token):
        return self.render(request, answers=self._saved_answers())

    def post(self, request, token):
        if self.assessment.status not in ANSWERABLE_STATES:
            messages.error(request, _("This questionnaire was already submitted; the answers can no longer change."))
            return self.render(request, answers=self._saved_answers(), status=409)
        questions = services.questions_of(self.assessment)
        raw, comments, uploads = {}, {}, {}
        for question in questions:
            key = f"q-{question.id}"
            raw[question.id] = (
                request.POST.getlist(key) if question.answer_type == "multiple" else request.POST.get(key)
            )
            comments[question.id] = request.POST.get(f"c-{question.id}", "")
            uploads[question.id] = request.FILES.getlist(f"f-{question.id}")
        try:
            errors = services.save_answers(self.assessment, raw, comments, uploads)
        except services.AssessmentNotAllowed as error:
            status = show_rule_violation(request, error)
            return self.render(request, answers=self._saved_answers(), status=status)
        submitted_answers = {question.id: (raw[question.id], comments[question.id]) for question in questions}
        if errors:
            messages.error(request, _("Some answers need a correction; nothing was saved yet."))
            return self.render(request, answers=submitted_answers, errors=errors, status=400)
        if "submit" in request.POST:
            try:
                services.submit_assessment(self.assessment)
            except services.IncompleteAssessment as error:
                messages.warning(request, _("Your answers were saved, but some are still missing:"))
                return self.render(request, answers=self._saved_answers(), gaps=error.gaps, status=400)
            messages.success(request, _("Thank you. Your answers were submitted."))
        else:
            messages.success(request, _("Your answers were saved. You can come back with the same link."))
        return redirect(request.path)

    def _saved_answers(self):
        return {
            answer.question_id: (answer.value, answer.comment, list(answer.files.all()))
            for answer in self.assessment.answers.prefetch_related("files")
        }

    def render(self, request, answers, errors=None, gaps=(), status=200):
        self.assessment.refresh_from_db(fields=["status"])
        errors = errors or {}
        gap_ids = {gap.question_id for gap in gaps}
        sections, current = [], None
        for question in services.questions_of(self.assessment):
            if current is None or current["section"].pk != question.section_id:
                current = {"section": question.section, "items": []}
                sections.append(current)
            saved = answers.get(question.id, (None, "", []))
            value, comment = saved[0], saved[1]
            files = saved[2] if len(saved) > 2 else []
            chosen = value if isinstance(value, list) else ([] if value in (None, "") else [value])
            current["items"].append(
                {
                    "question": question,
                    "value": "" if value is None or isinstance(value, list) else value,
                    "chosen": [str(item) for item in chosen],
                    "comment": comment,
                    "files": files,
                    "errors": errors.get(question.id, []),
                    "missing": question.id in gap_ids,
                }
            )
        context = {
            "assessment": self.assessment,
            "sections": sections,
            "gaps": gaps,
            "read_only": self.assessment.status not in ANSWERABLE_STATES,
            "max_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
        }
        return render(request, self.template_name, context, status=status)
