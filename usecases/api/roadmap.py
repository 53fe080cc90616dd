"""The roadmap, cost and value through the API: serializers, the use-case actions (mixed
into ``UseCaseViewSet``), the organisation views, and the cost settings."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.permissions import ActionPermission, ReadWritePermission, django_errors
from portal.api.responses import CONFLICT, ERRORS
from portal.filters import MAX_ID
from portal.services import record_event
from usecases import economics, roadmap, services
from usecases.choices import TrialKind
from usecases.models import BenefitRecord, CostSettings, ExchangeRate, Trial, UseCase, UseCaseModel
from vendors.models import AIModel

MONEY = {"max_digits": 20, "decimal_places": 2}
PRECISE = {"max_digits": 24, "decimal_places": 6}
TRIAL_KINDS = {"pilot": TrialKind.CLOSED_PILOT, "poc": TrialKind.OPEN_POC}


# --- Serializers -------------------------------------------------------------------------------------


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


FROM_STEP_HELP = gettext_lazy(
    "The step you saw the use case at: if it moved meanwhile, the request is refused with 409, not applied again."
)


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
        fields = list(services.COST_FIELDS)
        extra_kwargs = {name: {"required": False, "allow_null": True} for name in services.COST_FIELDS}


class BenefitRecordSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.__str__", read_only=True)

    class Meta:
        model = BenefitRecord
        fields = ["id", "month", "hours_saved", "cost_saved", "revenue_gained", "note", "recorded_by", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []  # a month recorded again replaces the first record


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


class ScaledCostSerializer(serializers.Serializer):
    now = serializers.DecimalField(allow_null=True, **MONEY)
    at_2x = serializers.DecimalField(allow_null=True, **MONEY)
    at_10x = serializers.DecimalField(allow_null=True, **MONEY)


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


class RunningCostSerializer(serializers.Serializer):
    lines = CostLineSerializer(many=True)
    closed = serializers.DecimalField(**MONEY)
    self_hosted = serializers.DecimalField(**MONEY)
    other = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
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


class ReturnSerializer(serializers.Serializer):
    hourly_rate = serializers.DecimalField(**MONEY)
    monthly_cost = serializers.DecimalField(**MONEY)
    months = BenefitMonthSerializer(many=True)
    total_benefit = serializers.DecimalField(**MONEY)
    total_cost = serializers.DecimalField(**MONEY)
    roi = serializers.DecimalField(
        allow_null=True, help_text=gettext_lazy("(benefit - cost) / cost; 0.25 is 25%."), **PRECISE
    )
    roi_percent = serializers.DecimalField(allow_null=True, max_digits=20, decimal_places=1)


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


def _scaled(values):
    return {"now": values.get(1), "at_2x": values.get(2), "at_10x": values.get(10)}


def economics_payload(use_case, context):
    cost, assumptions = context["cost"], context["assumptions"]
    return {
        "reference": use_case.reference,
        "currency": cost.currency,
        "monthly_requests": use_case.monthly_requests,
        "avg_input_tokens": use_case.avg_input_tokens,
        "avg_output_tokens": use_case.avg_output_tokens,
        "assumptions": {**assumptions.__dict__, "rates": dict(assumptions.rates)},
        "candidates": [
            {
                **candidate.__dict__,
                "monthly_now": candidate.monthly.get(1),
                "monthly_2x": candidate.monthly.get(2),
                "monthly_10x": candidate.monthly.get(10),
            }
            for candidate in cost.candidates
        ],
        "self_hosting": _scaled(cost.self_hosting),
        "cheapest": _scaled(cost.cheapest),
        "curve": cost.curve or None,
        "running": cost.running,
        "returns": {**context["returns"].__dict__, "roi_percent": context["returns"].roi_percent},
        "kpis": [
            {
                "kpi": item["kpi"].pk,
                "name": item["kpi"].name,
                "unit": item["kpi"].unit,
                "direction": item["kpi"].direction,
                "baseline": item["kpi"].baseline,
                "target": item["kpi"].target,
                "latest": item["latest"],
                "progress_percent": item["progress"],
                "attained": item["attained"],
                "points": [{"date": day, "value": value} for day, value in item["points"]],
            }
            for item in context["kpis"]
        ],
        "problems": [str(problem) for problem in cost.problems],
    }


# --- Use-case actions ----------------------------------------------------------------------------------

GATE_ERROR = {400: OpenApiResponse(GateErrorSerializer, description=gettext_lazy("The gate is not met: every item."))}
KIND_PARAMETER = OpenApiParameter(
    "kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(TRIAL_KINDS), description=gettext_lazy("pilot or poc")
)


def _gate_response(error):
    return Response(
        {"detail": str(error), "step": int(error.step), "unmet": GateItemSerializer(error.items, many=True).data},
        status=status.HTTP_400_BAD_REQUEST,
    )


def roadmap_payload(use_case, user):
    facts = roadmap.Facts.load(use_case)
    summary = roadmap.summary(use_case, facts)
    return {
        **summary,
        "reference": use_case.reference,
        "status": use_case.status,
        "step_entered_at": use_case.step_entered_at,
        "poc_skipped_reason": use_case.poc_skipped_reason,
        "went_live_at": use_case.went_live_at,
        "gates": [
            {"step": gate.step, "label": gate.label, "start": gate.start, "finish": gate.finish}
            for gate in summary["gates"]
        ],
        "trials": list(facts.trials.values()),
        "models": facts.choices,
        "allowed_actions": [str(a) for a in services.allowed_actions(use_case, user)],
    }


class RoadmapActionsMixin:
    """Roadmap, cost and value actions of ``UseCaseViewSet`` (the use case comes from
    ``get_object``: visible to the user, else 404; the services check who may act)."""

    def _roadmap_response(self, use_case):
        use_case = UseCase.objects.get(pk=use_case.pk)
        return Response(RoadmapSerializer(roadmap_payload(use_case, self.request.user)).data)

    @extend_schema(
        summary=gettext_lazy("The use case's roadmap: every step's gate"),
        responses={200: RoadmapSerializer, 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"], url_path="roadmap")
    def roadmap(self, request, reference=None):
        return self._roadmap_response(self.get_object())

    @extend_schema(
        summary=gettext_lazy("Move to the next roadmap step (or skip the proof of concept)"),
        request=AdvanceSerializer,
        responses={200: RoadmapSerializer, **GATE_ERROR, 403: ERRORS[403], 404: ERRORS[404], **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="roadmap/advance")
    def advance(self, request, reference=None):
        use_case = self.get_object()
        serializer = AdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            use_case = django_errors(
                services.advance_step,
                use_case,
                request.user,
                skip_poc=serializer.validated_data["skip_poc"],
                reason=serializer.validated_data.get("reason", ""),
                expected_step=serializer.validated_data.get("from_step"),
            )
        except services.GateNotMet as error:
            return _gate_response(error)
        except (services.TransitionNotAllowed, services.StepChanged) as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return self._roadmap_response(use_case)

    @extend_schema(
        summary=gettext_lazy("Go live: the use case is in production"),
        request=CommentSerializer,
        responses={200: RoadmapSerializer, **GATE_ERROR, 403: ERRORS[403], 404: ERRORS[404], **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="roadmap/go-live")
    def go_live(self, request, reference=None):
        use_case = self.get_object()
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            use_case = django_errors(
                services.go_live, use_case, request.user, serializer.validated_data.get("comment", "")
            )
        except services.GateNotMet as error:
            return _gate_response(error)
        except services.TransitionNotAllowed as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return self._roadmap_response(use_case)

    @extend_schema(
        summary=gettext_lazy("Move back to an earlier step (reviewers, with a reason)"),
        request=MoveBackSerializer,
        responses={200: RoadmapSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="roadmap/move-back")
    def move_back(self, request, reference=None):
        use_case = self.get_object()
        serializer = MoveBackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            use_case = django_errors(
                services.move_back,
                use_case,
                request.user,
                data["to_step"],
                data["reason"],
                expected_step=data.get("from_step"),
            )
        except (services.TransitionNotAllowed, services.StepChanged) as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return self._roadmap_response(use_case)

    @extend_schema(
        summary=gettext_lazy("Retire the use case, with a reason"),
        request=ReasonSerializer,
        responses={200: RoadmapSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="roadmap/retire")
    def retire(self, request, reference=None):
        use_case = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            use_case = django_errors(services.retire, use_case, request.user, serializer.validated_data["reason"])
        except services.TransitionNotAllowed as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return self._roadmap_response(use_case)

    @extend_schema(
        methods=["GET"],
        operation_id="use_cases_roadmap_trial_retrieve",
        summary=gettext_lazy("The closed pilot or the open-model proof of concept"),
        parameters=[KIND_PARAMETER],
        responses={200: TrialSerializer, 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["PUT"],
        operation_id="use_cases_roadmap_trial_update",
        summary=gettext_lazy("Record the closed pilot or the open-model proof of concept"),
        parameters=[KIND_PARAMETER],
        request=TrialSerializer,
        responses={200: TrialSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "put"], url_path=r"roadmap/(?P<kind>pilot|poc)")
    def trial(self, request, reference=None, kind=None):
        use_case = self.get_object()
        kind = TRIAL_KINDS[kind]
        if request.method == "GET":
            trial = get_object_or_404(
                Trial.objects.select_related("ai_model", "updated_by"), use_case=use_case, kind=kind
            )
            return Response(TrialSerializer(trial).data)
        serializer = TrialSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        trial = django_errors(services.save_trial, use_case, request.user, kind, serializer.validated_data)
        return Response(TrialSerializer(trial).data)

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("The models' hybrid roles"),
        responses={200: ModelRoleSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["PUT"],
        summary=gettext_lazy("Decide every model's hybrid role (step 5)"),
        request=ModelRoleSerializer(many=True),
        responses={200: ModelRoleSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get", "put"], url_path="roadmap/model-roles")
    def model_roles(self, request, reference=None):
        use_case = self.get_object()
        if request.method == "PUT":
            serializer = ModelRoleSerializer(data=request.data, many=True, max_length=10)
            serializer.is_valid(raise_exception=True)
            choices = {choice.ai_model_id: choice for choice in use_case.model_choices.all()}
            rows = []
            for row in serializer.validated_data:
                choice = choices.get(row["ai_model"].pk)
                if choice is None:
                    raise serializers.ValidationError(
                        {"roles": [_("%(model)s is not one of the use case's models.") % {"model": row["ai_model"]}]}
                    )
                rows.append(
                    {
                        "choice": choice,
                        "role": row.get("role", ""),
                        "rationale": row.get("role_rationale", ""),
                        "request_share": row.get("request_share"),
                    }
                )
            django_errors(services.decide_roles, use_case, request.user, rows)
        choices = use_case.model_choices.select_related("ai_model")
        return Response(ModelRoleSerializer(choices, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Cost by option, break-even, running cost, KPI progress and ROI, with their inputs"),
        responses={200: EconomicsSerializer, 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"], url_path="economics")
    def economics(self, request, reference=None):
        use_case = self.get_object()
        return Response(EconomicsSerializer(economics_payload(use_case, economics.use_case_economics(use_case))).data)

    @extend_schema(
        summary=gettext_lazy("Change the use case's own cost and value assumptions (null: the default)"),
        request=CostAssumptionsSerializer,
        responses={200: CostAssumptionsSerializer, **ERRORS},
    )
    @action(detail=True, methods=["patch"], url_path="economics/assumptions")
    def cost_assumptions(self, request, reference=None):
        use_case = self.get_object()
        serializer = CostAssumptionsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        use_case = django_errors(services.update_cost_assumptions, use_case, request.user, serializer.validated_data)
        return Response(CostAssumptionsSerializer(use_case).data)

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("Recorded benefits, month by month"),
        responses={200: BenefitRecordSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("Record a month's benefit (a month recorded again is replaced)"),
        request=BenefitRecordSerializer,
        responses={201: BenefitRecordSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], url_path="economics/benefits")
    def benefits(self, request, reference=None):
        use_case = self.get_object()
        if request.method == "POST":
            serializer = BenefitRecordSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            record = django_errors(services.record_benefit, use_case, request.user, **serializer.validated_data)
            return Response(BenefitRecordSerializer(record).data, status=status.HTTP_201_CREATED)
        records = use_case.benefits.select_related("recorded_by")
        return Response(BenefitRecordSerializer(records, many=True).data)


# --- The organisation ------------------------------------------------------------------------------------


class WaitingUseCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    department = serializers.CharField(source="department.name")
    status = serializers.CharField()
    waiting_since = serializers.DateTimeField()


class OrganisationStepSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    readiness = GateItemSerializer(many=True)
    oldest_waiting = WaitingUseCaseSerializer(many=True)


class StepCountsSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False)
    name = serializers.CharField(required=False)
    category = serializers.CharField(required=False)
    counts = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Use cases at steps 1 to 6.")
    )


class OrganisationRoadmapSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    steps = OrganisationStepSerializer(many=True)
    by_department = StepCountsSerializer(many=True)
    by_category = StepCountsSerializer(many=True)


class OrganisationRoadmapView(APIView):
    """Where the organisation stands on the six steps (counts over the use cases the user may see)."""

    permission_classes = [ActionPermission]
    read_permission = "usecases.view_usecase"
    action_permissions = {}

    @extend_schema(
        summary=gettext_lazy("The organisation's roadmap: counts per step, department and category; readiness"),
        responses={200: OrganisationRoadmapSerializer, 403: ERRORS[403]},
    )
    def get(self, request):
        from usecases.choices import RoadmapStep

        overview = roadmap.organisation_overview(UseCase.objects.visible_to(request.user))
        readiness = roadmap.organisation_readiness()
        payload = {
            "total": overview["total"],
            "steps": [
                {
                    "step": step,
                    "label": RoadmapStep(step).label,
                    "count": count,
                    "readiness": readiness[step],
                    "oldest_waiting": overview["waiting"][step],
                }
                for step, count in overview["steps"]
            ],
            "by_department": overview["by_department"],
            "by_category": overview["by_category"],
        }
        return Response(OrganisationRoadmapSerializer(payload).data)


class CostTotalsSerializer(serializers.Serializer):
    closed = serializers.DecimalField(required=False, **MONEY)
    self_hosted = serializers.DecimalField(required=False, **MONEY)
    other = serializers.DecimalField(required=False, **MONEY)
    cost = serializers.DecimalField(**MONEY)
    benefit = serializers.DecimalField(**MONEY)
    cost_over_months = serializers.DecimalField(**MONEY)
    roi = serializers.DecimalField(allow_null=True, **PRECISE)
    roi_percent = serializers.DecimalField(allow_null=True, max_digits=20, decimal_places=1)


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
        source="returns.roi_percent", allow_null=True, max_digits=20, decimal_places=1
    )


class OrganisationEconomicsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total = CostTotalsSerializer()
    departments = DepartmentTotalsSerializer(many=True)
    use_cases = UseCaseTotalsSerializer(many=True, source="rows")


class OrganisationEconomicsView(APIView):
    """Running cost, recorded benefit and ROI of the live use cases the user may see."""

    permission_classes = [ActionPermission]
    read_permission = "usecases.view_usecase"
    action_permissions = {}

    @extend_schema(
        summary=gettext_lazy("Cost and return of live use cases, by department and overall"),
        responses={200: OrganisationEconomicsSerializer, 403: ERRORS[403]},
    )
    def get(self, request):
        totals = economics.organisation_totals(UseCase.objects.visible_to(request.user))
        return Response(OrganisationEconomicsSerializer(totals).data)


# --- Cost settings and exchange rates ----------------------------------------------------------------------


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


def _audited_save(serializer, user, instance=None):
    """Save an admin's change of cost settings or rates, with the change in the audit trail."""
    from portal.choices import AuditAction

    with transaction.atomic():
        before = {} if instance is None else {name: str(getattr(instance, name)) for name in serializer.validated_data}
        saved = serializer.save()
        changes = {
            name: [before.get(name), str(getattr(saved, name))]
            for name in serializer.validated_data
            if before.get(name) != str(getattr(saved, name))
        }
        if changes:
            record_event(saved, AuditAction.CREATE if instance is None else AuditAction.UPDATE, user, changes=changes)
    return saved


