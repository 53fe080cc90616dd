"""The adoption API: read-only figures for executives, reviewers and admins (requesters get
403), by session or personal token. The figures come from ``dashboard.adoption``."""

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard import adoption
from incidents import figures as incident_figures
from portal.api.filters import make_strict
from portal.api.permissions import ActionPermission
from portal.api.responses import ERRORS
from portal.filters import MAX_ID
from usecases.api.serializers import RoiPeriodSerializer
from usecases.choices import UseCaseCategory
from usecases.models import UseCase
from usecases.returns import ROI_REASONS

READ_PERMISSION = "usecases.view_all_usecases"  # executives, reviewers and admins, not requesters
MONEY = {"max_digits": 20, "decimal_places": 2}
PERCENT = {"max_digits": 9, "decimal_places": 1, "allow_null": True}
DEFINED = adoption.DEFINITIONS


class CountSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text=DEFINED["total"])
    by_status = CountSerializer(many=True, help_text=DEFINED["by_status"])
    by_roadmap_step = CountSerializer(many=True, help_text=DEFINED["by_roadmap_step"])
    by_category = CountSerializer(many=True, help_text=DEFINED["by_category"])
    by_department = CountSerializer(many=True, help_text=DEFINED["by_department"])
    by_style = CountSerializer(many=True, help_text=DEFINED["by_style"])
    by_risk_tier = CountSerializer(many=True, help_text=DEFINED["by_risk_tier"])


class AgeingSerializer(serializers.Serializer):
    bucket = serializers.CharField(help_text=gettext_lazy("Days since the stage started."))
    count = serializers.IntegerField()


class GroupPendingSerializer(serializers.Serializer):
    group = serializers.CharField()
    stage = serializers.CharField(
        help_text=gettext_lazy("The approval stage the group decides, in the reader's language.")
    )
    pending = serializers.IntegerField()
    overdue = serializers.IntegerField()


class ApprovalsSerializer(serializers.Serializer):
    pending = serializers.IntegerField(help_text=DEFINED["pending"])
    overdue = serializers.IntegerField(help_text=DEFINED["pending"])
    ageing = AgeingSerializer(many=True, help_text=DEFINED["ageing"])
    by_group = GroupPendingSerializer(many=True, help_text=DEFINED["pending"])
    median_days_to_decision = serializers.DecimalField(help_text=DEFINED["median_days_to_decision"], **PERCENT)


class ReassessmentSerializer(serializers.Serializer):
    overdue = serializers.IntegerField()
    within_30_days = serializers.IntegerField()
    within_60_days = serializers.IntegerField()
    within_90_days = serializers.IntegerField()


class VendorsSerializer(serializers.Serializer):
    by_status = CountSerializer(many=True, help_text=DEFINED["vendors"])
    by_approved_level = CountSerializer(many=True, help_text=DEFINED["vendors"])
    reassessment_due = ReassessmentSerializer(help_text=DEFINED["vendors"])


class CostTotalSerializer(serializers.Serializer):
    closed = serializers.DecimalField(help_text=DEFINED["spend"], **MONEY)
    self_hosted = serializers.DecimalField(help_text=DEFINED["spend"], **MONEY)
    other = serializers.DecimalField(help_text=DEFINED["spend"], **MONEY)
    monthly_total = serializers.DecimalField(help_text=DEFINED["spend"], **MONEY)
    use_cases = serializers.IntegerField(help_text=gettext_lazy("Live use cases (approved, piloting, in production)."))
    without_benefit = serializers.IntegerField(help_text=DEFINED["without_benefit"])
    benefit = serializers.DecimalField(help_text=DEFINED["benefit"], **MONEY)
    cost_over_months = serializers.DecimalField(help_text=DEFINED["cost_over_months"], **MONEY)
    roi_percent = serializers.DecimalField(help_text=DEFINED["roi_percent"], **PERCENT)
    roi_reason = serializers.ChoiceField(choices=list(ROI_REASONS), allow_null=True, help_text=DEFINED["roi_reason"])
    roi_reason_text = serializers.CharField(
        allow_blank=True, help_text=gettext_lazy("The reason, in the reader's language (empty with an ROI).")
    )


class DepartmentCostSerializer(CostTotalSerializer):
    department = serializers.IntegerField()
    department_name = serializers.CharField()
    not_estimated = serializers.IntegerField(
        help_text=gettext_lazy("Live use cases whose running cost has not been estimated yet (counted as zero).")
    )


class KpiAttainmentSerializer(serializers.Serializer):
    measured = serializers.IntegerField(help_text=DEFINED["kpis"])
    attained = serializers.IntegerField(help_text=DEFINED["kpis"])
    attainment_percent = serializers.DecimalField(help_text=DEFINED["kpis"], **PERCENT)


class CostValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    period = RoiPeriodSerializer(help_text=DEFINED["roi_percent"])
    total = CostTotalSerializer()
    by_department = DepartmentCostSerializer(many=True)
    kpis = KpiAttainmentSerializer()


