from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.views.generic import TemplateView

from usecases.choices import UseCaseStatus
from usecases.models import UseCase


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
        return context