class CostSettingsView(APIView):
    """The organisation's cost and value defaults: read by everyone with a role, changed by governance admins."""

    permission_classes = [ReadWritePermission]
    read_permission = "usecases.view_usecase"
    write_permission = "usecases.change_costsettings"

    @extend_schema(summary=gettext_lazy("The organisation's cost defaults"), responses={200: CostSettingsSerializer})
    def get(self, request):
        return Response(CostSettingsSerializer(CostSettings.load()).data)

    @extend_schema(
        summary=gettext_lazy("Change the organisation's cost defaults"),
        request=CostSettingsSerializer,
        responses={200: CostSettingsSerializer, **ERRORS},
    )
    def patch(self, request):
        instance = CostSettings.load()
        serializer = CostSettingsSerializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(CostSettingsSerializer(_audited_save(serializer, request.user, instance)).data)


class ExchangeRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "rate", "updated_at"]
        read_only_fields = ["updated_at"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Exchange rates into the reporting currency")),
    retrieve=extend_schema(
        summary=gettext_lazy("One exchange rate"), responses={200: ExchangeRateSerializer, 404: ERRORS[404]}
    ),
    create=extend_schema(
        summary=gettext_lazy("Add an exchange rate"), responses={201: ExchangeRateSerializer, **ERRORS}
    ),
    update=extend_schema(
        summary=gettext_lazy("Change an exchange rate"), responses={200: ExchangeRateSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change an exchange rate"), responses={200: ExchangeRateSerializer, **ERRORS}
    ),
    destroy=extend_schema(
        summary=gettext_lazy("Remove an exchange rate"), responses={204: None, 403: ERRORS[403], 404: ERRORS[404]}
    ),
)
class ExchangeRateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ExchangeRateSerializer
    permission_classes = [ActionPermission]
    read_permission = "usecases.view_usecase"
    action_permissions = {
        "create": "usecases.add_exchangerate",
        "update": "usecases.change_exchangerate",
        "partial_update": "usecases.change_exchangerate",
        "destroy": "usecases.delete_exchangerate",
    }
    queryset = ExchangeRate.objects.all()
    lookup_field = "currency"
    lookup_value_regex = "[A-Z]{3}"
    pagination_class = None

    def perform_create(self, serializer):
        _audited_save(serializer, self.request.user)

    def perform_update(self, serializer):
        _audited_save(serializer, self.request.user, serializer.instance)

    def perform_destroy(self, instance):
        from portal.choices import AuditAction

        with transaction.atomic():
            record_event(
                instance, AuditAction.UPDATE, self.request.user, data={"deleted": True, "rate": str(instance.rate)}
            )
            instance.delete()
