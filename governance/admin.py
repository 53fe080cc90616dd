from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from governance import reminders, services
from governance.models import (
    ApprovalStage,
    ClassificationLevel,
    ClassificationRule,
    Finding,
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyException,
    PolicyVersion,
    PromptTemplate,
    Reminder,
    ReminderSetting,
    RiskTierSetting,
    StageDefinition,
    TrainingCompletion,
    TrainingCourse,
)
from portal.admin import ReadOnlyAdmin
from portal.choices import AuditAction
from portal.services import field_changes, record_event


class _AuditedAdmin(admin.ModelAdmin):
    """Edits of settings are audited like any other change; nothing here is deleted."""

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form has already put its values on ``obj``: diff them against the stored row.
        stored = type(obj).objects.get(pk=obj.pk) if change else obj
        changes = field_changes(stored, {name: form.cleaned_data.get(name) for name in form.changed_data})
        super().save_model(request, obj, form, change)
        record_event(obj, AuditAction.UPDATE if change else AuditAction.CREATE, request.user, changes=changes)


@admin.register(ClassificationLevel)
class ClassificationLevelAdmin(admin.ModelAdmin):
    list_display = ["code", "rank", "allowed_regions", "allowed_jurisdictions"]
    fields = ["description_ja", "description_en", "allowed_regions", "allowed_jurisdictions"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service: audited, and dependent use cases re-checked.
        services.update_level(obj, request.user, {name: form.cleaned_data[name] for name in form.changed_data})


@admin.register(ClassificationRule)
class ClassificationRuleAdmin(admin.ModelAdmin):
    list_display = ["level", "style", "verdict", *ClassificationRule.CONDITION_FIELDS]
    list_filter = ["level", "style", "verdict"]
    fields = ["verdict", *ClassificationRule.CONDITION_FIELDS, "note"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.update_matrix_rule(obj, request.user, {name: form.cleaned_data[name] for name in form.changed_data})


@admin.register(StageDefinition)
class StageDefinitionAdmin(_AuditedAdmin):
    list_display = ["code", "name_ja", "name_en", "group", "position", "sla_days", "risk_tiers", "for_personal_data"]
    list_editable = []
    list_filter = ["is_active", "group"]


@admin.register(RiskTierSetting)
class RiskTierSettingAdmin(_AuditedAdmin):
    list_display = ["tier", "review_interval_days"]

    def has_add_permission(self, request):
        return False


@admin.register(ApprovalStage)
class ApprovalStageAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "definition", "group", "status", "due_on", "decided_by", "decided_at"]
    list_filter = ["status", "definition", "group"]
    search_fields = ["use_case__reference", "use_case__title"]
    list_select_related = ["use_case", "definition", "group", "decided_by"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "rule_id", "subject", "severity", "evaluated_at"]
    list_filter = ["severity", "rule_id"]
    search_fields = ["use_case__reference"]
    list_select_related = ["use_case"]


@admin.register(PolicyException)
class PolicyExceptionAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "rule_id", "subject", "expires_on", "granted_by", "granted_at"]
    search_fields = ["use_case__reference"]
    list_select_related = ["use_case", "granted_by"]


@admin.register(ReminderSetting)
class ReminderSettingAdmin(_AuditedAdmin):
    list_display = ["kind", "days_before", "escalate_after_days", "is_active"]

    def has_add_permission(self, request):
        return False


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["kind", "step", "object_repr", "due_on", "recipient_key", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "kind", "step", "urgent"]
    search_fields = ["object_repr", "recipient_key"]
    date_hierarchy = "due_on"
    actions = ["send_again"]

    @admin.action(description=_("Send the selected failed reminders again"), permissions=["retry"])
    def send_again(self, request, queryset):
        count = reminders.retry_failed(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, reminders.reminders_sent_again(count))

    def has_retry_permission(self, request):
        return request.user.has_perm("governance.change_reminder")


# --- Rules and education: documents and courses are edited here or on the pages (audited);
# versions, acknowledgements, completions and prompts change only through the services.


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(_AuditedAdmin):
    list_display = ["key", "title_ja", "kind", "all_staff", "requires_acknowledgement", "is_active"]
    list_filter = ["kind", "is_active", "requires_acknowledgement"]
    search_fields = ["key", "title_ja", "title_en"]
    filter_horizontal = ["departments", "roles"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["document", "number", "status", "published_at", "acknowledge_by"]
    list_filter = ["status"]
    list_select_related = ["document"]


@admin.register(PolicyAcknowledgement)
class PolicyAcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["version", "user", "acknowledged_at"]
    search_fields = ["user__username", "version__document__key"]
    list_select_related = ["version__document", "user"]


@admin.register(TrainingCourse)
class TrainingCourseAdmin(_AuditedAdmin):
    list_display = ["key", "title_ja", "validity_months", "required", "all_staff", "is_active"]
    list_filter = ["required", "is_active"]
    search_fields = ["key", "title_ja", "title_en"]
    filter_horizontal = ["departments", "roles"]


@admin.register(TrainingCompletion)
class TrainingCompletionAdmin(ReadOnlyAdmin):
    list_display = ["course", "user", "completed_on", "expires_on", "source", "recorded_by"]
    list_filter = ["course", "source"]
    search_fields = ["user__username", "course__key"]
    list_select_related = ["course", "user", "recorded_by"]


@admin.register(PromptTemplate)
class PromptTemplateAdmin(ReadOnlyAdmin):
    list_display = ["title", "category", "style", "status", "owner", "usage_count", "rating_count"]
    list_filter = ["status", "category", "style"]
    search_fields = ["title", "body"]
    list_select_related = ["owner"]
