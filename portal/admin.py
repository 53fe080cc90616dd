from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.choices import AuditAction
from portal.models import ApiToken, AuditEvent, Department, ReferenceSequence, SsoGroupMapping, User
from portal.services import create_api_token, field_changes, record_event

# The admin's titles in the reader's language, not Django's "Django administration".
admin.site.site_header = _("AI governance portal administration")
admin.site.site_title = _("AI governance portal administration")
admin.site.index_title = _("Administration")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "name_en", "code"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "department", "is_active", "is_staff"]
    list_filter = ["department", "groups", "is_active", "is_staff", "language"]
    search_fields = ["username", "email", "first_name", "last_name"]
    list_select_related = ["department"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("department", "language")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Organisation"), {"fields": ("email", "department", "language", "groups")}),
    )
    # Roles are given by groups; only a superuser hands out superuser status or single permissions.
    SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(is_superuser=False)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else (*readonly, *self.SUPERUSER_ONLY_FIELDS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only services write (audit trail, counters, use cases)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent for reading only (shared by the apps' admins)."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Edits of settings are audited like any other change; nothing here is deleted."""

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form has already put its values on ``obj``: diff them against the stored row.
        stored = type(obj).objects.get(pk=obj.pk) if change else obj
        changes = field_changes(stored, {name: form.cleaned_data.get(name) for name in form.changed_data})
        super().save_model(request, obj, form, change)
        record_event(obj, AuditAction.UPDATE if change else AuditAction.CREATE, request.user, changes=changes)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action_label", "object_repr", "from_state", "to_state"]
    list_filter = ["action", "content_type", "created_at"]
    search_fields = ["object_repr", "comment", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, event):
        return event.get_action_display()


@admin.register(ReferenceSequence)
class ReferenceSequenceAdmin(ReadOnlyAdmin):
    list_display = ["scope", "last_value"]
    search_fields = ["scope"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "created_at"]
    search_fields = ["name", "user__username", "prefix"]
    list_select_related = ["user"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # Moving an existing key to another user would hand them someone else's access.
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, key = create_api_token(obj.user, obj.name)
        obj.pk = token.pk
        self.message_user(
            request,
            _("Token created. Copy it now; it cannot be shown again: %(key)s") % {"key": key},
            messages.WARNING,
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        )


@admin.register(SsoGroupMapping)
class SsoGroupMappingAdmin(AuditedAdmin):
    """Single sign-on: provider group -> portal role or review group. Governance admins edit it;
    every change, deletions too, is in the audit trail."""

    list_display = ["claim_value", "group"]
    list_filter = ["group"]
    search_fields = ["claim_value", "group__name"]
    list_select_related = ["group"]

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        data = {"claim_value": obj.claim_value, "group": obj.group.name}
        record_event(obj, AuditAction.DELETE, request.user, data=data)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("group"):
            self.delete_model(request, obj)
