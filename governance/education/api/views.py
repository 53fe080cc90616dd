from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from governance.education import services
from governance.education.api.filters import CompletionFilterSet
from governance.education.api.serializers import (
    AcknowledgementFiguresSerializer,
    CompletionCreateSerializer,
    CompletionRatesSerializer,
    FilledPromptSerializer,
    FillSerializer,
    MyRatingSerializer,
    PendingAcknowledgementSerializer,
    PolicyDocumentSerializer,
    PolicyDraftSerializer,
    PolicyVersionSerializer,
    PromptDecisionSerializer,
    PromptTemplateSerializer,
    RemovalReasonSerializer,
    TrainingCompletionSerializer,
    TrainingCourseSerializer,
    version_in_force,
)
from governance.education.choices import PolicyVersionStatus
from governance.education.filters import PromptTemplateFilterSet
from governance.models import (
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyVersion,
    PromptRating,
    PromptTemplate,
    TrainingCompletion,
    TrainingCourse,
)
from portal.api import parsers
from portal.api.filters import StrictFilterBackend
from portal.api.permissions import ActionPermission
from portal.api.responses import ERRORS

User = get_user_model()
DETAIL_ERRORS = {403: ERRORS[403], 404: ERRORS[404]}


def _documented(serializer, listed, one, created, changed):
    """The schema of the list, retrieve, create and update operations."""
    change = extend_schema(summary=changed, responses={200: serializer, **ERRORS})
    return extend_schema_view(
        list=extend_schema(summary=listed),
        retrieve=extend_schema(summary=one, responses={200: serializer, 404: ERRORS[404]}),
        create=extend_schema(summary=created, responses={201: serializer, **ERRORS}),
        update=change,
        partial_update=change,
    )


class _ViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    # No docstring: a viewset's docstring is its description in the schema.
    parser_classes = parsers.JSON
    permission_classes = [ActionPermission]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is being built: no user to scope by
            return self.serializer_class.Meta.model.objects.none()
        return self.scoped(self.request.user)

    def _respond(self, obj, code=status.HTTP_200_OK):
        """``obj`` as the list shows it (scoped and prefetched for the user)."""
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data, status=code)

    def _validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class _EditableViewSet(mixins.UpdateModelMixin, _ViewSet):
    pass


class _AudienceObjectViewSet(_EditableViewSet):
    # Policies and courses: found by key; saved with their audience by ``service``
    # (services.save_policy_document or save_course: user, fields, instance=None).
    filter_backends = []
    lookup_field = "key"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,60}"
    service = None

    def create(self, request, *args, **kwargs):
        fields = dict(self._validated(self.get_serializer_class()))
        return self._respond(type(self).service(request.user, fields), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        return self._respond(type(self).service(request.user, fields, instance))


# --- Policies -------------------------------------------------------------------------------------------


VERSION_QUERY = OpenApiParameter(
    "version",
    {"type": "integer", "minimum": 0, "maximum": 999_999_999},
    description=_("A published version's number; the one in force by default."),
)


NUMBER_PATH = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("Version number."))


NOTHING_IN_FORCE = OpenApiResponse(description=_("Nothing to act on: no draft, or nothing in force."))


