from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, viewsets

from portal.api.serializers import CurrentUserSerializer, DepartmentSerializer
from portal.models import Department


class DjangoViewPermission(permissions.DjangoModelPermissions):
    """Reads need the model's view permission (DRF's default lets any user read)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    permission_classes = [DjangoViewPermission]
    filterset_fields = ["is_active", "code"]
    ordering_fields = ["name", "code"]


@extend_schema(tags=["me"])
class CurrentUserView(generics.RetrieveAPIView):
    """The authenticated user, with department, roles and permissions."""

    serializer_class = CurrentUserSerializer

    def get_object(self):
        return self.request.user
