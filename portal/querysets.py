from django.contrib.contenttypes.models import ContentType
from django.db import models


class DepartmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class AuditEventQuerySet(models.QuerySet):
    """Audit events can be added and read, never changed in bulk."""

    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")

    def for_object(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)).select_related(
            "actor"
        )
