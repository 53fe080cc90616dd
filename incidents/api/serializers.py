from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from governance.models import PromptTemplate
from incidents import services
from incidents.choices import ActionKind, Category, Severity
from incidents.models import Deadline, Incident, IncidentAction, IncidentEvidence
from portal.api import strict as serializers
from portal.api.serializers import UserSummarySerializer
from usecases.models import UseCase
from vendors.models import AIModel, Vendor

User = get_user_model()


class DeadlineSerializer(serializers.ModelSerializer):
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    done_by = UserSummarySerializer(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Deadline
        fields = ["id", "incident", "clock", "due_at", "done_at", "done_by", "note", "is_overdue"]
        read_only_fields = fields


class IncidentActionSerializer(serializers.ModelSerializer):
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    owner = UserSummarySerializer(read_only=True)
    done_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = IncidentAction
        fields = ["id", "incident", "kind", "description", "owner", "due_on", "done_at", "done_by"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentEvidence
        fields = ["id", "original_name", "size", "uploaded_at"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    use_case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    use_case_status = serializers.CharField(source="use_case.status", read_only=True, allow_null=True, default=None)
    reporter = UserSummarySerializer(read_only=True)
    assignee = UserSummarySerializer(read_only=True, allow_null=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    deadlines = DeadlineSerializer(many=True, read_only=True)
    actions = IncidentActionSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "reference",
            "title",
            "description",
            "noticed_at",
            "channel",
            "use_case",
            "use_case_status",
            "ai_model",
            "vendor",
            "prompt_template",
            "affected_people",
            "personal_data",
            "sensitive_data",
            "unauthorised_access",
            "severity",
            "category",
            "state",
            "assignee",
            "reporter",
            "department",
            "reported_at",
            "triaged_at",
            "contained_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "deadlines",
            "actions",
            "evidence",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, incident) -> list[str]:
        return [str(action) for action in services.allowed_actions(incident, self.context["request"].user)]


class ReferenceField(serializers.SlugRelatedField):
    """A use case's reference, or null; "" is refused as the schema says (DRF would read it as null)."""

    def run_validation(self, data=serializers.empty):
        if data == "":
            raise serializers.ValidationError(_("This field may not be blank."))
        return super().run_validation(data)


class _LinksMixin(serializers.Serializer):
    use_case = ReferenceField(
        slug_field="reference",
        queryset=UseCase.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("Reference of the use case."),
    )
    ai_model = serializers.PrimaryKeyRelatedField(queryset=AIModel.objects.all(), required=False, allow_null=True)
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all(), required=False, allow_null=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["use_case"].queryset = UseCase.objects.visible_to(request.user)


class IncidentReportSerializer(_LinksMixin, serializers.ModelSerializer):
    prompt_template = serializers.PrimaryKeyRelatedField(
        queryset=PromptTemplate.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = Incident
        fields = [
            "title",
            "description",
            "noticed_at",
            "channel",
            "use_case",
            "ai_model",
            "vendor",
            "prompt_template",
            "affected_people",
            "personal_data",
            "sensitive_data",
            "unauthorised_access",
        ]
        extra_kwargs = {"noticed_at": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["prompt_template"].queryset = PromptTemplate.objects.visible_to(request.user)


class TriageSerializer(_LinksMixin, serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    affected_people = serializers.IntegerField(min_value=0, max_value=2_000_000_000, required=False, allow_null=True)
    personal_data = serializers.BooleanField(required=False)
    sensitive_data = serializers.BooleanField(required=False)
    unauthorised_access = serializers.BooleanField(required=False)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An incident manager links any use case.
        self.fields["use_case"].queryset = UseCase.objects.all()


class TransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    resolution = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True)


class ActionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    description = serializers.CharField(max_length=500)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    due_on = serializers.DateField(required=False, allow_null=True)


class DeadlineDoneSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
