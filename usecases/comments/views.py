"""The conversation's pages: post, reply, edit and delete a comment, and the people an
@mention may name (JSON for the autocomplete of ``usecases/static/usecases/mentions.js``)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from portal.errors import PermissionRequiredMixin
from portal.exceptions import RuleViolation
from portal.forms import add_errors
from portal.pages import show_rule_violation
from usecases.comments import services
from usecases.comments.forms import CommentEditForm, CommentForm
from usecases.comments.models import Comment
from usecases.comments.people import person_name, who_can_see
from usecases.comments.thread import thread
from usecases.models import UseCase

PEOPLE_LIMIT = 10
PEOPLE_RATE = 60  # autocomplete requests a user may make a minute


def thread_context(request, use_case):
    """What ``usecases/comments/thread.html`` shows on the use-case page (constant queries)."""
    items = thread(use_case)
    comments = [item.comment for item in items if item.comment is not None]
    last = max(comments, key=lambda comment: (comment.created_at, comment.pk)) if comments else None
    now = timezone.now()
    for item in items:
        if item.comment is not None:
            item.can_edit = services.can_edit(item.comment, request.user, now)
            item.can_delete = item.comment is last and item.comment.author_id == request.user.pk
            item.author_name = person_name(item.comment.author)
            item.parent_name = person_name(item.comment.parent.author) if item.comment.parent_id else ""
        else:
            item.author_name = person_name(item.author) if item.author else ""
    return {
        "thread_items": items,
        "comment_form": CommentForm(mentions_url=people_url(use_case)),
        "comment_edit_minutes": services.edit_minutes(),
    }


def people_url(use_case):
    return reverse("usecases:comment-people", kwargs={"reference": use_case.reference})


class CommentAccessMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """The role first (403), then whether the use case is visible (404)."""

    permission_required = "usecases.view_usecase"

    def has_permission(self):
        if not super().has_permission():
            return False
        self.use_case = get_object_or_404(
            UseCase.objects.visible_to(self.request.user).with_related(), reference=self.kwargs["reference"]
        )
        return True

    def get_comment(self):
        return get_object_or_404(
            Comment.objects.select_related("use_case", "author"), pk=self.kwargs["pk"], use_case=self.use_case
        )


class CommentPostView(CommentAccessMixin, TemplateView):
    """GET: the form (a reply when ``?reply_to=`` names a comment); POST: post it."""

    template_name = "usecases/comments/comment_form.html"

    def _parent(self, value):
        try:
            return Comment.objects.select_related("author").get(pk=int(value), use_case=self.use_case)
        except (TypeError, ValueError, Comment.DoesNotExist):
            return None

    def render_form(self, form, parent=None, status=200):
        context = self.get_context_data(
            form=form,
            use_case=self.use_case,
            parent=parent,
            editing=False,
            parent_name=person_name(parent.author) if parent else "",
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        parent = self._parent(request.GET.get("reply_to"))
        initial = {"parent": parent.pk} if parent else {}
        if parent:
            initial["body"] = f"@{parent.author.username} " if parent.author_id != request.user.pk else ""
        return self.render_form(CommentForm(initial=initial, mentions_url=people_url(self.use_case)), parent)

    def post(self, request, *args, **kwargs):
        form = CommentForm(request.POST, mentions_url=people_url(self.use_case))
        parent = None
        if form.is_valid():
            parent = form.cleaned_data["parent"]
            try:
                comment = services.post_comment(self.use_case, request.user, form.cleaned_data["body"], parent=parent)
            except ValidationError as error:
                add_errors(form, error)
            except RuleViolation as error:
                return self.render_form(form, status=show_rule_violation(request, error, form))
            else:
                messages.success(request, _("Comment posted."))
                return redirect(comment.get_absolute_url())
            parent = self._parent(parent)
        return self.render_form(form, parent)


class CommentEditView(CommentAccessMixin, TemplateView):
    template_name = "usecases/comments/comment_form.html"

    def render_form(self, form, comment, status=200):
        context = self.get_context_data(form=form, use_case=self.use_case, comment=comment, editing=True)
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        comment = self.get_comment()
        form = CommentEditForm(initial={"body": comment.body}, mentions_url=people_url(self.use_case))
        if comment.author_id != request.user.pk:
            raise PermissionDenied
        if not services.can_edit(comment, request.user):
            messages.error(request, str(services.EditWindowClosed(services.edit_minutes())))
            return redirect(comment.get_absolute_url())
        return self.render_form(form, comment)

    def post(self, request, *args, **kwargs):
        comment = self.get_comment()
        form = CommentEditForm(request.POST, mentions_url=people_url(self.use_case))
        if form.is_valid():
            try:
                comment = services.edit_comment(comment, request.user, form.cleaned_data["body"])
            except ValidationError as error:
                add_errors(form, error)
            except RuleViolation as error:
                return self.render_form(form, comment, status=show_rule_violation(request, error, form))
            else:
                messages.success(request, _("Comment saved."))
                return redirect(comment.get_absolute_url())
        return self.render_form(form, comment)


class CommentDeleteView(CommentAccessMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        comment = self.get_comment()
        try:
            services.delete_comment(comment, request.user)
        except RuleViolation as error:
            if error.status_code == 403:
                raise PermissionDenied from error
            show_rule_violation(request, error)
        else:
            messages.success(request, _("Comment deleted."))
        return redirect(f"{self.use_case.get_absolute_url()}#comments")


class MentionPeopleView(CommentAccessMixin, View):
    """``?q=prefix``: up to ten people who can see the use case, by user name or name."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        key = f"comment-people:{request.user.pk}:{int(timezone.now().timestamp() // 60)}"
        cache.add(key, 0, timeout=120)
        if cache.incr(key) > PEOPLE_RATE:
            return JsonResponse({"detail": _("Too many requests; wait a minute.")}, status=429)
        prefix = request.GET.get("q", "").strip().lstrip("@")[:150]
        if "\x00" in prefix:
            raise Http404
        people = who_can_see(self.use_case)
        if prefix:
            people = people.filter(
                Q(username__istartswith=prefix) | Q(first_name__istartswith=prefix) | Q(last_name__istartswith=prefix)
            )
        people = people.order_by("username")[:PEOPLE_LIMIT]
        return JsonResponse({"results": [{"username": user.username, "name": person_name(user)} for user in people]})
