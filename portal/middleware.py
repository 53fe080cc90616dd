"""Request-level guards that must run before any view reads the request."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Refuse a body larger than ``MAX_REQUEST_BYTES`` with 413 before Django reads it.

    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` leaves file uploads out, so without this a
    single request could fill the temporary folder of a web host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            limit = filesizeformat(settings.MAX_REQUEST_BYTES)
            message = _("The request is too large: at most %(limit)s can be sent at once.") % {"limit": limit}
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
