"""Request-level guards that must run before any view reads the request, and the write transaction."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
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


# Methods that may write: each such request is one transaction, as ATOMIC_REQUESTS made every request.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_IN_REQUEST_TRANSACTION = "_portal_request_transaction"


class WriteTransactionMiddleware:
    """Run a request that may write in one transaction; run reads without one.

    A write and the answer that reports it commit together, so a client told "try again" (503
    while the database is lost) never finds its first try saved. Reads need no transaction: under
    ``ATOMIC_REQUESTS`` every GET paid a ``BEGIN``/``COMMIT`` (``SAVEPOINT`` in tests) round trip.
    Exceptions raised by the view roll back (``process_exception``); API errors answered by the
    exception handler roll back through ``roll_back_request``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in WRITE_METHODS:
            return self.get_response(request)
        with transaction.atomic():
            setattr(request, _IN_REQUEST_TRANSACTION, True)
            try:
                return self.get_response(request)
            finally:
                setattr(request, _IN_REQUEST_TRANSACTION, False)

    def process_exception(self, request, exception):
        # Django turns the view's exception into a response before it reaches __call__, so the
        # atomic block above would commit: mark it for rollback while it is still the innermost.
        roll_back_request(request)
        return None


def roll_back_request(request):
    """Roll back the request's transaction, if it runs in one (a write), at its end."""
    if getattr(request, _IN_REQUEST_TRANSACTION, False):
        transaction.set_rollback(True)
