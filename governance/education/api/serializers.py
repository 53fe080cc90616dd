from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from governance.education import markdown
from governance.education.choices import PolicyVersionStatus
from governance.models import (
    PolicyDocument,
    PolicyVersion,
    PromptTemplate,
    TrainingCompletion,
    TrainingCourse,
)
from portal.api import strict as serializers
from portal.api.serializers import UserSummarySerializer
from portal.filters import MAX_ID
from portal.models import Department
from portal.roles import Role

User = get_user_model()


# Paths of list actions that a document or course key would otherwise shadow.
RESERVED_KEYS = frozenset({"pending"})


# --- Shared serializers ---------------------------------------------------------------------------------


class AudienceSerializer(serializers.Serializer):
    """Who a policy or course is for: all staff, or some departments and/or roles."""

    all_staff = serializers.BooleanField(default=True)
    departments = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Department.objects.all(),
        pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        help_text=_("Department ids."),
    )
    roles = serializers.SlugRelatedField(
        many=True,
        required=False,
        slug_field="name",
        queryset=Group.objects.filter(name__in=Role.values),
        help_text=_("Role names: requester, reviewer, executive, governance_admin."),
    )


class AudienceObjectSerializer(serializers.ModelSerializer):
    """A policy document or course: an unchangeable key and an audience (written flat onto the row)."""

    audience = AudienceSerializer(source="*", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, self.Meta.model):
            self.fields["key"].required = False  # it cannot change

    def validate_key(self, value):
        if isinstance(self.instance, self.Meta.model) and value != self.instance.key:
            raise serializers.ValidationError(_("The key cannot be changed: links and reminders point at it."))
        if value in RESERVED_KEYS:
            raise serializers.ValidationError(_("This key is reserved; choose another."))
        return value

    def validate(self, attrs):
        instance = self.instance

        def final(name, empty):
            if name in attrs:
                return attrs[name]
            if instance is None:
                return empty
            value = getattr(instance, name)
            return list(value.all()) if hasattr(value, "all") else value

        if not final("all_staff", True) and not final("departments", []) and not final("roles", []):
            raise serializers.ValidationError(
                {"audience": [_("Choose all staff, or at least one department or role.")]}
            )
        return attrs


class DepartmentRateSerializer(serializers.Serializer):
    department_id = serializers.IntegerField(allow_null=True)
    department = serializers.CharField()
    total = serializers.IntegerField(help_text=_("People of the audience in the department."))
    done = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text=_("Percent, one decimal."))


class RemovalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text=_("Kept in the audit trail."))


class PromptDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


# --- Policies -------------------------------------------------------------------------------------------


class PolicyVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyVersion
        fields = ["number", "status", "published_at", "acknowledge_by", "change_summary"]


class PolicyVersionSerializer(serializers.ModelSerializer):
    html = serializers.SerializerMethodField(
        help_text=_("The text in the language of the request, rendered from Markdown with nothing that runs.")
    )

    class Meta:
        model = PolicyVersion
        fields = [*PolicyVersionSummarySerializer.Meta.fields, "body_ja", "body_en", "html"]

    def get_html(self, version) -> str:
        return str(markdown.render(version.body))


class MyAcknowledgementSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text=_("The version in force."))
    acknowledged = serializers.BooleanField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)


def version_in_force(document):
    return next((v for v in document.versions.all() if v.status == PolicyVersionStatus.PUBLISHED), None)


class PolicyDocumentSerializer(AudienceObjectSerializer):
    title = serializers.CharField(read_only=True, help_text=_("In the language of the request."))
    in_force = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()
    my_acknowledgement = serializers.SerializerMethodField()

    class Meta:
        model = PolicyDocument
        fields = ["key", "kind", "title", "title_ja", "title_en", "audience", "requires_acknowledgement"]
        fields += ["acknowledge_within_days", "is_active", "in_force", "versions", "my_acknowledgement"]

    @extend_schema_field(PolicyVersionSerializer(allow_null=True))
    def get_in_force(self, document):
        version = version_in_force(document)
        return None if version is None else PolicyVersionSerializer(version).data

    @extend_schema_field(PolicyVersionSummarySerializer(many=True, help_text=_("Newest first; drafts for managers.")))
    def get_versions(self, document):
        return PolicyVersionSummarySerializer(document.versions.all(), many=True).data

    @extend_schema_field(MyAcknowledgementSerializer(allow_null=True, help_text=_("null: nothing in force.")))
    def get_my_acknowledgement(self, document):
        version = version_in_force(document)
        if version is None:
            return None
        at = version.mine[0].acknowledged_at if version.mine else None
        return MyAcknowledgementSerializer(
            {"number": version.number, "acknowledged": bool(at), "acknowledged_at": at}
        ).data


