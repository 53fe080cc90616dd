from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.generic import TemplateView

from governance.education.services import pending_acknowledgements
from portal import services
from portal.choices import UserLanguage
from portal.forms import ApiTokenForm, add_errors
from portal.models import ApiToken
from usecases.choices import UseCaseStatus
from usecases.models import UseCase


class QueryStringMixin:
    """Adds ``query_without_page`` so pagination links keep the filters."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        return context


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        visible = UseCase.objects.visible_to(user)
        counts = dict(visible.order_by().values_list("status").annotate(n=Count("id")))
        context["status_counts"] = [
            (status, label, counts.get(status, 0)) for status, label in UseCaseStatus.choices if counts.get(status)
        ]
        context["total"] = sum(counts.values())
        context["my_use_cases"] = visible.filter(owner=user).with_related()[:10]
        context["pending_acknowledgements"] = list(pending_acknowledgements(user)[:10])
        return context


def set_language(request):
    """Django's language switch, remembered on the user too (e-mails use it)."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in UserLanguage.values
        and request.user.language != language
    ):
        get_user_model().objects.filter(pk=request.user.pk).update(language=language)
    return response


class ApiTokenView(LoginRequiredMixin, TemplateView):
    """Your personal API tokens: create one (its key is shown once, here), see when each was
    last used, revoke."""

    template_name = "portal/tokens.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.may_use_tokens(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        tokens = ApiToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")
        return super().get_context_data(tokens=tokens, form=kwargs.pop("form", None) or ApiTokenForm(), **kwargs)

    def post(self, request, *args, **kwargs):
        if "revoke" in request.POST:
            token = get_object_or_404(ApiToken, pk=request.POST.get("revoke"), user=request.user)
            services.revoke_api_token(token, request.user)
            messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
            return redirect("api-tokens")
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, key = services.create_api_token(request.user, form.cleaned_data["name"], check=True)
            except ValidationError as error:
                add_errors(form, error)
            else:
                # The key is shown in this response only (no redirect: it must not travel in a URL or session).
                return self.render_to_response(self.get_context_data(new_token=token, new_key=key))
        return self.render_to_response(self.get_context_data(form=form), status=400)
