"""``/api/v1/tasks/``: the signed-in person's tasks (dashboard.worklist), read-only.

Everyone signed in may ask; the list is always the asker's own, never anyone else's.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers as drf
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dashboard import worklist
from dashboard.choices import TaskKind, TaskSubject
from portal.api import parsers
from portal.api import strict as serializers
from portal.api.pagination import StandardPagination
from portal.api.responses import ERRORS


class TaskSerializer(drf.Serializer):
    kind = drf.ChoiceField(choices=TaskKind.choices, help_text=gettext_lazy("What the task asks (a stable code)."))
    kind_label = drf.CharField(help_text=gettext_lazy("The kind, in the reader's language."))
    title = drf.CharField(help_text=gettext_lazy("The object the task is about."))
    detail = drf.CharField(allow_blank=True, help_text=gettext_lazy("More about it (stage and group, KPIs, ...)."))
    subject_type = drf.ChoiceField(choices=TaskSubject.choices)
    subject_id = drf.IntegerField(allow_null=True, help_text=gettext_lazy("Id of the object (none for a summary)."))
    url = drf.CharField(help_text=gettext_lazy("The page (and its section) where the task is done."))
    due_on = drf.DateField(allow_null=True)
    overdue = drf.BooleanField()
    days_left = drf.IntegerField(allow_null=True, help_text=gettext_lazy("Negative when overdue."))
    assigned_to_me = drf.BooleanField()
    on_behalf_of = drf.CharField(
        allow_blank=True, help_text=gettext_lazy("The person this is done for (a delegation or an assignment).")
    )


class TaskQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=TaskKind.choices, required=False, help_text=gettext_lazy("Only the tasks of this kind.")
    )


class TaskCountSerializer(drf.Serializer):
    kind = drf.ChoiceField(choices=TaskKind.choices)
    label = drf.CharField()
    count = drf.IntegerField()


class TaskCountsSerializer(drf.Serializer):
    total = drf.IntegerField()
    by_kind = TaskCountSerializer(many=True, help_text=gettext_lazy("Only the kinds this person can have."))


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Your tasks, most urgent first"),
        parameters=[TaskQuerySerializer],
        responses={200: TaskSerializer(many=True), 400: ERRORS[400]},
    ),
)
class TaskViewSet(viewsets.GenericViewSet):
    """What the signed-in person must do now: overdue first, then what is assigned to them, then by due date."""

    parser_classes = parsers.JSON
    serializer_class = TaskSerializer
    pagination_class = StandardPagination
    filter_backends = []

    def list(self, request):
        query = {name: request.query_params[name] for name in ("kind",) if name in request.query_params}
        params = TaskQuerySerializer(data=query)
        params.is_valid(raise_exception=True)
        tasks = worklist.build(request.user, kind=params.validated_data.get("kind"))
        page = self.paginate_queryset(tasks)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("How many tasks you have, by kind"), responses={200: TaskCountsSerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def counts(self, request):
        counts = worklist.counts(request.user)
        by_kind = [{"kind": kind, "label": TaskKind(kind).label, "count": n} for kind, n in counts.items()]
        return Response(TaskCountsSerializer({"total": sum(counts.values()), "by_kind": by_kind}).data)
