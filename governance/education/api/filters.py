import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from governance.models import TrainingCompletion
from portal.filters import IdChoiceFilter

User = get_user_model()


class CompletionFilterSet(django_filters.FilterSet):
    course = django_filters.CharFilter(field_name="course__key", max_length=60, label=_("Course key"))
    user = IdChoiceFilter(queryset=User.objects.all(), label=_("User id"))

    class Meta:
        model = TrainingCompletion
        fields = []
