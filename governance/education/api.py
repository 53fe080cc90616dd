"""Rules and education through the API: policy documents with their versions and
acknowledgements, training courses and completions, and the shared prompt library.

The serializers check the input; every write then goes through ``governance.education.services``,
which checks who may act and writes the audit event. Object lists are scoped in the queryset:
people see the policies and courses meant for them, their own completions and the prompts
``visible_to`` them; managers and the holders of the figures permissions see everything."""

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import F, Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from governance.choices import PolicyVersionStatus
from governance.education import markdown, services
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
from portal.api import strict as serializers
from portal.api.filters import StrictFilterBackend
from portal.api.permissions import ActionPermission
from portal.api.responses import ERRORS
from portal.api.serializers import UserSummarySerializer
from portal.filters import MAX_ID, IdChoiceFilter
from portal.models import Department
from portal.roles import Role

User = get_user_model()
# Paths of list actions that a document or course key would otherwise shadow.
RESERVED_KEYS = frozenset({"pending"})
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


# --- Shared serializers ---------------------------------------------------------------------------------


class AudienceSerializer(serializers.Serializer):
    """Who a policy or course is for: all staff, or some departments and/or roles."""

    all_staff = serializers.BooleanField(default=True)
    departments = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Department.objects.all(),
        pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        help_text=_("Department ids."),
    )
    roles = serializers.SlugRelatedField(
        many=True,
        required=False,
        slug_field="name",
        queryset=Group.objects.filter(name__in=Role.values),
        help_text=_("Role names: requester, reviewer, executive, governance_admin."),
    )


class AudienceObjectSerializer(serializers.ModelSerializer):
    """A policy document or course: an unchangeable key and an audience (written flat onto the row)."""

    audience = AudienceSerializer(source="*", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, self.Meta.model):
            self.fields["key"].required = False  # it cannot change

    def validate_key(self, value):
        if isinstance(self.instance, self.Meta.model) and value != self.instance.key:
            raise serializers.ValidationError(_("The key cannot be changed: links and reminders point at it."))
        if value in RESERVED_KEYS:
            raise serializers.ValidationError(_("This key is reserved; choose another."))
        return value

    def validate(self, attrs):
        instance = self.instance

        def final(name, empty):
            if name in attrs:
                return attrs[name]
            if instance is None:
                return empty
            value = getattr(instance, name)
            return list(value.all()) if hasattr(value, "all") else value

        if not final("all_staff", True) and not final("departments", []) and not final("roles", []):
            raise serializers.ValidationError(
                {"audience": [_("Choose all staff, or at least one department or role.")]}
            )
        return attrs


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


class DepartmentRateSerializer(serializers.Serializer):
    department_id = serializers.IntegerField(allow_null=True)
    department = serializers.CharField()
    total = serializers.IntegerField(help_text=_("People of the audience in the department."))
    done = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text=_("Percent, one decimal."))


class RemovalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text=_("Kept in the audit trail."))


class PromptDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


# --- Policies -------------------------------------------------------------------------------------------


class PolicyVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyVersion
        fields = ["number", "status", "published_at", "acknowledge_by", "change_summary"]


class PolicyVersionSerializer(serializers.ModelSerializer):
    html = serializers.SerializerMethodField(
        help_text=_("The text in the language of the request, rendered from Markdown with nothing that runs.")
    )

    class Meta:
        model = PolicyVersion
        fields = [*PolicyVersionSummarySerializer.Meta.fields, "body_ja", "body_en", "html"]

    def get_html(self, version) -> str:
        return str(markdown.render(version.body))


class MyAcknowledgementSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text=_("The version in force."))
    acknowledged = serializers.BooleanField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)


def _version_in_force(document):
    return next((v for v in document.versions.all() if v.status == PolicyVersionStatus.PUBLISHED), None)


class PolicyDocumentSerializer(AudienceObjectSerializer):
    title = serializers.CharField(read_only=True, help_text=_("In the language of the request."))
    in_force = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()
    my_acknowledgement = serializers.SerializerMethodField()

    class Meta:
        model = PolicyDocument
        fields = ["key", "kind", "title", "title_ja", "title_en", "audience", "requires_acknowledgement"]
        fields += ["acknowledge_within_days", "is_active", "in_force", "versions", "my_acknowledgement"]

    @extend_schema_field(PolicyVersionSerializer(allow_null=True))
    def get_in_force(self, document):
        version = _version_in_force(document)
        return None if version is None else PolicyVersionSerializer(version).data

    @extend_schema_field(PolicyVersionSummarySerializer(many=True, help_text=_("Newest first; drafts for managers.")))
    def get_versions(self, document):
        return PolicyVersionSummarySerializer(document.versions.all(), many=True).data

    @extend_schema_field(MyAcknowledgementSerializer(allow_null=True, help_text=_("null: nothing in force.")))
    def get_my_acknowledgement(self, document):
        version = _version_in_force(document)
        if version is None:
            return None
        at = version.mine[0].acknowledged_at if version.mine else None
        return MyAcknowledgementSerializer(
            {"number": version.number, "acknowledged": bool(at), "acknowledged_at": at}
        ).data