class RateSerializer(serializers.Serializer):
    department_id = serializers.IntegerField(allow_null=True)
    department = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class PolicyRatesSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    by_department = RateSerializer(many=True)


class CourseRatesSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    by_department = RateSerializer(many=True)


class EducationSerializer(serializers.Serializer):
    policies = PolicyRatesSerializer(many=True, help_text=DEFINED["education"])
    courses = CourseRatesSerializer(many=True, help_text=DEFINED["education"])


class DepartmentCountSerializer(serializers.Serializer):
    department = serializers.IntegerField(allow_null=True)
    department_name = serializers.CharField()
    count = serializers.IntegerField()


class IncidentFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text=incident_figures.DEFINITION)
    by_severity = CountSerializer(many=True)
    by_category = CountSerializer(many=True)
    by_state = CountSerializer(many=True)
    by_department = DepartmentCountSerializer(many=True)
    contained = serializers.IntegerField()
    average_hours_to_contain = serializers.FloatField(allow_null=True)
    overdue_deadlines = serializers.IntegerField()


class TrendMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text=DEFINED["trend"])
    created = serializers.IntegerField()
    approved = serializers.IntegerField()
    in_production = serializers.IntegerField()
    retired = serializers.IntegerField()


FILTERS = [
    OpenApiParameter(
        "department",
        {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
        style="form",
        explode=True,
        description=gettext_lazy("Department id (repeat for several)."),
    ),
    OpenApiParameter(
        "category",
        str,
        many=True,
        enum=UseCaseCategory.values,
        description=gettext_lazy("Use-case category (repeat for several)."),
    ),
    OpenApiParameter("since", OpenApiTypes.DATE, description=gettext_lazy("Registered on or after (YYYY-MM-DD).")),
    OpenApiParameter("until", OpenApiTypes.DATE, description=gettext_lazy("Registered on or before (YYYY-MM-DD).")),
]


class AdoptionView(APIView):
    permission_classes = [ActionPermission]
    read_permission = READ_PERMISSION
    action_permissions = {}

    def use_cases(self, request):
        filterset = adoption.AdoptionFilterSet(request.query_params, queryset=UseCase.objects.visible_to(request.user))
        make_strict(filterset.form)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset


def _adoption_view(name, serializer, summary, figures, many=False):
    """One read-only endpoint: its serializer, documentation and figures."""

    class View(AdoptionView):
        @extend_schema(
            summary=summary,
            parameters=FILTERS,
            responses={200: serializer(many=many), 400: ERRORS[400], 403: ERRORS[403]},
        )
        def get(self, request):
            data = figures(self, request)
            return Response(serializer(data, many=many).data)

    View.__name__ = View.__qualname__ = name
    return View


SummaryView = _adoption_view(
    "AdoptionSummaryView",
    SummarySerializer,
    gettext_lazy("Use cases by status, roadmap step, category, department, style and risk tier"),
    lambda view, request: adoption.summary(view.use_cases(request).qs),
)
ApprovalsView = _adoption_view(
    "AdoptionApprovalsView",
    ApprovalsSerializer,
    gettext_lazy("Pending approval stages, their age, overdue ones by group, median days to a decision"),
    lambda view, request: adoption.approvals(view.use_cases(request).qs),
)
VendorsView = _adoption_view(
    "AdoptionVendorsView",
    VendorsSerializer,
    gettext_lazy("Vendors by status and approved level; reassessments due in 30, 60 and 90 days (organisation-wide)"),
    lambda view, request: (view.use_cases(request), adoption.vendors())[1],
)
CostValueView = _adoption_view(
    "AdoptionCostValueView",
    CostValueSerializer,
    gettext_lazy("Estimated monthly spend (closed and self-hosted) by department, benefits, ROI, KPI attainment"),
    lambda view, request: adoption.cost_value(view.use_cases(request).qs),
)
EducationView = _adoption_view(
    "AdoptionEducationView",
    EducationSerializer,
    gettext_lazy("Policy acknowledgement and training completion by department (only the department filter applies)"),
    lambda view, request: view.use_cases(request).education(),
)


TrendView = _adoption_view(
    "AdoptionTrendView",
    TrendMonthSerializer,
    gettext_lazy("Per month: use cases created, approved, gone live and retired"),
    lambda view, request: view.use_cases(request).trend(),
    many=True,
)


def _incidents(view, request):
    """Incident figures follow the department filter and the dates (when reported); not the category."""
    filterset = view.use_cases(request)
    data = filterset.form.cleaned_data
    return incident_figures.incident_figures(filterset.department_ids(), data.get("since"), data.get("until"))


IncidentsView = _adoption_view(
    "AdoptionIncidentsView",
    IncidentFiguresSerializer,
    gettext_lazy("Incidents by severity, category, state and department, and the average time to contain"),
    _incidents,
)
