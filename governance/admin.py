from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from governance import services
from governance.models import (
    ApprovalStage,
    ChatDestination,
    ClassificationLevel,
    ClassificationRule,
    Delegation,
    Finding,
    PolicyException,
    Reminder,
    ReminderSetting,
    RiskTierSetting,
    StageDefinition,
)
from governance.reminders import outbox
from portal.admin import AuditedAdmin, ReadOnlyAdmin
from portal.choices import AuditAction
from portal.services import record_event


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
class StageDefinitionAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name_ja",
        "name_en",
        "group",
        "position",
        "sla_days",
        "risk_tiers",
        "for_personal_data",
        "four_eyes",
    ]
    list_editable = []
    list_filter = ["is_active", "group", "four_eyes"]


@admin.register(RiskTierSetting)
class RiskTierSettingAdmin(AuditedAdmin):
    list_display = ["tier", "review_interval_days"]

    def has_add_permission(self, request):
        return False


@admin.register(ApprovalStage)
class ApprovalStageAdmin(ReadOnlyAdmin):
    list_display = ["use_case", "definition", "group", "status", "due_on", "assigned_to", "decided_by", "decided_at"]
    list_filter = ["status", "definition", "group"]
    search_fields = ["use_case__reference", "use_case__title"]
    list_select_related = ["use_case", "definition", "group", "assigned_to", "decided_by"]


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin):
    """Governance admins correct delegations (e.g. for someone suddenly away); every change is audited."""

    list_display = ["user", "delegate", "starts_on", "ends_on", "note"]
    list_filter = ["starts_on", "ends_on"]
    search_fields = ["user__username", "delegate__username"]
    list_select_related = ["user", "delegate"]
    autocomplete_fields = []
    date_hierarchy = "starts_on"


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
class ReminderSettingAdmin(AuditedAdmin):
    list_display = ["kind", "days_before", "escalate_after_days", "is_active"]

    def has_add_permission(self, request):
        return False


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "event",
        "channel",
        "object_repr",
        "due_on",
        "recipient_key",
        "status",
        "attempts",
        "sent_at",
        "error",
    ]
    list_filter = ["status", "kind", "channel", "step", "urgent"]
    search_fields = ["object_repr", "recipient_key"]
    date_hierarchy = "due_on"
    actions = ["send_again"]

    @admin.action(description=_("Send the selected failed reminders again"), permissions=["retry"])
    def send_again(self, request, queryset):
        count = outbox.retry_failed(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, outbox.reminders_sent_again(count))

    def has_retry_permission(self, request):
        return request.user.has_perm("governance.change_reminder")


class ChatDestinationForm(forms.ModelForm):
    """The webhook URL is written here and never shown back (an empty field keeps it)."""

    webhook_url = forms.URLField(
        label=_("Webhook URL"),
        max_length=1000,
        required=False,
        assume_scheme="https",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("The incoming webhook URL given by Slack or Teams. Stored encrypted; leave empty to keep it."),
    )

    class Meta:
        model = ChatDestination
        fields = ["name", "kind", "group", "department", "language", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The review groups: those that decide an approval stage (not the role groups).
        self.fields["group"].queryset = Group.objects.filter(pk__in=StageDefinition.objects.values("group")).order_by(
            "name"
        )

    def clean(self):
        data = super().clean()
        if not data.get("webhook_url") and not self.instance.webhook_encrypted:
            self.add_error("webhook_url", _("Enter the webhook URL."))
        return data

    def save(self, commit=True):
        if self.cleaned_data.get("webhook_url"):
            self.instance.webhook_url = self.cleaned_data["webhook_url"]
        return super().save(commit)


@admin.register(ChatDestination)
class ChatDestinationAdmin(admin.ModelAdmin):
    form = ChatDestinationForm
    list_display = ["name", "kind", "group", "department", "language", "is_active", "webhook"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["webhook"]
    list_select_related = ["group", "department"]

    @admin.display(description=_("webhook"))
    def webhook(self, destination):
        return destination.webhook_display

    def save_model(self, request, obj, form, change):
        # Audited without the URL: only that it changed.
        changed = [name for name in form.changed_data if name != "webhook_url"]
        changes = {name: ["", str(form.cleaned_data.get(name))] for name in changed}
        if "webhook_url" in form.changed_data and form.cleaned_data.get("webhook_url"):
            changes["webhook_url"] = ["", "(set)"]
        super().save_model(request, obj, form, change)
        record_event(obj, AuditAction.UPDATE if change else AuditAction.CREATE, request.user, changes=changes)


# Rules and education register theirs beside their services.
from governance.education import admin as education_admin  # noqa: E402, F401
