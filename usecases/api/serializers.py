from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from portal.api import strict as serializers
from portal.api.serializers import UserSummarySerializer
from portal.filters import MAX_ID
from portal.models import Department
from usecases import roadmap_services, services
from usecases.models import (
    BenefitRecord,
    CostSettings,
    ExchangeRate,
    Kpi,
    KpiMeasurement,
    Trial,
    UseCase,
    UseCaseModel,
    UseCaseTask,
)
from usecases.returns import ROI_REASONS
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
        fields = ["id", "ai_model", "ai_model_name", "deployment", "request_share", "position"]
        extra_kwargs = {
            "position": {"read_only": True},
            "request_share": {
                "help_text": gettext_lazy(
                    "Percentage of the requests this model takes; set for every model (adding up to 100) or none."
                )
            },
        }
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
        rows = self._complete_rows(rows, ("ai_model", "deployment"))
        for row in rows:
            row.setdefault("request_share", None)  # a row replaces the chosen model whole
        return rows

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


# --- Roadmap, cost and value (usecases/api/roadmap.py) ----------------------------------------------

MONEY = {"max_digits": 20, "decimal_places": 2}
PRECISE = {"max_digits": 24, "decimal_places": 6}

FROM_STEP_HELP = gettext_lazy(
    "The step you saw the use case at: if it moved meanwhile, the request is refused with 409, not applied again."
)


class GateItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    met = serializers.BooleanField(allow_null=True, help_text=gettext_lazy("null: cannot be checked yet."))
    detail = serializers.CharField()


class StepGateSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    label = serializers.CharField()
    start = GateItemSerializer(many=True, help_text=gettext_lazy("What entering the step needs."))
    finish = GateItemSerializer(many=True, help_text=gettext_lazy("What leaving the step forward needs."))


class TrialSerializer(serializers.ModelSerializer):
    ai_model = serializers.PrimaryKeyRelatedField(
        queryset=AIModel.objects.all(), pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID)
    )
    ai_model_name = serializers.CharField(source="ai_model.__str__", read_only=True)
    updated_by = serializers.CharField(source="updated_by.__str__", read_only=True)

    class Meta:
        model = Trial
        fields = [
            "kind",
            "ai_model",
            "ai_model_name",
            "scope",
            "starts_on",
            "planned_end_on",
            "ended_on",
            "results",
            "comparison",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = ["kind", "updated_at"]
        validators = []  # one per kind: the service updates the existing one


class ModelRoleSerializer(serializers.ModelSerializer):
    ai_model = serializers.PrimaryKeyRelatedField(
        queryset=AIModel.objects.all(), pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID)
    )
    ai_model_name = serializers.CharField(source="ai_model.__str__", read_only=True)
    rationale = serializers.CharField(source="role_rationale", max_length=2000, required=False, allow_blank=True)

    class Meta:
        model = UseCaseModel
        fields = ["ai_model", "ai_model_name", "deployment", "role", "rationale", "request_share"]
        read_only_fields = ["deployment"]
        validators = []


class RoadmapSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    step = serializers.IntegerField()
    next_step = serializers.IntegerField(allow_null=True)
    can_skip_poc = serializers.BooleanField()
    step_entered_at = serializers.DateTimeField(allow_null=True)
    poc_skipped_reason = serializers.CharField()
    went_live_at = serializers.DateTimeField(allow_null=True)
    next_step_unmet = GateItemSerializer(many=True, help_text=gettext_lazy("What the next move still needs."))
    go_live_unmet = GateItemSerializer(many=True)
    gates = StepGateSerializer(many=True)
    trials = TrialSerializer(many=True)
    models = ModelRoleSerializer(many=True)
    allowed_actions = serializers.ListField(child=serializers.CharField())


