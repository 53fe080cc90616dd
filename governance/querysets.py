from django.db import models
from django.utils import timezone

from governance.choices import FindingSeverity, StageStatus
from governance.education.choices import PromptStatus


class ApprovalStageQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=StageStatus.PENDING)

    def active(self):
        """Pending stages that have started: the ones a group decides now."""
        return self.pending().filter(started_at__isnull=False)

    def for_groups_of(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(group__in=user.groups.all())

    def queue_for(self, user):
        """Stages waiting for ``user``'s groups, soonest due first, never their own use cases."""
        if not user.has_perm("governance.decide_approvalstage"):
            return self.none()
        return (
            self.active()
            .for_groups_of(user)
            .exclude(use_case__owner=user)
            .select_related("use_case", "use_case__department", "use_case__owner", "definition", "group")
            .order_by("due_on", "started_at", "id")
        )


class FindingQuerySet(models.QuerySet):
    def blocking(self):
        return self.filter(severity=FindingSeverity.BLOCK)


class PolicyExceptionQuerySet(models.QuerySet):
    def valid(self, on=None):
        return self.filter(expires_on__gte=on or timezone.localdate())


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user).select_related("reminder")


class AudienceQuerySet(models.QuerySet):
    def applying_to(self, user):
        """Active policies or courses meant for ``user``: all staff, their department or one of their roles."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        condition = models.Q(all_staff=True) | models.Q(roles__in=user.groups.all())
        if user.department_id:
            condition |= models.Q(departments=user.department_id)
        return self.filter(condition, is_active=True).distinct()


class TrainingCompletionQuerySet(models.QuerySet):
    def valid(self, on=None):
        """Completions still valid on ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=on))


class PromptTemplateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Approved prompts for everyone with a role; drafts and retired ones for their owner and reviewers."""
        if not user.is_authenticated or not user.has_perm("governance.view_prompttemplate"):
            return self.none()
        if user.has_perm("governance.approve_prompttemplate"):
            return self
        return self.filter(models.Q(status=PromptStatus.APPROVED) | models.Q(owner=user))
