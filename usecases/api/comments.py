"""``/api/v1/use-cases/{reference}/comments/``: the conversation on a use case.

Read by everyone who can see the use case; each person edits (within the edit window) and
deletes (while nobody has commented after it) only their own comments. The services
(``usecases.comments.services``) hold the rules; this module only translates.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from portal.api import parsers
from portal.api import strict as serializers
from portal.api.responses import CONFLICT, ERRORS
from portal.api.serializers import UserSummarySerializer
from portal.filters import MAX_ID
from usecases.comments import services
from usecases.comments.models import Comment
from usecases.models import UseCase


class UseCaseCommentSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True)
    parent = serializers.IntegerField(
        source="parent_id",
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("The id of the comment this one answers (a comment of the same use case)."),
    )
    mentions = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")
    use_case = serializers.CharField(source="use_case.reference", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "use_case", "author", "body", "parent", "mentions", "created_at", "edited_at"]
        extra_kwargs = {"body": {"help_text": _("The text; @username mentions someone who can see the use case.")}}


class UseCaseCommentEditSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["body"]


class CommentPermission(permissions.BasePermission):
    """Reading and writing need the use-case view role; changing a comment, being its author."""

    def has_permission(self, request, view):
        return request.user.has_perm("usecases.view_usecase")

    def has_object_permission(self, request, view, obj):
        if view.action in ("partial_update", "destroy"):
            return obj.author_id == request.user.pk
        return True


REFERENCE = OpenApiParameter("reference", str, OpenApiParameter.PATH, description=_("The use case's reference."))


@extend_schema_view(
    list=extend_schema(summary=_("The comments on a use case, oldest first"), parameters=[REFERENCE]),
    create=extend_schema(
        summary=_("Post a comment"),
        parameters=[REFERENCE],
        request=UseCaseCommentSerializer,
        responses={201: UseCaseCommentSerializer, **ERRORS},
    ),
    retrieve=extend_schema(
        summary=_("One comment"), parameters=[REFERENCE], responses={200: UseCaseCommentSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary=_("Correct an own comment (within the edit window)"),
        parameters=[REFERENCE],
        request=UseCaseCommentEditSerializer,
        responses={200: UseCaseCommentSerializer, **ERRORS, **CONFLICT},
    ),
    destroy=extend_schema(
        summary=_("Delete an own comment (while nobody has commented after it)"),
        parameters=[REFERENCE],
        responses={204: None, **ERRORS, **CONFLICT},
    ),
)
class UseCaseCommentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    parser_classes = parsers.JSON
    serializer_class = UseCaseCommentSerializer
    permission_classes = [permissions.IsAuthenticated, CommentPermission]
    filter_backends = []
    lookup_url_kwarg = "comment_id"
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def use_case(self):
        if not hasattr(self, "_use_case"):
            found = UseCase.objects.visible_to(self.request.user).filter(reference=self.kwargs["reference"]).first()
            if found is None:
                raise NotFound(_("No such use case."))
            self._use_case = found
        return self._use_case

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        return (
            Comment.objects.filter(use_case=self.use_case())
            .select_related("author", "use_case")
            .prefetch_related("mentions")
            .order_by("created_at", "id")
        )

    def get_object(self):
        raw = self.kwargs[self.lookup_url_kwarg]
        if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
            raise NotFound(_("No such comment."))
        return super().get_object()

    def get_serializer_class(self):
        return UseCaseCommentEditSerializer if self.action == "partial_update" else UseCaseCommentSerializer

    def _respond(self, comment, code=status.HTTP_200_OK):
        comment = self.get_queryset().get(pk=comment.pk)
        return Response(UseCaseCommentSerializer(comment, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        use_case = self.use_case()
        serializer = UseCaseCommentSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = services.post_comment(use_case, request.user, data["body"], parent=data.get("parent_id"))
        return self._respond(comment, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        comment = self.get_object()
        serializer = UseCaseCommentEditSerializer(data=request.data)  # the body is required, even in a PATCH
        serializer.is_valid(raise_exception=True)
        comment = services.edit_comment(comment, request.user, serializer.validated_data["body"])
        return self._respond(comment)

    def destroy(self, request, *args, **kwargs):
        services.delete_comment(self.get_object(), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
