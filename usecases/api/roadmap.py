"""The roadmap, cost and value through the API: the use-case actions (mixed into
``UseCaseViewSet``), the organisation views, and the cost settings. Serializers are in
``usecases/api/serializers.py``."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import parsers
from portal.api import strict as serializers
from portal.api.permissions import ActionPermission, ReadWritePermission
from portal.api.responses import CONFLICT, ERRORS
from portal.services import record_event, snapshot_changes
from usecases import returns, roadmap, roadmap_services, services
from usecases.api.serializers import (
    AdvanceSerializer,
    BenefitRecordSerializer,
    CommentSerializer,
    CostAssumptionsSerializer,
    CostSettingsSerializer,
    EconomicsSerializer,
    ExchangeRateSerializer,
    GateErrorSerializer,
    GateItemSerializer,
    ModelRoleSerializer,
    MoveBackSerializer,
    OrganisationEconomicsSerializer,
    OrganisationRoadmapSerializer,
    ReasonSerializer,
    RoadmapSerializer,
    TrialSerializer,
)
from usecases.choices import TrialKind
from usecases.models import CostSettings, ExchangeRate, Trial, UseCase

TRIAL_KINDS = {"pilot": TrialKind.CLOSED_PILOT, "poc": TrialKind.OPEN_POC}


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
                "monthly_in_price_currency": _scaled(candidate.monthly_own),
                "allowed": candidate.allowed,
                "blocked_reasons": candidate.blocked,
            }
            for candidate in cost.candidates
        ],
        "self_hosting": _scaled(cost.self_hosting),
        "cheapest": _scaled(cost.cheapest),
        "curve": cost.curve or None,
        "running": cost.running,
        "returns": {
            **context["returns"].__dict__,
            "roi_percent": context["returns"].roi_percent,
            "roi_reason_text": context["returns"].roi_reason_text,
        },
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


def gate_error_body(error):
    """The 400 of a refused roadmap move lists every unmet item (``GateErrorSerializer``)."""
    return {"detail": str(error), "step": int(error.step), "unmet": GateItemSerializer(error.items, many=True).data}


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
        use_case = roadmap_services.advance_step(
            use_case,
            request.user,
            skip_poc=serializer.validated_data["skip_poc"],
            reason=serializer.validated_data.get("reason", ""),
            expected_step=serializer.validated_data.get("from_step"),
        )
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
        use_case = roadmap_services.go_live(use_case, request.user, serializer.validated_data.get("comment", ""))
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
        use_case = roadmap_services.move_back(
            use_case,
            request.user,
            data["to_step"],
            data["reason"],
            expected_step=data.get("from_step"),
        )
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
        use_case = roadmap_services.retire(use_case, request.user, serializer.validated_data["reason"])
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
        trial = roadmap_services.save_trial(use_case, request.user, kind, serializer.validated_data)
        return Response(TrialSerializer(trial).data)

    @extend_schema(
        methods=["GET"],
        filters=False,
        summary=gettext_lazy("The models' hybrid roles"),
        responses={200: ModelRoleSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["PUT"],
        filters=False,
        summary=gettext_lazy("Decide every model's hybrid role (step 5)"),
        request=ModelRoleSerializer(many=True),
        responses={200: ModelRoleSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get", "put"], url_path="roadmap/model-roles", pagination_class=None)
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
            roadmap_services.decide_roles(use_case, request.user, rows)
        choices = use_case.model_choices.select_related("ai_model")
        return Response(ModelRoleSerializer(choices, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Cost by option, break-even, running cost, KPI progress and ROI, with their inputs"),
        responses={200: EconomicsSerializer, 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"], url_path="economics")
    def economics(self, request, reference=None):
        use_case = self.get_object()
        return Response(EconomicsSerializer(economics_payload(use_case, returns.use_case_economics(use_case))).data)

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
        use_case = roadmap_services.update_cost_assumptions(use_case, request.user, serializer.validated_data)
        return Response(CostAssumptionsSerializer(use_case).data)

    @extend_schema(
        methods=["GET"],
        filters=False,
        summary=gettext_lazy("Recorded benefits, month by month"),
        responses={200: BenefitRecordSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("Record a month's benefit (a month recorded again is replaced)"),
        request=BenefitRecordSerializer,
        responses={201: BenefitRecordSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], url_path="economics/benefits", pagination_class=None)
    def benefits(self, request, reference=None):
        use_case = self.get_object()
        if request.method == "POST":
            serializer = BenefitRecordSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            record = roadmap_services.record_benefit(use_case, request.user, **serializer.validated_data)
            return Response(BenefitRecordSerializer(record).data, status=status.HTTP_201_CREATED)
        records = use_case.benefits.select_related("recorded_by")
        return Response(BenefitRecordSerializer(records, many=True).data)


# --- The organisation ------------------------------------------------------------------------------------


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
        totals = returns.organisation_totals(UseCase.objects.visible_to(request.user))
        return Response(OrganisationEconomicsSerializer(totals).data)


# --- Cost settings and exchange rates ----------------------------------------------------------------------


def _audited_save(serializer, user, instance=None):
    """Save an admin's change of cost settings or rates, with the change in the audit trail."""
    from portal.choices import AuditAction

    with transaction.atomic():
        before = {} if instance is None else {name: getattr(instance, name) for name in serializer.validated_data}
        saved = serializer.save()
        changes = snapshot_changes(before, {name: getattr(saved, name) for name in serializer.validated_data})
        if changes:
            record_event(saved, AuditAction.CREATE if instance is None else AuditAction.UPDATE, user, changes=changes)
    return saved


class CostSettingsView(APIView):
    """The organisation's cost and value defaults: read by everyone with a role, changed by governance admins."""

    parser_classes = parsers.JSON
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
    parser_classes = parsers.JSON
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
