"""The import pages: upload and templates, the preview of an import, its confirmation."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import TemplateView

from imports import services
from imports.choices import RUNNING_STATES, ImportKind, ImportStatus, RowOutcome
from imports.forms import UploadForm
from imports.kinds import kind_for
from imports.models import ImportJob
from imports.reader import FileRefused, check_size
from imports.templates_export import template_response
from portal.exceptions import RuleViolation
from portal.pages import show_rule_violation

ROWS_PER_PAGE = 200
# What a multipart body adds around the file (boundaries, the other fields).
MULTIPART_SLACK = 64 * 1024


def too_large(request):
    """Whether the request announces a body larger than any accepted file: answered before it is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.IMPORT_MAX_BYTES + MULTIPART_SLACK


class ImporterMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not services.may_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportIndexView(ImporterMixin, TemplateView):
    """Upload a file; download the templates; the person's recent imports."""

    template_name = "imports/index.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        kinds = services.allowed_kinds(self.request.user)
        context["form"] = form or UploadForm(kinds=kinds)
        context["kinds"] = [(kind, kind_for(kind)) for kind in kinds]
        context["jobs"] = ImportJob.objects.visible_to(self.request.user).defer("data", "preview")[:20]
        return context

    @classmethod
    def as_view(cls, **initkwargs):
        # The size is checked before anything reads the body, the CSRF check included (it parses
        # the form): the check runs inside, once the size is known to be acceptable.
        view = super().as_view(**initkwargs)
        protected = csrf_protect(view)

        def guarded(request, *args, **kwargs):
            if request.method == "POST" and too_large(request):
                request.upload_refused = True
                return view(request, *args, **kwargs)
            return protected(request, *args, **kwargs)

        return csrf_exempt(guarded)

    def post(self, request, *args, **kwargs):
        kinds = services.allowed_kinds(request.user)
        if getattr(request, "upload_refused", False):
            try:
                check_size(int(request.META.get("CONTENT_LENGTH") or 0))
            except FileRefused as error:
                messages.error(request, error.messages[0])
            return self.render_to_response(self.get_context_data(), status=400)
        form = UploadForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid():
            try:
                job = services.upload(request.user, form.cleaned_data["kind"], form.cleaned_data["file"])
            except RuleViolation as error:
                status = show_rule_violation(request, error, form)
                return self.render_to_response(self.get_context_data(form=form), status=status)
            return redirect(job)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class TemplateDownloadView(ImporterMixin, View):
    """The template of a kind (``?filled=1``: with the records the person may import again)."""

    def get(self, request, kind, fmt):
        kind = kind.replace("-", "_")
        if kind not in ImportKind.values or fmt not in ("csv", "xlsx"):
            raise Http404
        try:
            services.check_kind(request.user, kind)
        except RuleViolation as error:
            raise PermissionDenied from error
        return template_response(kind, request.user, fmt, filled=request.GET.get("filled") == "1")


class ImportDetailView(ImporterMixin, TemplateView):
    template_name = "imports/detail.html"

    def get(self, request, *args, **kwargs):
        try:
            self.job = services.get_job(request.user, kwargs["pk"])
        except RuleViolation as error:
            raise Http404 from error
        response = super().get(request, *args, **kwargs)
        if self.job.status in RUNNING_STATES:
            response["Refresh"] = "2"  # a header, not a script: allowed by the CSP
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.job
        kind = kind_for(job.kind)
        headers = {column.key: column.header() for column in kind.columns}
        outcomes = dict(RowOutcome.choices)
        rows = [
            {
                **row,
                "outcome_label": outcomes.get(row["outcome"], row["outcome"]),
                "errors": [{**error, "header": headers.get(error["column"], "")} for error in row["errors"]],
            }
            for row in job.preview
        ]
        only_errors = self.request.GET.get("errors") == "1"
        if only_errors:
            rows = [row for row in rows if row["errors"]]
        page = Paginator(rows, ROWS_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            job=job,
            page_obj=page,
            rows=page.object_list,
            only_errors=only_errors,
            running=job.status in RUNNING_STATES,
            can_confirm=job.status == ImportStatus.READY,
            counts=[(outcome.label, job.counts.get(outcome.value, 0)) for outcome in RowOutcome],
            query_without_page="errors=1" if only_errors else "",
        )
        return context


class ImportConfirmView(ImporterMixin, View):
    def post(self, request, pk):
        try:
            job = services.get_job(request.user, pk)
        except RuleViolation as error:
            raise Http404 from error
        try:
            job = services.confirm(job, request.user)
        except RuleViolation as error:
            show_rule_violation(request, error)
            return redirect(job)
        if job.status == ImportStatus.DONE:
            messages.success(request, _("Imported: every row was written."))
        elif job.status == ImportStatus.IMPORTING:
            messages.info(request, _("The import runs in the background; this page shows its progress."))
        else:
            messages.error(request, job.error or _("Nothing was imported."))
        return redirect(job)
