"""Admin of rules and education: documents and courses are edited here or on the pages
(audited); versions, acknowledgements, completions and prompts change only through the services."""

from django.contrib import admin

from governance.education.models import (
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyVersion,
    PromptTemplate,
    TrainingCompletion,
    TrainingCourse,
)
from portal.admin import AuditedAdmin, ReadOnlyAdmin


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(AuditedAdmin):
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
class TrainingCourseAdmin(AuditedAdmin):
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
