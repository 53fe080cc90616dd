"""The questionnaire pages: the template editor and the assessment loop, for staff (send,
review, decide) and for the vendor contact (the questionnaire page a signed link opens)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from portal.forms import add_errors
from portal.models import AuditEvent
from portal.pages import show_rule_violation
from vendors import answer_page, assessments, extensions, questionnaires
from vendors.choices import ANSWERABLE_STATES, AssessmentStatus, TemplateAudience
from vendors.forms import DecisionForm, QuestionForm, SectionForm, SendAssessmentForm
from vendors.models import (
    Assessment,
    EvidenceFile,
    Question,
    QuestionnaireTemplate,
    TemplateSection,
    TemplateVersion,
    Vendor,
)
from vendors.views import StaffMixin

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
        except (questionnaires.TemplateLocked, ValidationError) as error:
            show_rule_violation(request, error)
            target = "vendors:template-list"
        return redirect(target)

    def run(self, request, pk):
        user = request.user
        if self.action == "new-version":
            template = get_object_or_404(QuestionnaireTemplate, pk=pk)
            return questionnaires.start_new_version(template, user)
        if self.action == "publish":
            version = questionnaires.publish_version(get_object_or_404(TemplateVersion, pk=pk), user)
            messages.success(request, _("Version %(number)s published.") % {"number": version.number})
            return version
        if self.action == "add-section":
            version = get_object_or_404(TemplateVersion, pk=pk)
            form = SectionForm(request.POST)
            if form.is_valid():
                questionnaires.add_section(version, user, **form.cleaned_data)
            else:
                messages.error(request, _("Give the section a title in both languages."))
            return version
        question = get_object_or_404(Question.objects.select_related("section__version"), pk=pk)
        if self.action == "delete-question":
            questionnaires.delete_question(question, user)
        else:
            questionnaires.move_question(question, user, -1 if self.action == "move-up" else 1)
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
                questionnaires.save_question(self.section, request.user, form.cleaned_data, self.question)
            except questionnaires.TemplateLocked as error:
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
                assessment, token = assessments.send_assessment(
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
        result = assessments.compute_score(assessment)
        rows, section = [], None
        for question in assessments.questions_of(assessment):
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
            panels=extensions.render_context(extensions.ASSESSMENT_PANELS, self.request, assessment.vendor),
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
                assessments.revoke_assessment(assessment, request.user, comment=request.POST.get("comment", "")[:1000])
                messages.success(request, _("The assessment was revoked; its link no longer works."))
            else:
                assessment, token = assessments.reissue_link(assessment, request.user)
                if assessment.template_version.template.audience == TemplateAudience.INTERNAL:
                    return redirect("vendor-portal:assessment", token=token)
                messages.success(request, _("A new link was e-mailed; the earlier link no longer works."))
        except assessments.AssessmentNotAllowed as error:
            show_rule_violation(request, error)
        return redirect(assessment)

    def decide(self, request, assessment):
        if not request.user.has_perm("vendors.decide_assessment"):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                assessments.decide_assessment(assessment, request.user, **form.cleaned_data)
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
            self.assessment = assessments.assessment_for_token(token)
        except assessments.InvalidLink:
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
        questions = assessments.questions_of(self.assessment)
        raw, comments, uploads = {}, {}, {}
        for question in questions:
            key = f"q-{question.id}"
            raw[question.id] = (
                request.POST.getlist(key) if question.answer_type == "multiple" else request.POST.get(key)
            )
            comments[question.id] = request.POST.get(f"c-{question.id}", "")
            uploads[question.id] = request.FILES.getlist(f"f-{question.id}")
        try:
            errors = assessments.save_answers(self.assessment, raw, comments, uploads)
        except assessments.AssessmentNotAllowed as error:
            status = show_rule_violation(request, error)
            return self.render(request, answers=self._saved_answers(), status=status)
        submitted_answers = {question.id: (raw[question.id], comments[question.id]) for question in questions}
        if errors:
            messages.error(request, _("Some answers need a correction; nothing was saved yet."))
            return self.render(request, answers=submitted_answers, errors=errors, status=400)
        if "submit" in request.POST:
            try:
                assessments.submit_assessment(self.assessment)
            except assessments.IncompleteAssessment as error:
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
        page = answer_page.build(assessments.questions_of(self.assessment), answers, errors=errors, gaps=gaps)
        context = {
            "assessment": self.assessment,
            **page,
            "gaps": gaps,
            "read_only": self.assessment.status not in ANSWERABLE_STATES,
            "max_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
        }
        return render(request, self.template_name, context, status=status)
