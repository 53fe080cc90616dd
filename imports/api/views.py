import base64
import binascii

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from imports import services
from imports.api.serializers import (
    ConfirmSerializer,
    ImportJobDetailSerializer,
    ImportJobSerializer,
    UploadJsonSerializer,
    UploadSerializer,
)
from imports.choices import ImportStatus
from imports.kinds import kind_for
from imports.models import ImportJob
from imports.reader import FileRefused, check_size
from imports.views import too_large
from portal.api import parsers
from portal.api.responses import CONFLICT, ERRORS


class MayImport(permissions.IsAuthenticated):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and services.may_import(request.user)


DETAIL = {200: ImportJobDetailSerializer, 404: ERRORS[404]}


@extend_schema_view(
    list=extend_schema(summary=_("My imports (newest first)")),
    retrieve=extend_schema(
        summary=_("One import: its status, progress and the outcome of every row"), responses=DETAIL
    ),
    create=extend_schema(
        summary=_("Upload a file: checked at once (or in the background above the size limit), nothing written"),
        request={"multipart/form-data": UploadSerializer, "application/json": UploadJsonSerializer},
        responses={
            201: ImportJobDetailSerializer,
            **ERRORS,
            413: OpenApiResponse(description=_("The file is larger than the limit.")),
        },
    ),
)
class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Spreadsheet imports of use cases, vendors and AI models: upload, preview, confirm, status."""

    permission_classes = [MayImport]
    parser_classes = parsers.JSON_OR_UPLOAD
    serializer_class = ImportJobSerializer

    def initial(self, request, *args, **kwargs):
        # A body larger than any accepted file is refused before it is read (authentication may read it).
        if request.method == "POST" and self.action == "create" and too_large(request):
            try:
                check_size(int(request.META.get("CONTENT_LENGTH") or 0))
            except FileRefused as error:
                self.refused = error
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        return ImportJob.objects.visible_to(self.request.user).select_related("user")

    def get_serializer_class(self):
        return ImportJobDetailSerializer if self.action in ("retrieve", "create", "confirm") else ImportJobSerializer

    def _detail(self, job, code=status.HTTP_200_OK):
        headers = {column.key: column.header() for column in kind_for(job.kind).columns}
        return Response(ImportJobDetailSerializer(job, context={"headers": headers}).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def create(self, request, *args, **kwargs):
        refused = getattr(self, "refused", None)
        if refused is not None:
            return Response({"file": [str(refused)]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        if request.content_type.startswith("multipart/form-data"):
            serializer = UploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            uploaded = serializer.validated_data["file"]
        else:
            serializer = UploadJsonSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            try:
                content = base64.b64decode(serializer.validated_data["content"], validate=True)
            except (binascii.Error, ValueError) as error:
                raise ValidationError({"content": [_("Not valid base64.")]}) from error
            uploaded = SimpleUploadedFile(serializer.validated_data["file_name"], content)
        kind = serializer.validated_data["kind"]
        if kind not in services.allowed_kinds(request.user):
            raise PermissionDenied
        try:
            job = services.upload(request.user, kind, uploaded)
        except services.HeaderProblems as error:
            raise ValidationError({"file": error.messages}) from error
        except FileRefused as error:
            raise ValidationError({"file": [str(error)]}) from error
        return self._detail(job, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Confirm a checked import: every row is written, or none (large files in the background: 202)"),
        request=ConfirmSerializer,
        responses={
            200: ImportJobDetailSerializer,
            202: ImportJobDetailSerializer,
            **ERRORS,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        job = self.get_object()
        ConfirmSerializer(data=request.data).is_valid(raise_exception=True)
        job = services.confirm(job, request.user)
        code = status.HTTP_202_ACCEPTED if job.status == ImportStatus.IMPORTING else status.HTTP_200_OK
        return self._detail(job, code)
