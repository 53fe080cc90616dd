"""Personal API tokens, self-service: list, create (the key is in that one response), revoke."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from portal import services
from portal.api import parsers
from portal.api import strict as serializers
from portal.api.responses import ERRORS
from portal.models import ApiToken


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    key = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Shown only in this response; only its hash is stored.")
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


class MayUseTokens(permissions.BasePermission):
    def has_permission(self, request, view):
        return services.may_use_tokens(request.user)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Your API tokens (never their keys)")),
    retrieve=extend_schema(
        summary=gettext_lazy("One of your API tokens"), responses={200: ApiTokenSerializer, 404: ERRORS[404]}
    ),
    create=extend_schema(
        summary=gettext_lazy("Create a token (signed in with a session, not with another token)"),
        request=ApiTokenSerializer,
        responses={201: NewApiTokenSerializer, **ERRORS},
    ),
)
class ApiTokenViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    parser_classes = parsers.JSON
    serializer_class = ApiTokenSerializer
    permission_classes = [MayUseTokens]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    def create(self, request, *args, **kwargs):
        if request.auth is not None:
            # A stolen token must not be able to mint more.
            raise PermissionDenied(gettext_lazy("Create tokens while signed in to the portal, not with a token."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = services.create_api_token(request.user, serializer.validated_data["name"], check=True)
        token.key = key
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Revoke one of your tokens; it stops working at once"),
        request=None,
        responses={200: ApiTokenSerializer, 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.revoke_api_token(self.get_object(), request.user)
        return Response(ApiTokenSerializer(token).data)