@_documented(
    PolicyDocumentSerializer,
    _("Policy documents meant for me (all of them for policy managers)"),
    _("One policy: the version in force, the versions and my acknowledgement"),
    _("Create a policy document (policy managers)"),
    _("Change a policy document (policy managers)"),
)
class PolicyDocumentViewSet(_AudienceObjectViewSet):
    """Usage rules, prompt guidelines and data-handling policies, in versions: one in force,
    earlier ones superseded but readable. People acknowledge the version in force."""

    serializer_class = PolicyDocumentSerializer
    service = services.save_policy_document
    read_permission = "governance.view_policydocument"
    action_permissions = {
        **dict.fromkeys(("create", "update", "partial_update", "draft", "publish"), "governance.manage_policy"),
        "acknowledgements": "governance.view_policyacknowledgement",
    }

    def scoped(self, user):
        manager = services.can_manage_policies(user)
        versions = PolicyVersion.objects.order_by("-number").prefetch_related(
            Prefetch("acknowledgements", queryset=PolicyAcknowledgement.objects.filter(user=user), to_attr="mine")
        )
        if not manager:
            versions = versions.exclude(status=PolicyVersionStatus.DRAFT)
        figures = self.action == "acknowledgements" and user.has_perm("governance.view_policyacknowledgement")
        documents = PolicyDocument.objects.all() if manager or figures else PolicyDocument.objects.applying_to(user)
        return documents.prefetch_related(Prefetch("versions", queryset=versions), "departments", "roles")

    @extend_schema(
        summary=_("Write the next version as a draft (replaces the text of an existing draft)"),
        request=PolicyDraftSerializer,
        responses={200: PolicyVersionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def draft(self, request, key=None):
        document = self.get_object()
        data = self._validated(PolicyDraftSerializer)
        version = services.save_draft_version(document, request.user, **data)
        return Response(PolicyVersionSerializer(version).data)

    @extend_schema(
        summary=_("Put the draft in force; everyone it applies to is asked to acknowledge it"),
        request=None,
        responses={200: PolicyDocumentSerializer, 400: NOTHING_IN_FORCE, **DETAIL_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, key=None):
        document = self.get_object()
        draft = document.versions.filter(status=PolicyVersionStatus.DRAFT).first()
        if draft is None:
            raise ValidationError({"version": [_("There is no draft to publish; save one first.")]})
        services.publish_version(draft, request.user)
        return self._respond(document)

    @extend_schema(
        summary=_("Acknowledge the version in force (acknowledging again keeps the first record)"),
        request=None,
        responses={200: PolicyDocumentSerializer, 400: NOTHING_IN_FORCE, **DETAIL_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, key=None):
        document = self.get_object()
        if not document.applies_to(request.user):
            raise PermissionDenied(_("This policy is not meant for you."))
        version = version_in_force(document)
        if version is None:
            raise ValidationError({"version": [_("No version of this policy is in force yet.")]})
        services.acknowledge(version, request.user)
        return self._respond(document)

    @extend_schema(
        summary=_("Who acknowledged a version: rates by department and the people still missing"),
        parameters=[VERSION_QUERY],
        responses={200: AcknowledgementFiguresSerializer, 400: ERRORS[400], **DETAIL_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def acknowledgements(self, request, key=None):
        document = self.get_object()
        number = request.query_params.get("version")
        if number:
            if not (number.isascii() and number.isdigit() and len(number) < 10):
                raise ValidationError({"version": [_("Give a version number.")]})
            version = document.versions.exclude(status=PolicyVersionStatus.DRAFT).filter(number=int(number)).first()
            if version is None:
                raise Http404
        else:
            version = services.in_force(document)
        figures = {"number": None, "rates": [], "not_acknowledged": []}
        if version is not None:
            figures["number"], figures["rates"] = version.number, services.acknowledgement_rates(version)
            figures["not_acknowledged"] = services.not_acknowledged(version).order_by("department__name", "username")
        return Response(AcknowledgementFiguresSerializer(figures).data)

    @extend_schema(
        summary=_("One version of a policy (superseded ones stay readable; drafts for managers)"),
        parameters=[NUMBER_PATH],
        responses={200: PolicyVersionSerializer, 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]{1,9})")
    def policy_version(self, request, key=None, number=None):
        document = self.get_object()
        found = next((v for v in document.versions.all() if v.number == int(number)), None)
        if found is None:
            raise Http404
        return Response(PolicyVersionSerializer(found).data)

    @extend_schema(
        summary=_("The versions in force I must still acknowledge, soonest due first"),
        responses={200: PendingAcknowledgementSerializer(many=True), 403: ERRORS[403]},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def pending(self, request):
        versions = services.pending_acknowledgements(request.user)
        return Response(PendingAcknowledgementSerializer(versions, many=True).data)


# --- Training -------------------------------------------------------------------------------------------


@_documented(
    TrainingCourseSerializer,
    _("Training courses meant for me (all of them for training managers)"),
    _("One training course, with my status"),
    _("Create a training course (training managers)"),
    _("Change a training course (training managers)"),
)
class TrainingCourseViewSet(_AudienceObjectViewSet):
    """Training courses, with the user's own completion status."""

    serializer_class = TrainingCourseSerializer
    service = services.save_course
    read_permission = "governance.view_trainingcourse"
    action_permissions = {
        **dict.fromkeys(("create", "update", "partial_update"), "governance.manage_training"),
        "rates": "governance.view_trainingcompletion",
    }

    def scoped(self, user):
        figures = self.action == "rates" and user.has_perm("governance.view_trainingcompletion")
        everything = user.has_perm("governance.manage_training") or figures
        courses = TrainingCourse.objects.all() if everything else TrainingCourse.objects.applying_to(user)
        longest_valid = (F("expires_on").desc(nulls_first=True), "-completed_on")
        mine = TrainingCompletion.objects.filter(user=user).order_by(*longest_valid)
        return courses.prefetch_related(Prefetch("completions", queryset=mine, to_attr="mine"), "departments", "roles")

    @extend_schema(
        summary=_("Who of the course's audience holds a valid completion today, by department"),
        responses={200: CompletionRatesSerializer, **DETAIL_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def rates(self, request, key=None):
        course = self.get_object()
        today = timezone.localdate()
        payload = {"on": today, "rates": services.completion_rates(course, today)}
        return Response(CompletionRatesSerializer(payload).data)


@extend_schema_view(
    list=extend_schema(summary=_("Training completions: mine (everyone's for holders of the figures)")),
    retrieve=extend_schema(
        summary=_("One training completion"), responses={200: TrainingCompletionSerializer, 404: ERRORS[404]}
    ),
    create=extend_schema(
        summary=_("Record a completion: my own with evidence (multipart), or anyone's for training managers"),
        request=CompletionCreateSerializer,
        responses={201: TrainingCompletionSerializer, **ERRORS},
    ),
)
class TrainingCompletionViewSet(_ViewSet):
    """Training completions: people report their own (with evidence); training managers
    record and remove anyone's."""

    parser_classes = parsers.JSON_OR_UPLOAD
    serializer_class = TrainingCompletionSerializer
    read_permission = "governance.view_trainingcourse"
    action_permissions = {"create": None, "remove": "governance.manage_training"}
    filter_backends = [StrictFilterBackend]
    filterset_class = CompletionFilterSet

    def scoped(self, user):
        completions = TrainingCompletion.objects.select_related("course", "user__department", "recorded_by")
        if user.has_perm("governance.view_trainingcompletion") or user.has_perm("governance.manage_training"):
            return completions
        return completions.filter(user=user)

    def create(self, request, *args, **kwargs):
        user = request.user
        if not (user.has_perm("governance.add_trainingcompletion") or user.has_perm("governance.manage_training")):
            raise PermissionDenied
        data = dict(self._validated(CompletionCreateSerializer))  # person, completed_on, evidence, note
        completion = services.record_completion(data.pop("course"), user, **data)
        return self._respond(completion, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Remove a wrong completion, with a reason (training managers; used instead of DELETE)"),
        description=_(
            "There is no DELETE: a DELETE body is not reliably passed on, and a reason in the query "
            "string would end up in access logs. The reason is kept in the audit trail."
        ),
        request=RemovalReasonSerializer,
        responses={204: None, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def remove(self, request, pk=None):
        completion = self.get_object()
        reason = self._validated(RemovalReasonSerializer)["reason"]
        services.remove_completion(completion, request.user, reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Prompt library ---------------------------------------------------------------------------------------


DECISION_RESPONSES = {
    200: PromptTemplateSerializer,
    400: OpenApiResponse(description=_("Not possible in the prompt's current status.")),
    **DETAIL_ERRORS,
}


@_documented(
    PromptTemplateSerializer,
    _("The prompt library: approved prompts, my own, and (for reviewers) all others"),
    _("One prompt"),
    _("Share a prompt (a draft until a reviewer approves it)"),
    _("Change a prompt (an approved one goes back to draft unless a reviewer changes it)"),
)
class PromptTemplateViewSet(_EditableViewSet):
    """The shared prompt library: a prompt is shared as a draft and shown to all once a
    reviewer other than its owner approves it."""

    serializer_class = PromptTemplateSerializer
    read_permission = "governance.view_prompttemplate"
    action_permissions = {"create": "governance.add_prompttemplate"}
    filter_backends = [StrictFilterBackend]
    filterset_class = PromptTemplateFilterSet

    def scoped(self, user):
        mine = PromptRating.objects.filter(user=user)
        return (
            PromptTemplate.objects.visible_to(user)
            .select_related("owner", "approved_by")
            .prefetch_related(Prefetch("ratings", queryset=mine, to_attr="mine"))
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prompt = services.create_prompt(request.user, serializer.validated_data)
        return self._respond(prompt, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        prompt = self.get_object()
        if not services.can_edit_prompt(prompt, request.user):
            raise PermissionDenied
        serializer = self.get_serializer(prompt, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        return self._respond(services.update_prompt(prompt, request.user, serializer.validated_data))

    def _decide(self, request, decision):
        prompt = self.get_object()
        comment = self._validated(PromptDecisionSerializer).get("comment", "")
        return self._respond(services.decide_prompt(prompt, request.user, decision, comment))

    @extend_schema(
        summary=_("Approve a prompt, or restore a retired one (reviewers; never one's own)"),
        request=PromptDecisionSerializer,
        responses=DECISION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, "approve")

    @extend_schema(
        summary=_("Retire a prompt (reviewers, or its owner)"),
        request=PromptDecisionSerializer,
        responses=DECISION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self._decide(request, "retire")

    @extend_schema(
        summary=_("Fill an approved prompt's placeholders; counts one use"),
        request=FillSerializer,
        responses={200: FilledPromptSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def fill(self, request, pk=None):
        prompt = self.get_object()
        values = self._validated(FillSerializer)["values"]
        usage_count = services.record_prompt_use(prompt, request.user)
        text = prompt.fill(values)
        return Response(FilledPromptSerializer({"text": text, "usage_count": usage_count}).data)

    @extend_schema(
        summary=_("Rate an approved prompt, one to five stars (rating again replaces my rating)"),
        request=MyRatingSerializer,
        responses={200: PromptTemplateSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        prompt = self.get_object()
        data = self._validated(MyRatingSerializer)
        rated = services.rate_prompt(prompt, request.user, data["stars"], data.get("comment", ""))
        return self._respond(rated)
