from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField

from governance.choices import StageDecision
from governance.models import (
    ApprovalStage,
    ClassificationLevel,
    ClassificationRule,
    Finding,
    Notification,
    PolicyException,
    Reminder,
)
from governance.recommend import recommend
from portal.api import strict as serializers
from portal.api.serializers import UserSummarySerializer
from portal.choices import AUDIT_ACTION_LABELS
from portal.models import AuditEvent
from usecases.choices import RiskTier, UseCaseAudience, UseCaseCategory
from usecases.models import UseCase


class FindingSerializer(serializers.ModelSerializer):
    use_case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    title = serializers.CharField(read_only=True)
    explanation = serializers.CharField(read_only=True)
    how_to_resolve = serializers.CharField(source="rule.resolve", read_only=True)
    facts = serializers.DictField(read_only=True, help_text=_("The facts the rule used."))

    class Meta:
        model = Finding
        fields = [
            "id",
            "use_case",
            "rule_id",
            "subject",
            "severity",
            "title",
            "explanation",
            "how_to_resolve",
            "facts",
            "evaluated_at",
        ]


class ApprovalStageSerializer(serializers.ModelSerializer):
    use_case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    stage = serializers.CharField(source="definition.code", read_only=True)
    stage_name = serializers.CharField(source="definition.__str__", read_only=True)
    group = serializers.CharField(source="group.name", read_only=True)
    decided_by = UserSummarySerializer(read_only=True, allow_null=True)
    assigned_to = UserSummarySerializer(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApprovalStage
        fields = [
            "id",
            "use_case",
            "stage",
            "stage_name",
            "group",
            "position",
            "status",
            "started_at",
            "due_on",
            "is_overdue",
            "assigned_to",
            "assigned_at",
            "decision",
            "decided_by",
            "decided_at",
            "comment",
        ]


class StageAssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("Id of an active member of the stage's group; left out: yourself."),
    )


class StageDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=StageDecision.choices)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True)

    def validate(self, attrs):
        if attrs["decision"] != StageDecision.APPROVE and not attrs.get("comment", "").strip():
            raise serializers.ValidationError(
                {"comment": [_("Explain the decision: a comment is required unless you approve.")]}
            )
        return attrs


class BlockingErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    blocking = FindingSerializer(many=True)


class PolicyExceptionSerializer(serializers.ModelSerializer):
    use_case = serializers.SlugRelatedField(
        slug_field="reference", queryset=UseCase.objects.none(), help_text=_("Reference of the use case.")
    )
    granted_by = UserSummarySerializer(read_only=True)
    is_valid = serializers.BooleanField(read_only=True)
    justification = serializers.CharField(max_length=5000)

    class Meta:
        model = PolicyException
        fields = [
            "id",
            "use_case",
            "rule_id",
            "subject",
            "justification",
            "expires_on",
            "granted_by",
            "granted_at",
            "is_valid",
        ]
        read_only_fields = ["granted_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["use_case"].queryset = UseCase.objects.visible_to(request.user)


class RecommendationSerializer(serializers.Serializer):
    style = serializers.CharField()
    label = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    open_points = serializers.IntegerField()
    closed_points = serializers.IntegerField()


class RecommendationRequestSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=UseCaseCategory.choices, required=False, allow_blank=True)
    audience = serializers.ChoiceField(choices=UseCaseAudience.choices, required=False, allow_blank=True)
    data_classification = serializers.ChoiceField(
        choices=ClassificationLevel._meta.get_field("code").choices, required=False, allow_blank=True
    )
    customers_see_output = serializers.BooleanField(required=False, default=False)
    tuned_on_own_data = serializers.BooleanField(required=False, default=False)
    uses_internal_knowledge = serializers.BooleanField(required=False, default=False)
    fast_start = serializers.BooleanField(required=False, default=False)


class UseCaseReviewSerializer(serializers.ModelSerializer):
    """A use case's governance: tier, recommendation, findings, stages and exceptions."""

    effective_risk_tier = serializers.CharField(read_only=True)
    recommendation = serializers.SerializerMethodField()
    findings = FindingSerializer(many=True, read_only=True)
    stages = ApprovalStageSerializer(many=True, read_only=True, source="approval_stages")
    exceptions = PolicyExceptionSerializer(many=True, read_only=True, source="policy_exceptions")

    class Meta:
        model = UseCase
        fields = [
            "reference",
            "status",
            "risk_tier",
            "risk_tier_override",
            "risk_tier_justification",
            "effective_risk_tier",
            "next_review_on",
            "recommendation",
            "findings",
            "stages",
            "exceptions",
        ]

    def get_recommendation(self, use_case) -> RecommendationSerializer:
        return RecommendationSerializer(recommend(use_case)).data


class RiskTierOverrideSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(
        choices=RiskTier.choices, allow_blank=True, help_text=_("Empty goes back to the tier the answers give.")
    )
    justification = serializers.CharField(max_length=5000)


class ClassificationRuleSerializer(serializers.ModelSerializer):
    level = serializers.CharField(source="level.code", read_only=True)

    class Meta:
        model = ClassificationRule
        fields = ["id", "level", "style", "verdict", *ClassificationRule.CONDITION_FIELDS, "note", "updated_at"]
        read_only_fields = ["style", "updated_at"]

    def validate(self, attrs):
        instance = self.instance
        verdict = attrs.get("verdict", instance.verdict if instance else None)
        chosen = [
            name
            for name in ClassificationRule.CONDITION_FIELDS
            if attrs.get(name, getattr(instance, name, False) if instance else False)
        ]
        if verdict == "conditional" and not chosen:
            raise serializers.ValidationError(
                {"verdict": [_("Choose at least one condition, or allow the cell without conditions.")]}
            )
        if verdict != "conditional" and any(attrs.get(name) for name in ClassificationRule.CONDITION_FIELDS):
            raise serializers.ValidationError({"verdict": [_("Conditions apply only to “allowed with conditions”.")]})
        return attrs


class ClassificationLevelSerializer(serializers.ModelSerializer):
    allowed_regions = serializers.ListField(
        child=CountryField(),
        max_length=250,
        required=False,
        help_text=_("Countries where a third party may process this level's data; empty means anywhere."),
    )
    allowed_jurisdictions = serializers.ListField(
        child=CountryField(),
        max_length=250,
        required=False,
        help_text=_(
            "Countries where a third party processing this level's data may have its headquarters; empty means any."
        ),
    )
    rules = ClassificationRuleSerializer(many=True, read_only=True)

    class Meta:
        model = ClassificationLevel
        fields = [
            "id",
            "code",
            "rank",
            "description_ja",
            "description_en",
            "allowed_regions",
            "allowed_jurisdictions",
            "rules",
            "updated_at",
        ]
        read_only_fields = ["code", "rank", "updated_at"]


class AuditEventSerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()
    action_label = serializers.SerializerMethodField()
    changes = serializers.DictField(read_only=True, help_text=_("{field: [before, after]}"))
    data = serializers.DictField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "object_repr",
            "from_state",
            "to_state",
            "comment",
            "changes",
            "data",
        ]

    def get_object_type(self, event) -> str:
        return f"{event.content_type.app_label}.{event.content_type.model}"

    def get_action_label(self, event) -> str:
        return str(AUDIT_ACTION_LABELS.get(event.action, event.action))


class ReminderSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True, help_text=_("In the language of the request."))
    message = serializers.CharField(read_only=True)
    object_type = serializers.SerializerMethodField()
    recipient = serializers.CharField(source="recipient_key", read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "event",
            "channel",
            "step",
            "days_before",
            "urgent",
            "object_type",
            "object_id",
            "object_repr",
            "url",
            "due_on",
            "recipient",
            "title",
            "message",
            "status",
            "attempts",
            "created_at",
            "next_attempt_at",
            "sent_at",
            "error",
        ]

    def get_object_type(self, reminder) -> str:
        return f"{reminder.content_type.app_label}.{reminder.content_type.model}"


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="reminder.kind", read_only=True)
    event = serializers.CharField(
        source="reminder.event",
        read_only=True,
        help_text=_("The workflow event, e.g. usecase.submitted; empty for reminders."),
    )
    step = serializers.CharField(source="reminder.step", read_only=True)
    urgent = serializers.BooleanField(source="reminder.urgent", read_only=True)
    title = serializers.CharField(source="reminder.title", read_only=True)
    message = serializers.CharField(source="reminder.message", read_only=True)
    url = serializers.CharField(source="reminder.url", read_only=True)
    due_on = serializers.DateField(source="reminder.due_on", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "event",
            "step",
            "urgent",
            "title",
            "message",
            "url",
            "due_on",
            "created_at",
            "read",
            "read_at",
        ]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None
