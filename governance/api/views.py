from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import reviewers, services
from governance.api.filters import ApprovalStageFilterSet, FindingFilterSet, PolicyExceptionFilterSet
from governance.api.serializers import (
    ApprovalStageSerializer,
    AuditEventSerializer,
    BlockingErrorSerializer,
    ClassificationLevelSerializer,
    ClassificationRuleSerializer,
    FindingSerializer,
    NotificationSerializer,
    PolicyExceptionSerializer,
    RecommendationRequestSerializer,
    RecommendationSerializer,
    ReminderSerializer,
    RiskTierOverrideSerializer,
    StageAssignSerializer,
    StageDecisionSerializer,
    UseCaseReviewSerializer,
)
from governance.choices import ReminderStatus
from governance.filters import AuditEventFilterSet, ReminderFilterSet
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
from governance.reminders import outbox
from portal.api import parsers
from portal.api import strict as drf_serializers
from portal.api.filters import StrictFilterBackend
from portal.api.permissions import ActionPermission
from portal.api.responses import CONFLICT, ERRORS
from portal.models import AuditEvent
from usecases.models import UseCase


def blocking_error_body(error):
    """The 400 of a refused approval lists the blocking findings (``BlockingErrorSerializer``)."""
    return {"detail": str(error), "blocking": FindingSerializer(error.findings, many=True).data}