class AdvanceSerializer(serializers.Serializer):
    skip_poc = serializers.BooleanField(
        default=False, help_text=gettext_lazy("From step 3 straight to 5; needs the reason.")
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    from_step = serializers.IntegerField(min_value=1, max_value=6, required=False, help_text=FROM_STEP_HELP)


class MoveBackSerializer(serializers.Serializer):
    to_step = serializers.IntegerField(min_value=2, max_value=5)
    reason = serializers.CharField(max_length=2000)
    from_step = serializers.IntegerField(min_value=1, max_value=6, required=False, help_text=FROM_STEP_HELP)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class GateErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    step = serializers.IntegerField()
    unmet = GateItemSerializer(many=True)


class CostAssumptionsSerializer(serializers.ModelSerializer):
    class Meta:
        model = UseCase
        fields = list(roadmap_services.COST_FIELDS)
        extra_kwargs = {name: {"required": False, "allow_null": True} for name in roadmap_services.COST_FIELDS}


class BenefitRecordSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.__str__", read_only=True)

    class Meta:
        model = BenefitRecord
        fields = ["id", "month", "hours_saved", "cost_saved", "revenue_gained", "note", "recorded_by", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []  # a month recorded again replaces the first record


class ScaledCostSerializer(serializers.Serializer):
    now = serializers.DecimalField(allow_null=True, **MONEY)
    at_2x = serializers.DecimalField(allow_null=True, **MONEY)
    at_10x = serializers.DecimalField(allow_null=True, **MONEY)


class CandidateCostSerializer(serializers.Serializer):
    label = serializers.CharField()
    ai_model = serializers.IntegerField(source="model.pk")
    deployment = serializers.CharField()
    price_currency = serializers.CharField()
    price_input_per_million = serializers.DecimalField(source="price_input", **PRECISE)
    price_output_per_million = serializers.DecimalField(source="price_output", **PRECISE)
    rate = serializers.DecimalField(allow_null=True, **PRECISE)
    cost_per_request = serializers.DecimalField(source="per_request", allow_null=True, **PRECISE)
    monthly_now = serializers.DecimalField(allow_null=True, **MONEY)
    monthly_2x = serializers.DecimalField(allow_null=True, **MONEY)
    monthly_10x = serializers.DecimalField(allow_null=True, **MONEY)
    break_even_requests = serializers.DecimalField(source="break_even", allow_null=True, **MONEY)
    cost_per_request_in_price_currency = serializers.DecimalField(source="per_request_own", allow_null=True, **PRECISE)
    monthly_in_price_currency = ScaledCostSerializer(
        help_text=gettext_lazy("The monthly cost in the model's own price currency, before conversion.")
    )
    allowed = serializers.BooleanField(
        help_text=gettext_lazy(
            "False when the model may not be used on this use case (blocked model, refused vendor or a blocking "
            "policy finding); such a model is never the cheapest option."
        )
    )
    blocked_reasons = serializers.ListField(child=serializers.CharField())


class ScaledLabelSerializer(serializers.Serializer):
    now = serializers.CharField(allow_null=True)
    at_2x = serializers.CharField(allow_null=True)
    at_10x = serializers.CharField(allow_null=True)


class CurveSeriesSerializer(serializers.Serializer):
    label = serializers.CharField()
    values = serializers.ListField(child=serializers.FloatField())


class CurveSerializer(serializers.Serializer):
    currency = serializers.CharField()
    volumes = serializers.ListField(child=serializers.IntegerField())
    series = CurveSeriesSerializer(many=True)


class CostLineSerializer(serializers.Serializer):
    label = serializers.CharField()
    share = serializers.DecimalField(allow_null=True, max_digits=7, decimal_places=2)
    cost = serializers.DecimalField(**MONEY)
    own_cost = serializers.DecimalField(
        allow_null=True, help_text=gettext_lazy("The cost in the model's own price currency."), **MONEY
    )
    own_currency = serializers.CharField()
    full_volume = serializers.BooleanField(
        help_text=gettext_lazy("True when shares are not set: the line is this model taking all the requests.")
    )
    blocked = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("Why the model may not be used here (empty: allowed).")
    )


class RunningCostSerializer(serializers.Serializer):
    lines = CostLineSerializer(many=True)
    shares_set = serializers.BooleanField(
        help_text=gettext_lazy(
            "False when several models are in use without request shares: the totals are then null, "
            "never an assumed split."
        )
    )
    closed = serializers.DecimalField(allow_null=True, **MONEY)
    self_hosted = serializers.DecimalField(allow_null=True, **MONEY)
    other = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(allow_null=True, **MONEY)
    problems = serializers.ListField(child=serializers.CharField())


class AssumptionsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rates = serializers.DictField(child=serializers.DecimalField(**PRECISE))
    gpu_monthly_cost = serializers.DecimalField(**MONEY)
    gpu_capacity_requests = serializers.IntegerField(allow_null=True)
    engineer_monthly_cost = serializers.DecimalField(**MONEY)
    operations_fte = serializers.DecimalField(max_digits=7, decimal_places=2)
    hourly_rate = serializers.DecimalField(**MONEY)
    other_monthly_cost = serializers.DecimalField(**MONEY)


class BenefitMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    hours_saved = serializers.DecimalField(**MONEY)
    hours_value = serializers.DecimalField(**MONEY)
    cost_saved = serializers.DecimalField(**MONEY)
    revenue_gained = serializers.DecimalField(**MONEY)
    benefit = serializers.DecimalField(**MONEY)
    in_period = serializers.BooleanField(help_text=gettext_lazy("Whether the month counts towards the ROI."))


class RoiPeriodSerializer(serializers.Serializer):
    first_month = serializers.DateField(
        source="first", help_text=gettext_lazy("First day of the period's first month.")
    )
    last_month = serializers.DateField(source="last", help_text=gettext_lazy("First day of the period's last month."))
    months = serializers.IntegerField()


ROI_HELP = gettext_lazy(
    "(benefit - cost) / cost over the ROI period (the 12 calendar months up to and including the current one): "
    "benefits recorded for months of the period; cost = the running monthly cost times the months of the period "
    "since approval. Null, with roi_reason, when no benefit is recorded for the period or the cost is zero."
)
ROI_REASON_HELP = gettext_lazy(
    "Why there is no ROI: no_benefit (no benefit recorded for the period), no_cost (cost zero)."
)


class ReturnSerializer(serializers.Serializer):
    hourly_rate = serializers.DecimalField(**MONEY)
    monthly_cost = serializers.DecimalField(**MONEY)
    months = BenefitMonthSerializer(many=True)
    period = RoiPeriodSerializer()
    cost_months = serializers.IntegerField(help_text=gettext_lazy("Months of the period since the approval."))
    total_benefit = serializers.DecimalField(
        help_text=gettext_lazy("Benefit recorded for months of the period."), **MONEY
    )
    total_cost = serializers.DecimalField(help_text=gettext_lazy("Monthly cost x cost_months."), **MONEY)
    roi = serializers.DecimalField(allow_null=True, help_text=ROI_HELP, **PRECISE)
    roi_percent = serializers.DecimalField(allow_null=True, max_digits=20, decimal_places=1, help_text=ROI_HELP)
    roi_reason = serializers.ChoiceField(choices=list(ROI_REASONS), allow_null=True, help_text=ROI_REASON_HELP)
    roi_reason_text = serializers.CharField(allow_blank=True)


class KpiPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4)


