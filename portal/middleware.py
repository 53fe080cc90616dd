"""Request-level guards that must run before any view reads the request."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def _too_large(request, limit):
    message = _("The request is too large: at most %(limit)s can be sent at once.") % {"limit": filesizeformat(limit)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    """Refuse a body larger than ``MAX_REQUEST_BYTES`` with 413 before Django reads it.

    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` leaves file uploads out, so without this a
    single request could fill the temporary folder of a web host. A body that is not a
    multipart upload is held to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` here too: Django refuses
    a larger one only when it reads it, with the HTML 400 page, where an API client
    expects a JSON 413.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            return _too_large(request, settings.MAX_REQUEST_BYTES)
        memory = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if memory is not None and length > memory and not multipart:
            return _too_large(request, memory)
        return self.get_response(request)

    def process_exception(self, request, exception):
        # A body found too large only while it is read (a multipart body with too many
        # fields, or a length the header did not announce) on an API path: JSON, too.
        if isinstance(exception, RequestDataTooBig) and request.path.startswith("/api/"):
            return _too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None
