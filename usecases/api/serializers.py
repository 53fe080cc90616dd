from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.api.serializers import UserSummarySerializer
from portal.filters import MAX_ID
from portal.models import Department
from usecases import services
from usecases.models import Kpi, KpiMeasurement, UseCase, UseCaseModel, UseCaseTask
from vendors.models import AIModel


class UseCaseTaskSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=_("Give the id to change an existing task."))

    class Meta:
        model = UseCaseTask
        fields = ["id", "description", "performer", "position"]
        extra_kwargs = {"position": {"read_only": True}}


class UseCaseModelSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=_("Give the id to change an existing row."))
    ai_model = serializers.PrimaryKeyRelatedField(
        queryset=AIModel.objects.all(), pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID)
    )
    ai_model_name = serializers.CharField(source="ai_model.__str__", read_only=True)

    class Meta:
        model = UseCaseModel
        fields = ["id", "ai_model", "ai_model_name", "deployment", "position"]
        extra_kwargs = {"position": {"read_only": True}}
        # Duplicates are reported by the service with a clear message.
        validators = []


class KpiMeasurementSerializer(serializers.ModelSerializer):
    kpi = serializers.PrimaryKeyRelatedField(
        queryset=Kpi.objects.all(), pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID)
    )

    class Meta:
        model = KpiMeasurement
        fields = ["id", "kpi", "measured_on", "value", "note", "created_at"]
        read_only_fields = ["id", "created_at"]
        # One value a day: the service replaces an existing one instead of refusing it.
        validators = []


class KpiSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=_("Give the id to change an existing KPI."))
    measurements = KpiMeasurementSerializer(many=True, read_only=True)

    class Meta:
        model = Kpi
        fields = ["id", "name", "unit", "direction", "baseline", "target", "measurements"]


class UseCaseSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:use-case-detail", lookup_field="reference")
    owner = UserSummarySerializer(read_only=True)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.active(),
        pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        help_text=_("Defaults to the requester's department."),
    )
    department_name = serializers.CharField(source="department.name", read_only=True)
    tasks = UseCaseTaskSerializer(many=True, required=False, max_length=30)
    kpis = KpiSerializer(many=True, required=False, max_length=20)
    models = UseCaseModelSerializer(many=True, required=False, max_length=10, source="model_choices")
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_(
            "On update, the version you loaded: if the use case changed since, the update is refused with 409."
        ),
    )
    effective_risk_tier = serializers.CharField(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = UseCase
        fields = [
            "url",
            "reference",
            *services.EDITABLE_FIELDS,
            "department_name",
            "owner",
            "roadmap_step",
            "status",
            "tasks",
            "kpis",
            "models",
            "risk_tier",
            "risk_tier_override",
            "effective_risk_tier",
            "next_review_on",
            "version",
            "allowed_actions",
            "created_at",
            "updated_at",
            "submitted_at",
            "approved_at",
        ]
        read_only_fields = [
            "reference",
            "roadmap_step",
            "status",
            "risk_tier",
            "risk_tier_override",
            "next_review_on",
            "created_at",
            "updated_at",
            "submitted_at",
            "approved_at",
        ]

    def get_allowed_actions(self, use_case) -> list[str]:
        return [str(action) for action in services.allowed_actions(use_case, self.context["request"].user)]

    @staticmethod
    def _complete_rows(rows, required):
        """Each row replaces a child whole, so every row needs its required fields, even in a PATCH
        (DRF skips required checks in nested rows of a partial update)."""
        errors = [
            {field: [_("This field is required.")] for field in required if row.get(field) in (None, "")}
            for row in rows
        ]
        if any(errors):
            raise serializers.ValidationError(errors)
        return rows

    def validate_tasks(self, rows):
        return self._complete_rows(rows, ("description", "performer"))

    def validate_kpis(self, rows):
        return self._complete_rows(rows, ("name",))

    def validate_models(self, rows):
        return self._complete_rows(rows, ("ai_model", "deployment"))

    def validate_department(self, department):
        user = self.context["request"].user
        if department.pk != user.department_id and not user.has_perm("portal.change_department"):
            raise serializers.ValidationError(_("You can register use cases only for your own department."))
        return department

    def validate(self, attrs):
        if self.instance is None and "department" not in attrs and self.context["request"].user.department_id is None:
            raise serializers.ValidationError({"department": [_("Choose a department.")]})
        return attrs


class WithdrawSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class MissingItemSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class SubmitErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    missing = MissingItemSerializer(many=True)
