import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.choices import FindingSeverity, StageStatus
from governance.filters import StageQueueFilterSet
from governance.models import ApprovalStage, Finding, PolicyException


class ApprovalStageFilterSet(StageQueueFilterSet):
    use_case = django_filters.CharFilter(field_name="use_case__reference", max_length=40, label=_("Use case"))
    status = django_filters.MultipleChoiceFilter(choices=StageStatus.choices)
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Waiting for my groups"))

    class Meta:
        model = ApprovalStage
        fields = []

    def filter_mine(self, queryset, name, value):
        if value:
            return queryset.filter(pk__in=ApprovalStage.objects.queue_for(self.request.user).values("pk"))
        return queryset


class FindingFilterSet(django_filters.FilterSet):
    use_case = django_filters.CharFilter(field_name="use_case__reference", max_length=40, label=_("Use case"))
    severity = django_filters.MultipleChoiceFilter(choices=FindingSeverity.choices)
    rule_id = django_filters.CharFilter(max_length=60)

    class Meta:
        model = Finding
        fields = []


class PolicyExceptionFilterSet(django_filters.FilterSet):
    use_case = django_filters.CharFilter(field_name="use_case__reference", max_length=40, label=_("Use case"))
    valid = django_filters.BooleanFilter(method="filter_valid", label=_("Still valid"))

    class Meta:
        model = PolicyException
        fields = []

    def filter_valid(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(expires_on__gte=today) if value else queryset.filter(expires_on__lt=today)
