"""The audit trail page's filter: the object is picked by its name, not typed as an id.

``subject`` lists the use cases, vendors and AI models the reader may see (by reference and
title or by name); its value is ``app_label.model:pk``. ``object_type`` and ``object_id``
stay for links (e.g. "history of this object"), ``object_id`` as a hidden field."""

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from governance.filters import AuditEventFilterSet
from usecases.models import UseCase
from vendors.models import AIModel, Vendor

# How many of each kind the select offers (the most recently changed first).
SUBJECT_LIMIT = 500


def subject_choices(user):
    """Grouped choices ``[(kind, [("app.model:pk", name), ...]), ...]`` scoped to ``user``."""
    if user is None or not user.is_authenticated:
        return []
    groups = []
    use_cases = UseCase.objects.visible_to(user).order_by("-updated_at").values_list("pk", "reference", "title")
    groups.append(
        (
            UseCase._meta.verbose_name_plural,
            [(f"usecases.usecase:{pk}", f"{ref} {title}") for pk, ref, title in use_cases[:SUBJECT_LIMIT]],
        )
    )
    vendors = Vendor.objects.visible_to(user).order_by("name").values_list("pk", "name")
    groups.append(
        (Vendor._meta.verbose_name_plural, [(f"vendors.vendor:{pk}", name) for pk, name in vendors[:SUBJECT_LIMIT]])
    )
    if user.has_perm("vendors.view_aimodel"):
        models_ = AIModel.objects.select_related("publisher").order_by("name")[:SUBJECT_LIMIT]
        groups.append((AIModel._meta.verbose_name_plural, [(f"vendors.aimodel:{m.pk}", str(m)) for m in models_]))
    return [(label, options) for label, options in groups if options]


class AuditPageFilterSet(AuditEventFilterSet):
    subject = django_filters.ChoiceFilter(label=_("Object"), method="filter_subject", empty_label=_("All objects"))
    object_id = django_filters.CharFilter(label=_("Object id"), max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["subject"].extra["choices"] = subject_choices(user)
        self.filters["object_type"].extra["empty_label"] = _("All types")
        self.filters["action"].extra["empty_label"] = _("All actions")
        # Free text on the object's name stays, after the picker.
        self.filters["object"].label = _("Object name contains")

    def filter_subject(self, queryset, name, value):
        label, _colon, pk = value.partition(":")
        app_label, _dot, model = label.partition(".")
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
        return queryset.filter(content_type=content_type, object_id=pk)