class KpiProgressSerializer(serializers.Serializer):
    kpi = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    baseline = serializers.DecimalField(allow_null=True, max_digits=20, decimal_places=4)
    target = serializers.DecimalField(allow_null=True, max_digits=20, decimal_places=4)
    latest = serializers.DecimalField(allow_null=True, max_digits=20, decimal_places=4)
    progress_percent = serializers.DecimalField(allow_null=True, max_digits=20, decimal_places=1)
    attained = serializers.BooleanField(allow_null=True)
    points = KpiPointSerializer(many=True)


class EconomicsSerializer(serializers.Serializer):
    reference = serializers.CharField()
    currency = serializers.CharField()
    monthly_requests = serializers.IntegerField(allow_null=True)
    avg_input_tokens = serializers.IntegerField(allow_null=True)
    avg_output_tokens = serializers.IntegerField(allow_null=True)
    assumptions = AssumptionsSerializer()
    candidates = CandidateCostSerializer(many=True)
    self_hosting = ScaledCostSerializer()
    cheapest = ScaledLabelSerializer()
    curve = CurveSerializer(allow_null=True)
    running = RunningCostSerializer()
    returns = ReturnSerializer()
    kpis = KpiProgressSerializer(many=True)
    problems = serializers.ListField(child=serializers.CharField())


class WaitingUseCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    department = serializers.CharField(source="department.name")
    status = serializers.CharField()
    waiting_since = serializers.DateTimeField()


class OrganisationStepSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    label = serializers.CharField()
    count = serializers.IntegerField(
        help_text=gettext_lazy(
            "Use cases in progress at this step (rejected, withdrawn and retired ones are not counted): the same "
            "count as the adoption summary's by_roadmap_step."
        )
    )
    readiness = GateItemSerializer(many=True)
    oldest_waiting = WaitingUseCaseSerializer(many=True)


class StepCountsSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False)
    name = serializers.CharField(required=False)
    category = serializers.CharField(required=False)
    counts = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Use cases in progress at steps 1 to 6.")
    )


class OrganisationRoadmapSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    steps = OrganisationStepSerializer(many=True)
    by_department = StepCountsSerializer(many=True)
    by_category = StepCountsSerializer(many=True)


class CostTotalsSerializer(serializers.Serializer):
    closed = serializers.DecimalField(required=False, **MONEY)
    self_hosted = serializers.DecimalField(required=False, **MONEY)
    other = serializers.DecimalField(required=False, **MONEY)
    cost = serializers.DecimalField(**MONEY)
    benefit = serializers.DecimalField(**MONEY)
    cost_over_months = serializers.DecimalField(
        help_text=gettext_lazy("Running cost over the ROI period, from each use case's approval."), **MONEY
    )
    roi = serializers.DecimalField(allow_null=True, help_text=ROI_HELP, **PRECISE)
    roi_percent = serializers.DecimalField(allow_null=True, max_digits=20, decimal_places=1, help_text=ROI_HELP)
    roi_reason = serializers.ChoiceField(choices=list(ROI_REASONS), allow_null=True, help_text=ROI_REASON_HELP)
    roi_reason_text = serializers.CharField(allow_blank=True)
    unpriced = serializers.IntegerField(
        help_text=gettext_lazy("Live use cases left out of the sums: several models in use without request shares.")
    )


class DepartmentTotalsSerializer(CostTotalsSerializer):
    name = serializers.CharField()


class UseCaseTotalsSerializer(serializers.Serializer):
    reference = serializers.CharField(source="use_case.reference")
    title = serializers.CharField(source="use_case.title")
    department = serializers.CharField(source="use_case.department.name")
    status = serializers.CharField(source="use_case.status")
    running = RunningCostSerializer()
    total_benefit = serializers.DecimalField(source="returns.total_benefit", **MONEY)
    cost_over_months = serializers.DecimalField(source="returns.total_cost", **MONEY)
    roi_percent = serializers.DecimalField(
        source="returns.roi_percent", allow_null=True, max_digits=20, decimal_places=1, help_text=ROI_HELP
    )
    roi_reason = serializers.ChoiceField(
        source="returns.roi_reason", choices=list(ROI_REASONS), allow_null=True, help_text=ROI_REASON_HELP
    )


class OrganisationEconomicsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    period = RoiPeriodSerializer()
    total = CostTotalsSerializer()
    departments = DepartmentTotalsSerializer(many=True)
    use_cases = UseCaseTotalsSerializer(many=True, source="rows")


class CostSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = CostSettings
        fields = [
            "currency",
            "gpu_monthly_cost",
            "gpu_capacity_requests",
            "engineer_monthly_cost",
            "operations_fte",
            "hourly_rate",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class ExchangeRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "rate", "updated_at"]
        read_only_fields = ["updated_at"]
