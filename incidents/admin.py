"""Admins edit the deadline rules and move deadlines; both go through the audited services."""

from django.contrib import admin

from incidents import services
from incidents.models import Deadline, DeadlineRule, Incident


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "clock", "due_hours", "starts_from", "is_active", "position")
    list_filter = ("clock", "is_active")

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.RULE_FIELDS if name in form.cleaned_data}
        saved = services.save_rule(request.user, fields, rule=obj if change else None)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False  # switch a rule off instead: deadlines keep pointing at it


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ("incident", "clock", "due_at", "done_at", "done_by")
    list_filter = ("clock",)
    fields = ("incident", "clock", "due_at", "note", "done_at", "done_by")
    readonly_fields = ("incident", "clock", "note", "done_at", "done_by")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.change_deadline(obj, request.user, form.cleaned_data["due_at"])


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "state", "severity", "category", "reported_at")
    list_filter = ("state", "severity", "category")
    search_fields = ("reference", "title")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
