from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api import parsers
from portal.api.filters import StrictFilterBackend, StrictOrderingFilter
from portal.api.responses import CONFLICT, ERRORS
from portal.api.views import DjangoViewPermission
from vendors import assessments, services
from vendors.api.serializers import (
    AIModelSerializer,
    AssessmentSerializer,
    DecisionSerializer,
    LicenceSerializer,
    QuestionnaireTemplateSerializer,
    RevokeSerializer,
    TemplateVersionSerializer,
    VendorSerializer,
)
from vendors.filters import AIModelFilterSet, VendorFilterSet
from vendors.models import AIModel, Assessment, Licence, QuestionnaireTemplate, TemplateVersion, Vendor


class RegistryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Read with the view permission, write with add/change. Writes go through the registry
    services (``create_service``/``update_service``), which audit the changed fields and trigger the
    re-check of the use cases that depend on the object."""

    parser_classes = parsers.JSON
    permission_classes = [DjangoViewPermission]
    # The vendor API answers a message tied to no field as {"detail": [...]} (clients rely on it).
    plain_errors_as_detail = True
    create_service = update_service = None
    # Nested lists the service takes as keyword arguments rather than fields.
    child_lists = ()

    def _arguments(self, serializer):
        data = dict(serializer.validated_data)
        children = {name: data.pop(name, None) for name in self.child_lists}
        return data, children

    def perform_create(self, serializer):
        fields, children = self._arguments(serializer)
        serializer.instance = self.create_service(self.request.user, fields, **children)

    def perform_update(self, serializer):
        fields, children = self._arguments(serializer)
        serializer.instance = self.update_service(serializer.instance, self.request.user, fields, **children)


@extend_schema_view(create=extend_schema(responses={201: VendorSerializer, **ERRORS}))
class VendorViewSet(RegistryViewSet):
    serializer_class = VendorSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = VendorFilterSet
    create_service, update_service = staticmethod(services.create_vendor), staticmethod(services.update_vendor)
    child_lists = ("contacts", "certifications")

    def get_queryset(self):
        return Vendor.objects.visible_to(self.request.user).prefetch_related("contacts", "certifications")


@extend_schema_view(create=extend_schema(responses={201: AIModelSerializer, **ERRORS}))
class AIModelViewSet(RegistryViewSet):
    serializer_class = AIModelSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = AIModelFilterSet
    create_service, update_service = staticmethod(services.create_model), staticmethod(services.update_model)
    queryset = AIModel.objects.select_related("publisher", "licence")


class LicenceViewSet(RegistryViewSet):
    serializer_class = LicenceSerializer
    queryset = Licence.objects.all()
    create_service, update_service = staticmethod(services.create_licence), staticmethod(services.update_licence)
    filter_backends = [StrictFilterBackend, StrictOrderingFilter]
    filterset_fields = ["commercial_use", "non_commercial_only"]
    ordering_fields = ["identifier", "name"]


class QuestionnaireTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = QuestionnaireTemplateSerializer
    permission_classes = [DjangoViewPermission]
    queryset = QuestionnaireTemplate.objects.prefetch_related("versions")


class TemplatePermission(permissions.BasePermission):
    """Versions belong to the questionnaire templates: the same view permission."""

    def has_permission(self, request, view):
        return request.user.has_perm("vendors.view_questionnairetemplate")


class TemplateVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Versions with their sections and questions (read-only: edit in the template editor)."""

    serializer_class = TemplateVersionSerializer
    permission_classes = [TemplatePermission]
    queryset = TemplateVersion.objects.select_related("template").prefetch_related("sections__questions")
    filter_backends = [StrictFilterBackend]
    filterset_fields = ["template", "status"]


class AssessmentPermission(permissions.BasePermission):
    ACTION_PERMISSIONS = {
        "create": "vendors.add_assessment",
        "revoke": "vendors.change_assessment",
        "reissue": "vendors.change_assessment",
        "decide": "vendors.decide_assessment",
    }

    def has_permission(self, request, view):
        return request.user.has_perm(self.ACTION_PERMISSIONS.get(view.action, "vendors.view_assessment"))


@extend_schema_view(
    create=extend_schema(
        summary=gettext_lazy("Send a questionnaire to a vendor contact"),
        responses={201: AssessmentSerializer, **ERRORS},
    )
)
class AssessmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    parser_classes = parsers.JSON
    serializer_class = AssessmentSerializer
    permission_classes = [permissions.IsAuthenticated, AssessmentPermission]
    plain_errors_as_detail = True
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]{1,40}"
    filter_backends = [StrictFilterBackend]
    filterset_fields = ["vendor", "status"]

    def get_queryset(self):
        return Assessment.objects.visible_to(self.request.user).with_related()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assessment, _token = assessments.send_assessment(
            data["vendor"], data["contact"], data["template_version"], request.user, data.get("link_days")
        )
        return Response(self.get_serializer(assessment).data, status=status.HTTP_201_CREATED)

    def _act(self, assessment_action):
        assessment = assessment_action()
        return Response(self.get_serializer(self.get_queryset().get(pk=assessment.pk)).data)

    @extend_schema(
        summary=gettext_lazy("Revoke the assessment (its link stops working)"),
        request=RevokeSerializer,
        responses={200: AssessmentSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, reference=None):
        assessment = self.get_object()
        serializer = RevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = serializer.validated_data.get("comment", "")
        return self._act(lambda: assessments.revoke_assessment(assessment, request.user, comment=comment))

    @extend_schema(
        summary=gettext_lazy("Re-issue the link (and e-mail it); earlier links stop working"),
        request=None,
        responses={200: AssessmentSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def reissue(self, request, reference=None):
        assessment = self.get_object()
        return self._act(lambda: assessments.reissue_link(assessment, request.user)[0])

    @extend_schema(
        summary=gettext_lazy("Decide a submitted assessment"),
        request=DecisionSerializer,
        responses={200: AssessmentSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, reference=None):
        assessment = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(lambda: assessments.decide_assessment(assessment, request.user, **serializer.validated_data))
