"""Who sees which incident.

The incident manager group (``settings.INCIDENT_MANAGER_GROUP``, an ordinary group that
admins fill; the migration creates it) sees every incident. Anyone else sees the incidents
they reported or are assigned to, and those linked to a use case they own."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def manager_group_name():
    return settings.INCIDENT_MANAGER_GROUP


def is_incident_manager(user):
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or manager_group_name() in user.role_names


class IncidentQuerySet(models.QuerySet):
    def with_related(self):
        return self.select_related("reporter", "assignee", "department", "use_case", "ai_model", "vendor")

    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if is_incident_manager(user):
            return self
        return self.filter(Q(reporter=user) | Q(assignee=user) | Q(use_case__owner=user))


class DeadlineQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_at__isnull=True)

    def overdue(self, now=None):
        return self.open().filter(due_at__lt=now or timezone.now())