class PolicyDraftSerializer(serializers.Serializer):
    body_ja = serializers.CharField(max_length=100_000, help_text=_("Markdown."))
    body_en = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    change_summary = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PendingAcknowledgementSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="document.key")
    title = serializers.CharField(source="document.title")

    class Meta:
        model = PolicyVersion
        fields = ["key", "title", "number", "published_at", "acknowledge_by", "change_summary"]


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")
    department = serializers.CharField(source="department.name", default="")


class AcknowledgementFiguresSerializer(serializers.Serializer):
    number = serializers.IntegerField(allow_null=True, help_text=_("The version counted; null: nothing in force."))
    rates = DepartmentRateSerializer(many=True)
    not_acknowledged = PersonSerializer(many=True, help_text=_("People of the audience who have not acknowledged."))


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
        version = _version_in_force(document)
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


class CompletionStatusSerializer(serializers.Serializer):
    completed_on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    valid = serializers.BooleanField()


class TrainingCourseSerializer(AudienceObjectSerializer):
    title = serializers.CharField(read_only=True, help_text=_("In the language of the request."))
    description = serializers.CharField(read_only=True, help_text=_("In the language of the request."))
    my_status = serializers.SerializerMethodField()

    class Meta:
        model = TrainingCourse
        fields = ["key", "title", "title_ja", "title_en", "description", "description_ja", "description_en"]
        fields += ["validity_months", "required", "audience", "is_active", "my_status"]

    @extend_schema_field(
        CompletionStatusSerializer(allow_null=True, help_text=_("My longest-valid completion; null: none."))
    )
    def get_my_status(self, course):
        if not course.mine:
            return None
        best = course.mine[0]
        return CompletionStatusSerializer({**best.__dict__, "valid": best.is_valid}).data


class CompletionRatesSerializer(serializers.Serializer):
    on = serializers.DateField(help_text=_("The day the completions are valid on."))
    rates = DepartmentRateSerializer(many=True)


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


class TrainingCompletionSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="key", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    user = UserSummarySerializer(read_only=True)
    department = serializers.CharField(source="user.department.name", default="", read_only=True)
    valid = serializers.BooleanField(source="is_valid", read_only=True)
    has_evidence = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.__str__", read_only=True)

    class Meta:
        model = TrainingCompletion
        fields = ["id", "course", "course_title", "user", "department", "completed_on", "expires_on", "valid"]
        fields += ["source", "has_evidence", "note", "recorded_by", "created_at"]

    def get_has_evidence(self, completion) -> bool:
        return bool(completion.evidence)


class CompletionCreateSerializer(serializers.Serializer):
    course = serializers.SlugRelatedField(slug_field="key", queryset=TrainingCourse.objects.none())
    person = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_null=True,
        help_text=_("Whose training (training managers only); empty: yourself."),
    )
    completed_on = serializers.DateField()
    evidence = serializers.FileField(
        required=False,
        help_text=_(
            "Certificate or screenshot (PDF, image, text or Office file, at most 10 MB); "
            "required when you report your own training."
        ),
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # (none while the schema is built)
            courses = TrainingCourse.objects.all()
            if not request.user.has_perm("governance.manage_training"):
                courses = courses.applying_to(request.user)
            self.fields["course"].queryset = courses


class CompletionFilterSet(django_filters.FilterSet):
    course = django_filters.CharFilter(field_name="course__key", max_length=60, label=_("Course key"))
    user = IdChoiceFilter(queryset=User.objects.all(), label=_("User id"))

    class Meta:
        model = TrainingCompletion
        fields = []


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


class MyRatingSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True)


class PromptTemplateSerializer(serializers.ModelSerializer):
    owner = UserSummarySerializer(read_only=True)
    approved_by = UserSummarySerializer(read_only=True, allow_null=True)
    placeholders = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("The {{names}} in the prompt, in order.")
    )
    average_rating = serializers.FloatField(read_only=True, allow_null=True)
    my_rating = serializers.SerializerMethodField()

    class Meta:
        model = PromptTemplate
        fields = ["id", "title", "category", "style", "status", "body", "placeholders", "example_output", "notes"]
        fields += ["owner", "approved_by", "approved_at", "usage_count", "average_rating", "rating_count", "my_rating"]
        fields += ["created_at", "updated_at"]

    @extend_schema_field(MyRatingSerializer(allow_null=True))
    def get_my_rating(self, prompt):
        rating = prompt.mine[0] if getattr(prompt, "mine", None) else None
        return None if rating is None else MyRatingSerializer(rating).data


class FillSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=serializers.CharField(max_length=10_000, allow_blank=True, trim_whitespace=False),
        default=dict,
        help_text=_("{placeholder name: text}; placeholders not given are kept as {{name}}."),
    )

    def validate_values(self, values):
        if len(values) > 100:
            raise serializers.ValidationError(_("At most 100 placeholders."))
        return values


class FilledPromptSerializer(serializers.Serializer):
    text = serializers.CharField()
    usage_count = serializers.IntegerField()


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
