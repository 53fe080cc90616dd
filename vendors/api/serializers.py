from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField

from portal.api import strict as serializers
from portal.choices import DataClassification
from portal.filters import MAX_ID
from vendors.choices import AssessmentDecision, HostingOption, LicenceRestriction
from vendors.models import (
    AIModel,
    Assessment,
    Licence,
    Question,
    QuestionnaireTemplate,
    TemplateSection,
    TemplateVersion,
    Vendor,
    VendorCertification,
    VendorContact,
)


def _id_field(queryset):
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID)
    )


class VendorContactSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=_("Give the id to change an existing contact."))

    class Meta:
        model = VendorContact
        fields = ["id", "name", "email", "language"]


class VendorCertificationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=_("Give the id to change an existing certification."))

    class Meta:
        model = VendorCertification
        fields = ["id", "name", "other_name", "expires_on"]


class VendorSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:vendor-detail")
    headquarters_country = CountryField(required=False, allow_blank=True)
    processing_regions = serializers.ListField(
        child=CountryField(), required=False, max_length=250, help_text=_("ISO 3166 country codes.")
    )
    contacts = VendorContactSerializer(
        many=True, required=False, max_length=20, help_text=_("The full list: contacts left out are removed.")
    )
    certifications = VendorCertificationSerializer(
        many=True, required=False, max_length=20, help_text=_("The full list: certifications left out are removed.")
    )

    class Meta:
        model = Vendor
        fields = [
            "url",
            "id",
            "name",
            "kind",
            "website",
            "headquarters_country",
            "processing_regions",
            "data_retention_days",
            "zero_retention_available",
            "training_use",
            "subprocessors",
            "status",
            "approved_level",
            "conditions",
            "risk_rating",
            "next_reassessment_on",
            "contacts",
            "certifications",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "approved_level", "created_at", "updated_at"]

    CHILDREN = {"contacts": ("name", "email", "language"), "certifications": ("name", "other_name", "expires_on")}

    def validate(self, attrs):
        # Each row replaces a child whole, so it needs its required fields even in a PATCH.
        errors = {}
        for name, required in (("contacts", ("name", "email")), ("certifications", ("name",))):
            rows = attrs.get(name) or []
            row_errors = [
                {field: [_("This field is required.")] for field in required if not row.get(field)} for row in rows
            ]
            if any(row_errors):
                errors[name] = row_errors
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def save(self, **kwargs):
        from django.db import transaction
        from django.db.models import ProtectedError

        from portal.services import sync_children
        from vendors.models import VendorCertification, VendorContact

        children = {name: self.validated_data.pop(name, None) for name in self.CHILDREN}
        models = {"contacts": VendorContact, "certifications": VendorCertification}
        try:
            with transaction.atomic():
                vendor = super().save(**kwargs)
                for name, rows in children.items():
                    if rows is not None:
                        sync_children(vendor, models[name], rows, self.CHILDREN[name])
        except ProtectedError as error:
            raise serializers.ValidationError(
                {"contacts": [_("A contact who received a questionnaire cannot be removed.")]}
            ) from error
        return vendor


class LicenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Licence
        fields = [
            "id",
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

    restriction_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=LicenceRestriction.choices),
        required=False,
        max_length=len(LicenceRestriction.values),
        help_text=_(
            "Restrictions the policy checks weigh against each use case; the free text `restrictions` explains them."
        ),
    )

    def validate_restriction_kinds(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Name each restriction kind once."))
        return value

    def validate(self, attrs):
        commercial = attrs.get("commercial_use", getattr(self.instance, "commercial_use", True))
        non_commercial = attrs.get("non_commercial_only", getattr(self.instance, "non_commercial_only", False))
        if commercial and non_commercial:
            raise serializers.ValidationError(
                {"non_commercial_only": [_("A non-commercial-only licence cannot allow commercial use.")]}
            )
        kinds = attrs.get("restriction_kinds", getattr(self.instance, "restriction_kinds", None) or [])
        user_limit = attrs.get("user_limit", getattr(self.instance, "user_limit", None))
        if user_limit is not None and LicenceRestriction.USER_LIMIT not in kinds:
            raise serializers.ValidationError(
                {"user_limit": [_("A user limit needs the restriction kind “User-count limit”.")]}
            )
        return attrs


class AIModelSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:ai-model-detail")
    publisher = _id_field(Vendor.objects.all())
    licence = _id_field(Licence.objects.all())
    hosting_options = serializers.ListField(
        child=serializers.ChoiceField(choices=HostingOption.choices), required=False, max_length=3
    )

    class Meta:
        model = AIModel
        fields = ["url", "id", *AIModel.EDITABLE_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = [
            "id",
            "position",
            "text_ja",
            "text_en",
            "help_ja",
            "help_en",
            "answer_type",
            "options",
            "required",
            "weight",
            "knockout_values",
            "evidence_required",
        ]


class TemplateSectionSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = TemplateSection
        fields = ["id", "position", "title_ja", "title_en", "questions"]


class TemplateVersionSerializer(serializers.ModelSerializer):
    sections = TemplateSectionSerializer(many=True, read_only=True)

    class Meta:
        model = TemplateVersion
        fields = ["id", "number", "status", "published_at", "sections"]


class TemplateVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = TemplateVersion
        fields = ["id", "number", "status", "published_at"]


class QuestionnaireTemplateSerializer(serializers.ModelSerializer):
    versions = TemplateVersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = QuestionnaireTemplate
        fields = ["id", "key", "name_ja", "name_en", "audience", "versions"]


class AssessmentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:assessment-detail", lookup_field="reference")
    vendor = _id_field(Vendor.objects.all())
    contact = _id_field(VendorContact.objects.all())
    template_version = _id_field(TemplateVersion.objects.all())
    link_days = serializers.IntegerField(min_value=1, max_value=90, required=False, write_only=True)

    class Meta:
        model = Assessment
        fields = [
            "url",
            "reference",
            "vendor",
            "contact",
            "template_version",
            "link_days",
            "status",
            "link_expires_at",
            "sent_by",
            "sent_at",
            "submitted_at",
            "score",
            "knockout_count",
            "findings",
            "decided_by",
            "decided_at",
            "approved_level",
            "valid_until",
            "invitation_error",
            "invitation_failed_at",
        ]
        # Only what sending needs is written; everything else follows from the services.
        read_only_fields = [
            name for name in fields if name not in ("url", "vendor", "contact", "template_version", "link_days")
        ]


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=AssessmentDecision.choices)
    approved_level = serializers.ChoiceField(choices=DataClassification.choices, required=False, allow_blank=True)
    valid_months = serializers.IntegerField(min_value=1, max_value=60, required=False)
    conditions = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    findings = serializers.CharField(max_length=10000, required=False, allow_blank=True)


class RevokeSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)
