"""Pages of rules and education: policies and acknowledgements, training, the prompt library."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView

from governance.education import services
from governance.education.choices import PolicyVersionStatus, PromptStatus
from governance.education.filters import PromptTemplateFilterSet
from governance.education.forms import (
    CompletionForm,
    PolicyDocumentForm,
    PolicyVersionForm,
    PromptRatingForm,
    PromptTemplateForm,
    RemoveCompletionForm,
    TrainingCourseForm,
)
from governance.education.markdown import render
from governance.models import (
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyVersion,
    PromptRating,
    PromptTemplate,
    TrainingCompletion,
    TrainingCourse,
)
from portal.errors import PermissionRequiredMixin
from portal.forms import add_errors
from portal.views import QueryStringMixin


class RoleRequired(LoginRequiredMixin, PermissionRequiredMixin):
    pass


def _flash_errors(request, error):
    for message in error.messages:
        messages.error(request, message)


# --- Policies ---------------------------------------------------------------------------------------


def _documents_for(user):
    if services.can_manage_policies(user):
        return PolicyDocument.objects.all()
    return PolicyDocument.objects.applying_to(user)


class PolicyListView(RoleRequired, TemplateView):
    template_name = "governance/education/policy_list.html"
    permission_required = "governance.view_policydocument"

    def get_context_data(self, **kwargs):
        user = self.request.user
        documents = list(_documents_for(user).prefetch_related("versions"))
        acknowledged = set(PolicyAcknowledgement.objects.filter(user=user).values_list("version_id", flat=True))
        for document in documents:
            document.current = next(
                (v for v in document.versions.all() if v.status == PolicyVersionStatus.PUBLISHED), None
            )
            document.acknowledged = document.current is not None and document.current.pk in acknowledged
        return super().get_context_data(
            pending=services.pending_acknowledgements(user),
            documents=documents,
            can_manage=services.can_manage_policies(user),
            **kwargs,
        )


class PolicyObjectMixin(RoleRequired):
    permission_required = "governance.view_policydocument"

    def get_document(self):
        return get_object_or_404(_documents_for(self.request.user), key=self.kwargs["key"])


class PolicyDetailView(PolicyObjectMixin, TemplateView):
    """The version in force (or an older one, ``number``), rendered; acknowledge; history."""

    template_name = "governance/education/policy_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        document = self.get_document()
        versions = list(document.versions.select_related("published_by"))
        manage = services.can_manage_policies(user)
        current = next((v for v in versions if v.status == PolicyVersionStatus.PUBLISHED), None)
        if "number" in self.kwargs:
            shown = next((v for v in versions if v.number == self.kwargs["number"]), None)
            if shown is None or (shown.status == PolicyVersionStatus.DRAFT and not manage):
                raise Http404
        else:
            shown = current
        mine = PolicyAcknowledgement.objects.filter(user=user, version__document=document).select_related("version")
        mine = {ack.version_id: ack for ack in mine}
        return super().get_context_data(
            document=document,
            shown=shown,
            html=render(shown.body) if shown else "",
            current=current,
            versions=[v for v in versions if manage or v.status != PolicyVersionStatus.DRAFT],
            draft=next((v for v in versions if v.status == PolicyVersionStatus.DRAFT), None) if manage else None,
            my_acknowledgement=mine.get(current.pk) if current else None,
            must_acknowledge=bool(
                current
                and shown == current
                and document.requires_acknowledgement
                and current.pk not in mine
                and document.applies_to(user)
            ),
            can_manage=manage,
            can_see_figures=user.has_perm("governance.view_policyacknowledgement"),
            **kwargs,
        )


class PolicyAcknowledgeView(PolicyObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, key):
        document = self.get_document()
        version = services.in_force(document)
        if version is None:
            raise Http404
        try:
            services.acknowledge(version, request.user)
        except ValidationError as error:
            _flash_errors(request, error)
        else:
            messages.success(request, _("Thank you: you acknowledged version %(number)s.") % {"number": version.number})
        return redirect(document)


class PolicyFormView(RoleRequired, TemplateView):
    """Create a policy document or change its settings (managers)."""

    template_name = "governance/education/form.html"
    permission_required = "governance.manage_policy"

    def get_instance(self):
        return get_object_or_404(PolicyDocument, key=self.kwargs["key"]) if "key" in self.kwargs else None

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=PolicyDocumentForm(instance=self.get_instance())))

    def post(self, request, *args, **kwargs):
        instance = self.get_instance()
        form = PolicyDocumentForm(request.POST, instance=instance)
        if form.is_valid():
            try:
                document = services.save_policy_document(request.user, form.cleaned_data, instance)
            except ValidationError as error:
                add_errors(form, error)
                return self.render_to_response(self.get_context_data(form=form), status=400)
            messages.success(request, _("Saved."))
            return redirect(document)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Policy document"), back=self.get_instance(), **kwargs)


class PolicyDraftView(PolicyObjectMixin, TemplateView):
    """Write the next version (the draft) of a policy, then publish it."""

    template_name = "governance/education/policy_draft.html"
    permission_required = "governance.manage_policy"

    def get(self, request, *args, **kwargs):
        document = self.get_document()
        source = document.versions.filter(status=PolicyVersionStatus.DRAFT).first() or services.in_force(document)
        initial = {"body_ja": source.body_ja, "body_en": source.body_en} if source else {}
        if source is not None and source.status == PolicyVersionStatus.DRAFT:
            initial["change_summary"] = source.change_summary
        return self.render_to_response(
            self.get_context_data(document=document, form=PolicyVersionForm(initial=initial))
        )

    def post(self, request, *args, **kwargs):
        document = self.get_document()
        form = PolicyVersionForm(request.POST)
        if form.is_valid():
            try:
                draft = services.save_draft_version(document, request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Draft version %(number)s saved.") % {"number": draft.number})
                return redirect("governance:policy-version", key=document.key, number=draft.number)
        return self.render_to_response(self.get_context_data(document=document, form=form), status=400)


class PolicyPublishView(PolicyObjectMixin, View):
    http_method_names = ["post"]
    permission_required = "governance.manage_policy"

    def post(self, request, key, number):
        version = get_object_or_404(PolicyVersion, document=self.get_document(), number=number)
        try:
            services.publish_version(version, request.user)
        except ValidationError as error:
            _flash_errors(request, error)
        else:
            messages.success(request, _("Version %(number)s is in force.") % {"number": number})
        return redirect(version.document)


class PolicyAcknowledgementsView(PolicyObjectMixin, TemplateView):
    """Who has and has not acknowledged the version in force, by department."""

    template_name = "governance/education/policy_acknowledgements.html"
    permission_required = "governance.view_policyacknowledgement"

    def get_document(self):
        # Those who see the figures see them for every policy, not only for theirs.
        return get_object_or_404(PolicyDocument, key=self.kwargs["key"])

    def get_context_data(self, **kwargs):
        document = self.get_document()
        version = services.in_force(document)
        return super().get_context_data(
            document=document,
            version=version,
            rates=services.acknowledgement_rates(version) if version else [],
            missing=services.not_acknowledged(version).order_by("department__name", "username") if version else [],
            **kwargs,
        )


# --- Training -------------------------------------------------------------------------------------


def _courses_for(user):
    if user.has_perm("governance.manage_training") or user.has_perm("governance.view_trainingcompletion"):
        return TrainingCourse.objects.all()
    return TrainingCourse.objects.applying_to(user)


class CourseListView(RoleRequired, TemplateView):
    template_name = "governance/education/course_list.html"
    permission_required = "governance.view_trainingcourse"

    def get_context_data(self, **kwargs):
        user = self.request.user
        courses = list(_courses_for(user))
        latest = {}
        for completion in TrainingCompletion.objects.filter(user=user).order_by("completed_on"):
            latest[completion.course_id] = completion
        for course in courses:
            course.mine = latest.get(course.pk)
        return super().get_context_data(
            courses=courses, can_manage=user.has_perm("governance.manage_training"), **kwargs
        )


class CourseDetailView(RoleRequired, TemplateView):
    template_name = "governance/education/course_detail.html"
    permission_required = "governance.view_trainingcourse"

    def get_course(self):
        return get_object_or_404(_courses_for(self.request.user), key=self.kwargs["key"])

    def form(self, data=None, files=None):
        return CompletionForm(data, files, may_record_others=self.request.user.has_perm("governance.manage_training"))

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(course=self.get_course(), form=self.form()))

    def post(self, request, *args, **kwargs):
        course = self.get_course()
        form = self.form(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_completion(
                    course,
                    request.user,
                    person=data.get("person") or request.user,
                    completed_on=data["completed_on"],
                    evidence=data.get("evidence"),
                    note=data.get("note", ""),
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Completion recorded."))
                return redirect(course)
        return self.render_to_response(self.get_context_data(course=course, form=form), status=400)

    def get_context_data(self, **kwargs):
        user = self.request.user
        course = kwargs["course"]
        figures = user.has_perm("governance.view_trainingcompletion")
        completions = TrainingCompletion.objects.filter(course=course).select_related("user__department", "recorded_by")
        return super().get_context_data(
            mine=completions.filter(user=user),
            rates=services.completion_rates(course) if figures else None,
            recent=completions[:50] if figures else None,
            can_manage=user.has_perm("governance.manage_training"),
            remove_form=RemoveCompletionForm(),
            **kwargs,
        )


class CourseFormView(RoleRequired, TemplateView):
    template_name = "governance/education/form.html"
    permission_required = "governance.manage_training"

    def get_instance(self):
        return get_object_or_404(TrainingCourse, key=self.kwargs["key"]) if "key" in self.kwargs else None

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=TrainingCourseForm(instance=self.get_instance())))

    def post(self, request, *args, **kwargs):
        instance = self.get_instance()
        form = TrainingCourseForm(request.POST, instance=instance)
        if form.is_valid():
            try:
                course = services.save_course(request.user, form.cleaned_data, instance)
            except ValidationError as error:
                add_errors(form, error)
                return self.render_to_response(self.get_context_data(form=form), status=400)
            messages.success(request, _("Saved."))
            return redirect(course)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Training course"), back=self.get_instance(), **kwargs)


class CompletionRemoveView(RoleRequired, View):
    http_method_names = ["post"]
    permission_required = "governance.manage_training"

    def post(self, request, pk):
        completion = get_object_or_404(TrainingCompletion.objects.select_related("course", "user"), pk=pk)
        form = RemoveCompletionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason for removing the record."))
        else:
            services.remove_completion(completion, request.user, form.cleaned_data["reason"])
            messages.success(request, _("The record was removed."))
        return redirect(completion.course)


class CompletionEvidenceView(RoleRequired, View):
    """The evidence file, for the person it is about and those who may see everyone's training."""

    permission_required = "governance.view_trainingcourse"

    def get(self, request, pk):
        completions = TrainingCompletion.objects.exclude(evidence="")
        if not request.user.has_perm("governance.view_trainingcompletion"):
            completions = completions.filter(user=request.user)
        completion = get_object_or_404(completions, pk=pk)
        name = completion.evidence.name.rsplit("/", 1)[-1]
        return FileResponse(completion.evidence.open("rb"), as_attachment=True, filename=name)


