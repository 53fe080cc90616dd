"""Admin of single sign-on: the group-claim mapping, edited by governance admins, every change
(deletions too) in the audit trail."""

from django.contrib import admin

from portal.admin import AuditedAdmin
from portal.auth_models import SsoGroupMapping
from portal.choices import AuditAction
from portal.services import record_event


@admin.register(SsoGroupMapping)
class SsoGroupMappingAdmin(AuditedAdmin):
    list_display = ["claim_value", "group"]
    list_filter = ["group"]
    search_fields = ["claim_value", "group__name"]
    list_select_related = ["group"]

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        record_event(
            obj, AuditAction.DELETE, request.user, data={"claim_value": obj.claim_value, "group": obj.group.name}
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("group"):
            self.delete_model(request, obj)