def _visible_use_cases(user):
    return UseCase.objects.visible_to(user)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Approval stages of visible use cases (mine=true: my queue)")),
    retrieve=extend_schema(
        summary=gettext_lazy("One approval stage"), responses={200: ApprovalStageSerializer, 404: ERRORS[404]}
    ),
)
class ApprovalStageViewSet(viewsets.ReadOnlyModelViewSet):
    parser_classes = parsers.JSON
    serializer_class = ApprovalStageSerializer
    permission_classes = [ActionPermission]
    read_permission = "usecases.view_usecase"
    action_permissions = {
        "decide": "governance.decide_approvalstage",
        "assign": "governance.decide_approvalstage",
        "unassign": "governance.decide_approvalstage",
    }
    filter_backends = [StrictFilterBackend]
    filterset_class = ApprovalStageFilterSet

    def get_queryset(self):
        return (
            ApprovalStage.objects.filter(use_case__in=_visible_use_cases(self.request.user))
            .select_related("use_case", "definition", "group", "decided_by", "assigned_to")
            .order_by("use_case_id", "position", "id")
        )

    def _assignable_stage(self):
        stage = self.get_object()
        # Rights before input: only members of the stage's group hand out its work.
        if not reviewers.may_assign(self.request.user, stage):
            raise exceptions.PermissionDenied
        return stage

    @extend_schema(
        summary=gettext_lazy("Assign an approval stage to a member of its group (default: yourself)"),
        request=StageAssignSerializer,
        responses={200: ApprovalStageSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404], **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        stage = self._assignable_stage()
        serializer = StageAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignee_id = serializer.validated_data.get("assignee")
        users = get_user_model().objects
        assignee = request.user if assignee_id is None else users.filter(pk=assignee_id).first()
        reviewers.assign_stage(stage, assignee, request.user)
        return Response(ApprovalStageSerializer(self.get_queryset().get(pk=stage.pk)).data)

    @extend_schema(
        summary=gettext_lazy("Give an approval stage back to its whole group"),
        request=None,
        responses={200: ApprovalStageSerializer, 403: ERRORS[403], 404: ERRORS[404], **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def unassign(self, request, pk=None):
        stage = self._assignable_stage()
        reviewers.unassign_stage(stage, request.user)
        return Response(ApprovalStageSerializer(self.get_queryset().get(pk=stage.pk)).data)

    @extend_schema(
        summary=gettext_lazy("Decide an approval stage"),
        request=StageDecisionSerializer,
        responses={
            200: ApprovalStageSerializer,
            400: OpenApiResponse(
                BlockingErrorSerializer,
                description=gettext_lazy("Invalid input, or blocking findings without a valid exception."),
            ),
            403: ERRORS[403],
            404: ERRORS[404],
            409: OpenApiResponse(description=gettext_lazy("Already decided, or not the current stage.")),
        },
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        stage = self.get_object()
        # Rights before input: a stage of another group is refused whatever the body says.
        if not services.can_decide(request.user, stage):
            raise exceptions.PermissionDenied
        serializer = StageDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stage = services.decide_stage(
            stage,
            request.user,
            serializer.validated_data["decision"],
            serializer.validated_data.get("comment", ""),
        )
        return Response(ApprovalStageSerializer(self.get_queryset().get(pk=stage.pk)).data)


@extend_schema_view(list=extend_schema(summary=gettext_lazy("Latest policy-check findings of visible use cases")))
class FindingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = FindingSerializer
    permission_classes = [ActionPermission]
    read_permission = "usecases.view_usecase"
    action_permissions = {}
    filter_backends = [StrictFilterBackend]
    filterset_class = FindingFilterSet

    def get_queryset(self):
        return (
            Finding.objects.filter(use_case__in=_visible_use_cases(self.request.user))
            .select_related("use_case")
            .order_by("use_case_id", "severity", "rule_id", "subject")
        )


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Exceptions granted on visible use cases")),
    retrieve=extend_schema(
        summary=gettext_lazy("One exception"), responses={200: PolicyExceptionSerializer, 404: ERRORS[404]}
    ),
    create=extend_schema(
        summary=gettext_lazy("Grant an exception to one blocking finding"),
        responses={201: PolicyExceptionSerializer, **ERRORS, **CONFLICT},
    ),
)
class PolicyExceptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    parser_classes = parsers.JSON
    serializer_class = PolicyExceptionSerializer
    permission_classes = [ActionPermission]
    read_permission = "usecases.view_usecase"
    action_permissions = {"create": "governance.grant_policyexception"}
    filter_backends = [StrictFilterBackend]
    filterset_class = PolicyExceptionFilterSet

    def get_queryset(self):
        return PolicyException.objects.filter(use_case__in=_visible_use_cases(self.request.user)).select_related(
            "use_case", "granted_by"
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        exception = services.grant_exception(
            data["use_case"],
            request.user,
            data["rule_id"],
            data.get("subject", ""),
            data["justification"],
            data["expires_on"],
        )
        return Response(self.get_serializer(exception).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=extend_schema(
        summary=gettext_lazy("A use case's risk tier, recommendation, findings, stages and exceptions"),
        responses={200: UseCaseReviewSerializer, 404: ERRORS[404]},
    ),
)
class UseCaseReviewViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = parsers.JSON
    serializer_class = UseCaseReviewSerializer
    permission_classes = [ActionPermission]
    read_permission = "usecases.view_usecase"
    action_permissions = {"override_risk_tier": "usecases.review_usecase"}
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]{1,40}"

    def get_queryset(self):
        return _visible_use_cases(self.request.user).prefetch_related(
            "findings__use_case",
            "approval_stages__definition",
            "approval_stages__group",
            "approval_stages__decided_by",
            "approval_stages__use_case",
            "policy_exceptions__granted_by",
            "policy_exceptions__use_case",
        )

    @extend_schema(
        summary=gettext_lazy("Override the risk tier (with a justification)"),
        request=RiskTierOverrideSerializer,
        responses={200: UseCaseReviewSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="override-risk-tier")
    def override_risk_tier(self, request, reference=None):
        use_case = self.get_object()
        serializer = RiskTierOverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.override_risk_tier(
            use_case,
            request.user,
            serializer.validated_data["tier"],
            serializer.validated_data["justification"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=use_case.pk)).data)


class _PolicyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Readable by everyone signed in; changed by governance admins through the service."""

    parser_classes = parsers.JSON
    permission_classes = [ActionPermission]
    read_permission = None
    action_permissions = {
        "update": "governance.manage_classification",
        "partial_update": "governance.manage_classification",
    }
    http_method_names = ["get", "patch", "head", "options"]
    service = None

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        serializer.instance = type(self).service(serializer.instance, self.request.user, fields)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("The classification levels with their matrix rows")),
    retrieve=extend_schema(
        summary=gettext_lazy("One classification level"),
        responses={200: ClassificationLevelSerializer, 404: ERRORS[404]},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy(
            "Change a level's description, allowed processing regions or allowed vendor jurisdictions "
            "(audited; the use cases at that level are re-checked)"
        ),
        responses={200: ClassificationLevelSerializer, **ERRORS},
    ),
)
class ClassificationLevelViewSet(_PolicyViewSet):
    serializer_class = ClassificationLevelSerializer
    queryset = ClassificationLevel.objects.prefetch_related("rules__level")
    service = services.update_level


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("The cells of the classification matrix")),
    retrieve=extend_schema(
        summary=gettext_lazy("One cell of the matrix"), responses={200: ClassificationRuleSerializer, 404: ERRORS[404]}
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change a cell of the matrix (audited; affected use cases are re-checked)"),
        responses={200: ClassificationRuleSerializer, **ERRORS},
    ),
)
class ClassificationRuleViewSet(_PolicyViewSet):
    serializer_class = ClassificationRuleSerializer
    queryset = ClassificationRule.objects.select_related("level")
    service = services.update_matrix_rule


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("The audit trail, filtered")),
    retrieve=extend_schema(
        summary=gettext_lazy("One audit event"), responses={200: AuditEventSerializer, 404: ERRORS[404]}
    ),
)
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only by construction: no write method exists here, in the admin or the ORM."""

    serializer_class = AuditEventSerializer
    permission_classes = [ActionPermission]
    read_permission = "portal.view_auditevent"
    action_permissions = {}
    filter_backends = [StrictFilterBackend]
    filterset_class = AuditEventFilterSet
    queryset = AuditEvent.objects.select_related("content_type")


class RecommendationView(APIView):
    """The style that fits a set of answers (the form asks as the requester types)."""

    parser_classes = parsers.JSON
    permission_classes = [ActionPermission]
    read_permission = "usecases.view_usecase"
    action_permissions = {}

    @extend_schema(
        summary=gettext_lazy("Recommend closed or open AI for a set of answers"),
        request=RecommendationRequestSerializer,
        responses={200: RecommendationSerializer, **ERRORS},
    )
    def post(self, request):
        serializer = RecommendationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(RecommendationSerializer(recommend(UseCase(**serializer.validated_data))).data)


class ReminderViewSet(viewsets.ReadOnlyModelViewSet):
    """Every reminder with its delivery state, for governance admins."""

    parser_classes = parsers.JSON
    serializer_class = ReminderSerializer
    permission_classes = [ActionPermission]
    read_permission = "governance.view_reminder"
    action_permissions = {"retry": "governance.change_reminder"}
    filter_backends = [StrictFilterBackend]
    filterset_class = ReminderFilterSet
    queryset = Reminder.objects.select_related("content_type").order_by("-created_at", "-id")

    @extend_schema(
        summary=gettext_lazy("Send a failed reminder again"),
        request=None,
        responses={200: ReminderSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        reminder = self.get_object()
        if reminder.status != ReminderStatus.FAILED:
            raise ValidationError({"status": [gettext_lazy("Only a failed reminder can be sent again.")]})
        outbox.retry_failed([reminder.pk])
        reminder.refresh_from_db()
        return Response(self.get_serializer(reminder).data)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Your notifications, newest first")),
    retrieve=extend_schema(summary=gettext_lazy("One of your notifications")),
)
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The signed-in user's in-app notifications; nobody sees another user's."""

    parser_classes = parsers.JSON
    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        queryset = Notification.objects.for_user(self.request.user)
        unread = self.request.query_params.get("unread")
        if unread in ("1", "true"):
            queryset = queryset.unread()
        return queryset

    @extend_schema(
        summary=gettext_lazy("Mark a notification read"), request=None, responses={200: NotificationSerializer}
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        summary=gettext_lazy("Mark all your notifications read"),
        request=None,
        responses={200: inline_serializer("NotificationsMarked", {"marked": drf_serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = Notification.objects.for_user(request.user).unread().update(read_at=timezone.now())
        return Response({"marked": marked})
