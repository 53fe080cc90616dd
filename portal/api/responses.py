"""Documented error responses shared by every API view (one wording, one schema)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


ERRORS = {
    400: OpenApiResponse(description=gettext_lazy("Invalid input: a message per field.")),
    403: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not allowed for this user.")),
    404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not found or not visible to this user.")),
}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not possible in the current status."))}
