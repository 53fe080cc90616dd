"""Exports as API operations: the files the pages offer (inventory, vendor registry, audit trail,
dashboard tables), for a personal token as for a session.

Each operation serves the page's ``TableExport`` (portal.exports) with the page's filters,
scoped with ``visible_to`` and checked against the page's permission. The API differs from the
page in three ways only: an invalid filter is a 400 naming the field (the page writes an empty
file), errors are JSON whatever the ``Accept`` header asks (the URL names the file's format),
and the language is chosen as below.

Language: ``?lang=ja|en`` when given; else what the request states, as on every API answer
(``Accept-Language``, or the language cookie of a browser session); else the user's preferred
language (a token client such as a BI tool usually states none); else ``LANGUAGE_CODE``.
Labels, department names and the header follow it.
"""

from django.conf import settings
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

from portal.api.filters import StrictFilterBackend
from portal.api.permissions import ActionPermission
from portal.exports import MEDIA_TYPES

LANGUAGES = [code for code, _name in settings.LANGUAGES]

LANG_PARAMETER = OpenApiParameter(
    "lang",
    str,
    enum=LANGUAGES,
    description=gettext_lazy(
        "Language of the file (header, labels, department names). Without it: the Accept-Language "
        "header, else your preferred language."
    ),
)


def requested_language(request):
    """The language an export is written in (see the module's docstring)."""
    lang = request.query_params.get("lang")
    if lang is not None:
        if lang not in LANGUAGES:
            raise ValidationError({"lang": [gettext_lazy("Choose one of: %s.") % ", ".join(LANGUAGES)]})
        return lang
    if "HTTP_ACCEPT_LANGUAGE" in request.META or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return translation.get_language()  # what LocaleMiddleware chose, as for every API answer
    return getattr(request.user, "language", "") or settings.LANGUAGE_CODE


class FileNegotiation(BaseContentNegotiation):
    """The URL names the file's format, whatever ``Accept`` asks; errors are answered in JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# A client may ask for the workbook as plain bytes: generators that know no Excel media type
# (openapi-python-client) then read it as a file without any configuration.
BYTES = "application/octet-stream"


def file_response(fmt, description):
    """The documented 200 of an export: the file, with its media type. CSV is text (UTF-8 with a
    BOM), so generated clients hand it over as a string; Excel is binary, also offered as
    ``application/octet-stream`` to a client whose Accept header asks for that."""
    if fmt == "csv":
        return {(200, MEDIA_TYPES[fmt]): OpenApiResponse(OpenApiTypes.STR, description=description)}
    return {
        (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description)
        for media_type in (MEDIA_TYPES[fmt], BYTES)
    }


def wants_bytes(request):
    """True when Accept names application/octet-stream and not the file's own media type."""
    accept = request.META.get("HTTP_ACCEPT", "")
    return BYTES in accept and MEDIA_TYPES["xlsx"] not in accept


class ExportView(GenericAPIView):
    """GET: ``export`` (a TableExport) of the filtered, scoped rows, as ``fmt``.

    Subclasses (made by ``export_views``) set ``export``, ``fmt`` and ``read_permission``, and
    ``filterset_class`` with ``get_queryset()``; or override ``source()`` and ``get_export()``."""

    permission_classes = [ActionPermission]
    action_permissions = {}
    renderer_classes = [JSONRenderer]  # errors only: the file is the view's own response
    content_negotiation_class = FileNegotiation
    filter_backends = [StrictFilterBackend]
    pagination_class = None
    export = None
    fmt = "csv"

    def get_export(self):
        return self.export

    def source(self, request):
        return self.filter_queryset(self.get_queryset())

    def file(self, request):
        with translation.override(requested_language(request)):
            # Filter messages, header and rows in that language (table_response keeps it for the
            # rows streamed after this returns).
            export = self.get_export()
            response = export.response(self.source(request), self.fmt)
        if self.fmt != "csv" and wants_bytes(request):
            response["Content-Type"] = BYTES
        return response


def export_views(name, base, *, formats, summary, description, parameters=()):
    """One view class per format, ``{fmt: view}``: ``base`` (an ExportView subclass) answering
    GET with the file, documented with its media type. ``name`` makes the operation ids."""
    views = {}
    for fmt in formats:

        def get(self, request, *args, **kwargs):
            return self.file(request)

        get = extend_schema(
            operation_id=f"{name}_export_{fmt}",
            summary=format_lazy("{} ({})", summary, fmt.upper()),
            description=description,
            parameters=[*parameters, LANG_PARAMETER],
            responses=file_response(fmt, description),
            filters=True,
        )(get)
        class_name = "".join(part.title() for part in name.split("_")) + f"Export{fmt.title()}View"
        views[fmt] = type(class_name, (base,), {"fmt": fmt, "get": get, "__module__": base.__module__})
    return views
