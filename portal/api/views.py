from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, viewsets
from rest_framework.exceptions import NotFound

from portal.api import parsers
from portal.api.filters import StrictFilterBackend, StrictOrderingFilter
from portal.api.serializers import CurrentUserSerializer, DepartmentSerializer
from portal.models import Department


class DjangoViewPermission(permissions.DjangoModelPermissions):
    """Reads need the model's view permission (DRF's default lets any user read)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    permission_classes = [DjangoViewPermission]
    filter_backends = [StrictFilterBackend, StrictOrderingFilter]
    filterset_fields = ["is_active", "code"]
    ordering_fields = ["name", "code"]


@extend_schema(tags=["me"])
class CurrentUserView(generics.RetrieveUpdateAPIView):
    """The authenticated user, with department, roles and permissions; PATCH changes the
    user's own e-mail notification setting (``email_notifications``), nothing else."""

    serializer_class = CurrentUserSerializer
    parser_classes = parsers.JSON
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user


@csrf_exempt  # nothing to protect: it only answers 404
def not_found(request, *args, **kwargs):
    """An API path no route matches: DRF's JSON 404 body, in the reader's language."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
