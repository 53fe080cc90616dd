"""The framework floor: the least a GET costs on the portal's stack. A DRF view with the project's
default authentication and permission classes, middleware and renderer, doing no work of its own,
so an endpoint's time over the floor's is what the endpoint itself adds."""

from rest_framework.response import Response
from rest_framework.views import APIView


class Floor(APIView):
    def get(self, request):
        return Response({"ok": True})
