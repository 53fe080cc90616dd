"""``/api/v1/incidents/`` (report, read, triage and move an incident), ``/api/v1/incident-actions/``
and ``/api/v1/incident-deadlines/``. Lists hold only what the caller may see."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents import services, suspension
from incidents.api.serializers import (
    ActionCreateSerializer,
    AssignSerializer,
    DeadlineDoneSerializer,
    DeadlineSerializer,
    IncidentActionSerializer,
    IncidentReportSerializer,
    IncidentSerializer,
    TransitionSerializer,
    TriageSerializer,
)
from incidents.models import Deadline, Incident, IncidentAction
from incidents.querysets import is_incident_manager
from portal.api import parsers
from portal.api.responses import CONFLICT, ERRORS


def _visible(user):
    return Incident.objects.visible_to(user)


_MOVE = {"request": TransitionSerializer, "responses": {200: IncidentSerializer, **ERRORS, **CONFLICT}}


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Incidents you may see")),
    retrieve=extend_schema(summary=gettext_lazy("One incident with its deadlines, actions and evidence")),
    create=extend_schema(
        summary=gettext_lazy("Report an incident (anyone signed in)"),
        request=IncidentReportSerializer,
        responses={201: IncidentSerializer, **ERRORS},
    ),
)
class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    parser_classes = parsers.JSON
    serializer_class = IncidentSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]{1,40}"

    def get_queryset(self):
        return (
            _visible(self.request.user)
            .with_related()
            .prefetch_related(
                Prefetch("deadlines", queryset=Deadline.objects.select_related("done_by")),
                Prefetch("actions", queryset=IncidentAction.objects.select_related("owner", "done_by")),
                "evidence",
            )
        )

    def _answer(self, incident, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=incident.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = IncidentReportSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        incident = services.report(request.user, serializer.validated_data)
        return self._answer(incident, status.HTTP_201_CREATED)

    def _validated(self, serializer_class, request):
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary=gettext_lazy("Triage: severity, category, links and assignee; starts the deadlines"),
        request=TriageSerializer,
        responses={200: IncidentSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def triage(self, request, reference=None):
        incident = self.get_object()
        if not is_incident_manager(request.user):
            raise exceptions.PermissionDenied  # rights before input
        data = dict(self._validated(TriageSerializer, request))
        comment = data.pop("comment", "")
        return self._answer(services.triage(incident, request.user, data, comment=comment))

    @extend_schema(summary=gettext_lazy("Mark the incident contained"), **_MOVE)
    @action(detail=True, methods=["post"])
    def contain(self, request, reference=None):
        data = self._validated(TransitionSerializer, request)
        return self._answer(services.contain(self.get_object(), request.user, comment=data.get("comment", "")))

    @extend_schema(summary=gettext_lazy("Mark the incident resolved"), **_MOVE)
    @action(detail=True, methods=["post"])
    def resolve(self, request, reference=None):
        data = self._validated(TransitionSerializer, request)
        incident = services.resolve(
            self.get_object(), request.user, resolution=data.get("resolution", ""), comment=data.get("comment", "")
        )
        return self._answer(incident)

    @extend_schema(summary=gettext_lazy("Close the incident"), **_MOVE)
    @action(detail=True, methods=["post"])
    def close(self, request, reference=None):
        data = self._validated(TransitionSerializer, request)
        return self._answer(services.close(self.get_object(), request.user, comment=data.get("comment", "")))

    @extend_schema(summary=gettext_lazy("Mark as not an incident (with a reason)"), **_MOVE)
    @action(detail=True, methods=["post"])
    def reject(self, request, reference=None):
        data = self._validated(TransitionSerializer, request)
        return self._answer(services.reject(self.get_object(), request.user, comment=data.get("comment", "")))

    @extend_schema(summary=gettext_lazy("Suspend the linked use case (serious incident)"), **_MOVE)
    @action(detail=True, methods=["post"], url_path="suspend-use-case")
    def suspend_use_case(self, request, reference=None):
        incident = self.get_object()
        if not is_incident_manager(request.user):
            raise exceptions.PermissionDenied
        data = self._validated(TransitionSerializer, request)
        suspension.suspend_use_case(incident, request.user, comment=data.get("comment", ""))
        return self._answer(incident)

    @extend_schema(
        summary=gettext_lazy("Assign the incident"),
        request=AssignSerializer,
        responses={200: IncidentSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, reference=None):
        incident = self.get_object()
        if not is_incident_manager(request.user):
            raise exceptions.PermissionDenied
        data = self._validated(AssignSerializer, request)
        return self._answer(services.assign(incident, request.user, data["assignee"]))

    @extend_schema(
        summary=gettext_lazy("Add a containment, corrective or preventive action"),
        request=ActionCreateSerializer,
        responses={201: IncidentActionSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="actions")
    def add_action(self, request, reference=None):
        incident = self.get_object()
        if not services.is_handler(request.user, incident):
            raise exceptions.PermissionDenied
        data = self._validated(ActionCreateSerializer, request)
        created = services.add_action(
            incident, request.user, data["kind"], data["description"], data["owner"], data.get("due_on")
        )
        return Response(IncidentActionSerializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Deadlines of the incidents you may see")),
    retrieve=extend_schema(summary=gettext_lazy("One incident deadline")),
)
class IncidentDeadlineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = parsers.JSON
    serializer_class = DeadlineSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return Deadline.objects.filter(incident__in=_visible(self.request.user)).select_related("incident", "done_by")

    @extend_schema(
        summary=gettext_lazy("Mark the deadline done (who and when are recorded)"),
        request=DeadlineDoneSerializer,
        responses={200: DeadlineSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        deadline = self.get_object()
        if not services.is_handler(request.user, deadline.incident):
            raise exceptions.PermissionDenied
        serializer = DeadlineDoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deadline = services.mark_deadline_done(deadline, request.user, serializer.validated_data.get("note", ""))
        return Response(self.get_serializer(self.get_queryset().get(pk=deadline.pk)).data)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Actions of the incidents you may see")),
    retrieve=extend_schema(summary=gettext_lazy("One incident action")),
)
class IncidentActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = parsers.JSON
    serializer_class = IncidentActionSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return IncidentAction.objects.filter(incident__in=_visible(self.request.user)).select_related(
            "incident", "owner", "done_by"
        )

    @extend_schema(
        summary=gettext_lazy("Mark the action done"),
        request=None,
        responses={200: IncidentActionSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        done = services.complete_action(self.get_object(), request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=done.pk)).data)
