from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.views import i18n as i18n_views
from django.views.generic import TemplateView

from governance.education.services import pending_acknowledgements
from portal.choices import UserLanguage
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
