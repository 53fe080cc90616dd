from django import forms
from django.contrib import admin

from portal.admin import ReadOnlyAdmin, ReadOnlyInline
from vendors import services
from vendors.choices import LicenceRestriction
from vendors.models import (
    AIModel,
    Answer,
    Assessment,
    EvidenceFile,
    Licence,
    Question,
    QuestionnaireTemplate,
    TemplateSection,
    TemplateVersion,
    Vendor,
    VendorCertification,
    VendorContact,
)


class ServiceAdmin(admin.ModelAdmin):
    """Saves through the registry services, so an admin edit is audited with its changed
    fields and re-checks the use cases that depend on it, like an edit on the pages."""

    create_service = update_service = None

    def save_model(self, request, obj, form, change):
        fields = services.editable_values(self.model, form.cleaned_data)
        if change:
            saved = self.update_service(obj, request.user, fields)
        else:
            saved = self.create_service(request.user, fields)
            # The admin goes on with ``obj`` (inlines, its log entry, the redirect).
            obj.pk, obj._state.adding = saved.pk, False
        obj.refresh_from_db()


class VendorContactInline(admin.TabularInline):
    model = VendorContact
    extra = 0


class VendorCertificationInline(admin.TabularInline):
    model = VendorCertification
    extra = 0


@admin.register(Vendor)
class VendorAdmin(ServiceAdmin):
    """Status and approved level are read-only: they follow from assessment decisions."""

    list_display = [
        "name",
        "kind",
        "headquarters_country",
        "status",
        "approved_level",
        "risk_rating",
        "next_reassessment_on",
    ]
    list_filter = ["kind", "status", "approved_level", "risk_rating", "headquarters_country"]
    search_fields = ["name", "website", "contacts__email"]
    readonly_fields = ["status", "approved_level"]
    inlines = [VendorContactInline, VendorCertificationInline]
    create_service, update_service = staticmethod(services.create_vendor), staticmethod(services.update_vendor)


class LicenceAdminForm(forms.ModelForm):
    restriction_kinds = forms.MultipleChoiceField(
        label=Licence._meta.get_field("restriction_kinds").verbose_name,
        help_text=Licence._meta.get_field("restriction_kinds").help_text,
        choices=LicenceRestriction.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    url = forms.URLField(
        label=Licence._meta.get_field("url").verbose_name, required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = Licence
        fields = [
            "identifier",
            "name",
            "commercial_use",
            "redistribution",
            "attribution_required",
            "non_commercial_only",
            "restriction_kinds",
            "user_limit",
            "restrictions",
            "url",
        ]


@admin.register(Licence)
class LicenceAdmin(ServiceAdmin):
    form = LicenceAdminForm
    create_service, update_service = staticmethod(services.create_licence), staticmethod(services.update_licence)
    list_display = [
        "identifier",
        "name",
        "commercial_use",
        "redistribution",
        "attribution_required",
        "non_commercial_only",
        "restriction_kinds",
        "user_limit",
    ]
    list_filter = ["commercial_use", "redistribution", "attribution_required", "non_commercial_only"]
    search_fields = ["identifier", "name"]


@admin.register(AIModel)
class AIModelAdmin(ServiceAdmin):
    create_service, update_service = staticmethod(services.create_model), staticmethod(services.update_model)
    list_display = [
        "name",
        "version",
        "publisher",
        "openness",
        "licence",
        "status",
        "currency",
        "price_input_per_million",
        "price_output_per_million",
    ]
    list_filter = ["openness", "status", "licence", "currency"]
    search_fields = ["name", "version", "publisher__name"]
    list_select_related = ["publisher", "licence"]


class TemplateVersionInline(ReadOnlyInline):
    model = TemplateVersion
    show_change_link = True


@admin.register(QuestionnaireTemplate)
class QuestionnaireTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "name_ja", "name_en", "audience"]
    list_filter = ["audience"]
    search_fields = ["key", "name_ja", "name_en"]
    inlines = [TemplateVersionInline]


# Versions, sections and questions change only through the template editor, which
# refuses to touch a published version; the admin shows them read-only.


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadOnlyAdmin):
    list_display = ["template", "number", "status", "published_at"]
    list_filter = ["status", "template"]
    search_fields = ["template__key", "template__name_en"]


@admin.register(TemplateSection)
class TemplateSectionAdmin(ReadOnlyAdmin):
    list_display = ["title_en", "title_ja", "version", "position"]
    list_filter = ["version__template"]
    search_fields = ["title_en", "title_ja"]


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ["text_en", "answer_type", "weight", "required", "evidence_required", "section"]
    list_filter = ["answer_type", "required", "evidence_required", "section__version__template"]
    search_fields = ["text_en", "text_ja"]


class AnswerInline(ReadOnlyInline):
    model = Answer


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "vendor",
        "template_version",
        "status",
        "score",
        "knockout_count",
        "sent_at",
        "decided_at",
    ]
    list_filter = ["status", "template_version__template"]
    search_fields = ["reference", "vendor__name", "contact__email"]
    list_select_related = ["vendor", "template_version__template"]
    exclude = ["link_nonce_hash"]
    inlines = [AnswerInline]


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "answer", "size", "content_type", "uploaded_at"]
    search_fields = ["original_name", "answer__assessment__reference"]
    list_filter = ["content_type"]