class PolicyDraftSerializer(serializers.Serializer):
    body_ja = serializers.CharField(max_length=100_000, help_text=_("Markdown."))
    body_en = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    change_summary = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PendingAcknowledgementSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="document.key")
    title = serializers.CharField(source="document.title")

    class Meta:
        model = PolicyVersion
        fields = ["key", "title", "number", "published_at", "acknowledge_by", "change_summary"]


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")
    department = serializers.CharField(source="department.name", default="")


class AcknowledgementFiguresSerializer(serializers.Serializer):
    number = serializers.IntegerField(allow_null=True, help_text=_("The version counted; null: nothing in force."))
    rates = DepartmentRateSerializer(many=True)
    not_acknowledged = PersonSerializer(many=True, help_text=_("People of the audience who have not acknowledged."))


# --- Training -------------------------------------------------------------------------------------------


class CompletionStatusSerializer(serializers.Serializer):
    completed_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    valid = serializers.BooleanField()


class TrainingCourseSerializer(AudienceObjectSerializer):
    title = serializers.CharField(read_only=True, help_text=_("In the language of the request."))
    description = serializers.CharField(read_only=True, help_text=_("In the language of the request."))
    my_status = serializers.SerializerMethodField()

    class Meta:
        model = TrainingCourse
        fields = ["key", "title", "title_ja", "title_en", "description", "description_ja", "description_en"]
        fields += ["validity_months", "required", "audience", "is_active", "my_status"]

    @extend_schema_field(
        CompletionStatusSerializer(allow_null=True, help_text=_("My longest-valid completion; null: none."))
    )
    def get_my_status(self, course):
        if not course.mine:
            return None
        best = course.mine[0]
        return CompletionStatusSerializer({**best.__dict__, "valid": best.is_valid}).data


class CompletionRatesSerializer(serializers.Serializer):
    on = serializers.DateField(help_text=_("The day the completions are valid on."))
    rates = DepartmentRateSerializer(many=True)


class TrainingCompletionSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="key", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    user = UserSummarySerializer(read_only=True)
    department = serializers.CharField(source="user.department.name", default="", read_only=True)
    valid = serializers.BooleanField(source="is_valid", read_only=True)
    has_evidence = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.__str__", read_only=True)

    class Meta:
        model = TrainingCompletion
        fields = ["id", "course", "course_title", "user", "department", "completed_on", "expires_on", "valid"]
        fields += ["source", "has_evidence", "note", "recorded_by", "created_at"]

    def get_has_evidence(self, completion) -> bool:
        return bool(completion.evidence)


class CompletionCreateSerializer(serializers.Serializer):
    course = serializers.SlugRelatedField(slug_field="key", queryset=TrainingCourse.objects.none())
    person = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_null=True,
        help_text=_("Whose training (training managers only); empty: yourself."),
    )
    completed_on = serializers.DateField()
    evidence = serializers.FileField(
        required=False,
        help_text=_(
            "Certificate or screenshot (PDF, image, text or Office file, at most 10 MB); "
            "required when you report your own training."
        ),
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # (none while the schema is built)
            courses = TrainingCourse.objects.all()
            if not request.user.has_perm("governance.manage_training"):
                courses = courses.applying_to(request.user)
            self.fields["course"].queryset = courses


# --- Prompt library ---------------------------------------------------------------------------------------


class MyRatingSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True)


class PromptTemplateSerializer(serializers.ModelSerializer):
    owner = UserSummarySerializer(read_only=True)
    approved_by = UserSummarySerializer(read_only=True, allow_null=True)
    placeholders = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("The {{names}} in the prompt, in order.")
    )
    average_rating = serializers.FloatField(read_only=True, allow_null=True)
    my_rating = serializers.SerializerMethodField()

    class Meta:
        model = PromptTemplate
        fields = ["id", "title", "category", "style", "status", "body", "placeholders", "example_output", "notes"]
        fields += ["owner", "approved_by", "approved_at", "usage_count", "average_rating", "rating_count", "my_rating"]
        fields += ["created_at", "updated_at"]

    @extend_schema_field(MyRatingSerializer(allow_null=True))
    def get_my_rating(self, prompt):
        rating = prompt.mine[0] if getattr(prompt, "mine", None) else None
        return None if rating is None else MyRatingSerializer(rating).data


class FillSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.CharField(max_length=10_000, allow_blank=True, trim_whitespace=False),
        default=dict,
        help_text=_("{placeholder name: text}; placeholders not given are kept as {{name}}."),
    )

    def validate_values(self, values):
        if len(values) > 100:
            raise serializers.ValidationError(_("At most 100 placeholders."))
        return values


class FilledPromptSerializer(serializers.Serializer):
    text = serializers.CharField()
    usage_count = serializers.IntegerField()
