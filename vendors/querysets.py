from django.db import models
from django.utils import timezone

from vendors.choices import AssessmentStatus, TemplateAudience, TemplateVersionStatus

READINESS_TEMPLATE_KEY = "open-model-readiness"


class VendorQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Everyone with a role may read the vendor registry; others see nothing."""
        if not user.is_authenticated or not user.has_perm("vendors.view_vendor"):
            return self.none()
        return self

    def reassessment_due(self, within_days=0):
        """Vendors whose reassessment date is past, or within ``within_days`` days."""
        limit = timezone.localdate() + timezone.timedelta(days=within_days)
        return self.filter(next_reassessment_on__lte=limit)


class TemplateVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=TemplateVersionStatus.PUBLISHED)


class AssessmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Assessments (answers, evidence, scores) are for reviewers and admins."""
        if not user.is_authenticated or not user.has_perm("vendors.view_assessment"):
            return self.none()
        return self

    def with_related(self):
        return self.select_related("vendor", "contact", "template_version__template", "sent_by", "decided_by")

    def readiness_completed(self):
        """Open-model adoption-readiness checks IT completed with no knockout answer
        (a knockout means the check found the team not ready)."""
        return self.filter(
            template_version__template__audience=TemplateAudience.INTERNAL,
            template_version__template__key=READINESS_TEMPLATE_KEY,
            status=AssessmentStatus.SUBMITTED,
            knockout_count=0,
        )
