from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api import parsers
from portal.api.filters import StrictFilterBackend
from portal.api.responses import CONFLICT, ERRORS
from usecases import services
from usecases.api.roadmap import RoadmapActionsMixin
from usecases.api.serializers import (
    KpiMeasurementSerializer,
    SubmitErrorSerializer,
    UseCaseSerializer,
    WithdrawSerializer,
)
from usecases.filters import UseCaseFilterSet
from usecases.models import UseCase


def submit_error_body(error):
    """The 400 of a refused submit lists every missing item (``SubmitErrorSerializer``)."""
    missing = [{"field": item.field, "message": str(item.message)} for item in error.missing]
    return {"detail": _("The use case cannot be submitted yet."), "missing": missing}


class UseCasePermission(permissions.BasePermission):
    """Role check per action; object scoping comes from ``visible_to`` and services."""

    ACTION_PERMISSIONS = {
        "create": "usecases.add_usecase",
        "update": "usecases.change_usecase",
        "partial_update": "usecases.change_usecase",
        "submit": "usecases.change_usecase",
        "withdraw": "usecases.change_usecase",
        "record_measurement": "usecases.change_usecase",
    }

    # Recording the journey after approval: the owner (change) or a reviewer; the service
    # checks which use case. Reading these needs only the view permission.
    ROADMAP_WRITE_ACTIONS = frozenset(
        {"advance", "go_live", "move_back", "retire", "trial", "model_roles", "cost_assumptions", "benefits"}
    )

    def has_permission(self, request, view):
        if view.action in self.ROADMAP_WRITE_ACTIONS and request.method not in permissions.SAFE_METHODS:
            user = request.user
            return user.has_perm("usecases.change_usecase") or user.has_perm("usecases.review_usecase")
        required = self.ACTION_PERMISSIONS.get(view.action, "usecases.view_usecase")
        return request.user.has_perm(required)

    def has_object_permission(self, request, view, obj):
        if view.action in ("update", "partial_update"):
            return services.can_edit(obj, request.user)
        return True


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List use cases visible to the user")),
    retrieve=extend_schema(summary=gettext_lazy("One use case"), responses={200: UseCaseSerializer, 404: ERRORS[404]}),
    create=extend_schema(summary=gettext_lazy("Register a draft"), responses={201: UseCaseSerializer, **ERRORS}),
    update=extend_schema(
        summary=gettext_lazy("Change an own draft"), responses={200: UseCaseSerializer, **ERRORS, **CONFLICT}
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change an own draft"), responses={200: UseCaseSerializer, **ERRORS, **CONFLICT}
    ),
)
class UseCaseViewSet(
    RoadmapActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    parser_classes = parsers.JSON
    serializer_class = UseCaseSerializer
    permission_classes = [permissions.IsAuthenticated, UseCasePermission]
    filter_backends = [StrictFilterBackend]
    filterset_class = UseCaseFilterSet
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]+"

    def get_queryset(self):
        return UseCase.objects.visible_to(self.request.user).with_children()

    def filter_queryset(self, queryset):
        # The filters are the list's: an action on one use case (found by get_object) ignores them.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def _split(self, validated):
        children = ("tasks", "kpis", "model_choices", "version")
        fields = {name: value for name, value in validated.items() if name not in children}
        return fields, validated.get("tasks"), validated.get("kpis"), validated.get("model_choices")

    def _respond(self, use_case, code=status.HTTP_200_OK):
        use_case = self.get_queryset().get(pk=use_case.pk)
        return Response(self.get_serializer(use_case).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, tasks, kpis, models = self._split(serializer.validated_data)
        use_case = services.create_draft(request.user, fields, tasks or (), kpis or (), models or ())
        return self._respond(use_case, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fields, tasks, kpis, models = self._split(serializer.validated_data)
        use_case = services.update_draft(
            instance,
            request.user,
            fields,
            tasks,
            kpis,
            models,
            expected_version=serializer.validated_data.get("version"),
        )
        return self._respond(use_case)

    @extend_schema(
        summary=gettext_lazy("Submit a draft for review"),
        request=None,
        responses={
            200: UseCaseSerializer,
            400: OpenApiResponse(SubmitErrorSerializer, description=gettext_lazy("Items still missing, all listed.")),
            403: ERRORS[403],
            404: ERRORS[404],
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, reference=None):
        use_case = self.get_object()
        return self._respond(services.submit(use_case, request.user))

    @extend_schema(
        summary=gettext_lazy("Record a KPI measurement"),
        request=KpiMeasurementSerializer,
        responses={
            201: KpiMeasurementSerializer,
            **ERRORS,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="measurements")
    def record_measurement(self, request, reference=None):
        use_case = self.get_object()
        serializer = KpiMeasurementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        measurement = services.record_measurement(
            use_case, request.user, data["kpi"], data["measured_on"], data["value"], data.get("note", "")
        )
        return Response(KpiMeasurementSerializer(measurement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Withdraw a use case"),
        request=WithdrawSerializer,
        responses={
            200: UseCaseSerializer,
            **ERRORS,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, reference=None):
        use_case = self.get_object()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        use_case = services.withdraw(use_case, request.user, comment=serializer.validated_data.get("comment", ""))
        return self._respond(use_case)