# --- Prompt library ---------------------------------------------------------------------------------


class PromptListView(RoleRequired, QueryStringMixin, FilterView):
    template_name = "governance/education/prompt_list.html"
    permission_required = "governance.view_prompttemplate"
    filterset_class = PromptTemplateFilterSet
    paginate_by = 25
    strict = True

    def get_queryset(self):
        return PromptTemplate.objects.visible_to(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if not (self.request.GET.get("status") or services.can_approve_prompts(self.request.user)):
            # The library shows approved prompts; one's own drafts are listed on their own.
            kwargs["queryset"] = kwargs["queryset"].filter(status=PromptStatus.APPROVED)
        return kwargs

    def get_context_data(self, **kwargs):
        user = self.request.user
        mine = PromptTemplate.objects.filter(owner=user).exclude(status=PromptStatus.APPROVED)
        return super().get_context_data(
            my_drafts=mine, can_add=user.has_perm("governance.add_prompttemplate"), **kwargs
        )


class PromptObjectMixin(RoleRequired):
    permission_required = "governance.view_prompttemplate"

    def get_prompt(self):
        return get_object_or_404(
            PromptTemplate.objects.visible_to(self.request.user).select_related("owner", "approved_by"),
            pk=self.kwargs["pk"],
        )


class PromptDetailView(PromptObjectMixin, TemplateView):
    template_name = "governance/education/prompt_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        prompt = self.get_prompt()
        rating = PromptRating.objects.filter(template=prompt, user=user).first()
        return super().get_context_data(
            prompt=prompt,
            can_edit=services.can_edit_prompt(prompt, user),
            can_approve=services.can_approve_prompts(user) and prompt.owner_id != user.pk,
            can_retire=services.can_approve_prompts(user) or prompt.owner_id == user.pk,
            can_rate=prompt.status == PromptStatus.APPROVED and prompt.owner_id != user.pk,
            rating_form=PromptRatingForm(
                initial={"stars": rating.stars, "comment": rating.comment} if rating else None
            ),
            **kwargs,
        )


class PromptFormView(RoleRequired, TemplateView):
    template_name = "governance/education/form.html"
    permission_required = "governance.add_prompttemplate"

    def get_instance(self):
        if "pk" not in self.kwargs:
            return None
        prompt = get_object_or_404(PromptTemplate.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        if not services.can_edit_prompt(prompt, self.request.user):
            raise PermissionDenied
        return prompt

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=PromptTemplateForm(instance=self.get_instance())))

    def post(self, request, *args, **kwargs):
        instance = self.get_instance()
        form = PromptTemplateForm(request.POST, instance=instance)
        if form.is_valid():
            if instance is None:
                prompt = services.create_prompt(request.user, form.cleaned_data)
            else:
                prompt = services.update_prompt(instance, request.user, form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect(prompt)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Prompt template"), back=self.get_instance(), **kwargs)


class PromptDecideView(PromptObjectMixin, View):
    http_method_names = ["post"]
    action = None

    def post(self, request, pk):
        prompt = self.get_prompt()
        try:
            services.decide_prompt(prompt, request.user, self.action)
        except ValidationError as error:
            _flash_errors(request, error)
        else:
            messages.success(request, _("Approved.") if self.action == "approve" else _("Retired."))
        return redirect(prompt)


class PromptUseView(PromptObjectMixin, View):
    """Counts a copy (the page fills the placeholders in the browser and posts here)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        prompt = self.get_prompt()
        try:
            count = services.record_prompt_use(prompt, request.user)
        except ValidationError as error:
            return JsonResponse({"detail": " ".join(error.messages)}, status=400)
        return JsonResponse({"usage_count": count})


class PromptRateView(PromptObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        prompt = self.get_prompt()
        form = PromptRatingForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose one to five stars."))
            return redirect(prompt)
        try:
            services.rate_prompt(prompt, request.user, form.cleaned_data["stars"], form.cleaned_data["comment"])
        except ValidationError as error:
            _flash_errors(request, error)
        else:
            messages.success(request, _("Thank you for your rating."))
        return redirect(prompt)
