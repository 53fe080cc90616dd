from django.db import models
from django.db.models import Q

from portal.registry import Registry
from usecases.choices import EDITABLE_STATES

# Prefetches other apps add to ``with_children`` (governance: the stage waiting for a decision),
# so per-row rules such as the allowed actions read loaded rows instead of querying per row.
CHILD_PREFETCHES = Registry("usecases.querysets.CHILD_PREFETCHES", "make() -> Prefetch")


class UseCaseQuerySet(models.QuerySet):
    def with_related(self):
        return self.select_related("department", "owner", "owner__department")

    def with_children(self):
        return self.with_related().prefetch_related(
            "tasks", "kpis__measurements", "model_choices__ai_model__publisher", *(make() for make in CHILD_PREFETCHES)
        )

    def visible_to(self, user):
        """What ``user`` may read: all for reviewers, executives and admins; for
        requesters the published inventory (everything ever submitted) plus their own
        department's unsubmitted use cases, including drafts withdrawn before submission."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_perm("usecases.view_all_usecases"):
            return self
        if not user.has_perm("usecases.view_usecase"):
            return self.none()
        own = Q(owner=user)
        if user.department_id:
            own |= Q(department_id=user.department_id)
        return self.filter(Q(submitted_at__isnull=False) | own)

    def editable_by(self, user):
        """Drafts the user may change: only their own, and only with the change permission."""
        if not user.is_authenticated or not user.has_perm("usecases.change_usecase"):
            return self.none()
        return self.filter(owner=user, status__in=EDITABLE_STATES)
