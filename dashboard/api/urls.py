from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from dashboard.api import adoption
from dashboard.api import exports as dashboard_exports
from dashboard.api.tasks import TaskViewSet
from governance.api import exports as governance_exports
from governance.api.views import (
    ApprovalStageViewSet,
    AuditEventViewSet,
    ClassificationLevelViewSet,
    ClassificationRuleViewSet,
    FindingViewSet,
    NotificationViewSet,
    PolicyExceptionViewSet,
    RecommendationView,
    ReminderViewSet,
    UseCaseReviewViewSet,
)
from governance.education.api.views import (
    PolicyDocumentViewSet,
    PromptTemplateViewSet,
    TrainingCompletionViewSet,
    TrainingCourseViewSet,
)
from imports.api.views import ImportViewSet
from incidents.api.views import IncidentActionViewSet, IncidentDeadlineViewSet, IncidentViewSet
from portal.api import schema as _schema_extensions  # noqa: F401 - registers the decimal field extension
from portal.api.tokens import ApiTokenViewSet
from portal.api.views import CurrentUserView, DepartmentViewSet, not_found
from usecases.api import exports as usecase_exports
from usecases.api.comments import UseCaseCommentViewSet
from usecases.api.roadmap import (
    CostSettingsView,
    ExchangeRateViewSet,
    OrganisationEconomicsView,
    OrganisationRoadmapView,
)
from usecases.api.views import UseCaseViewSet
from vendors.api import exports as vendor_exports
from vendors.api.views import (
    AIModelViewSet,
    AssessmentViewSet,
    LicenceViewSet,
    QuestionnaireTemplateViewSet,
    TemplateVersionViewSet,
    VendorViewSet,
)

router = DefaultRouter()
# JSON only: no ".json" twin of every route (the extra actions do not take a format argument).
router.include_format_suffixes = False
router.register("use-cases", UseCaseViewSet, basename="use-case")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
router.register("tokens", ApiTokenViewSet, basename="token")
router.register("departments", DepartmentViewSet, basename="department")
router.register("vendors", VendorViewSet, basename="vendor")
router.register("ai-models", AIModelViewSet, basename="ai-model")
router.register("licences", LicenceViewSet, basename="licence")
router.register("questionnaire-templates", QuestionnaireTemplateViewSet, basename="questionnaire-template")
router.register("template-versions", TemplateVersionViewSet, basename="template-version")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("approval-stages", ApprovalStageViewSet, basename="approval-stage")
router.register("findings", FindingViewSet, basename="finding")
router.register("policy-exceptions", PolicyExceptionViewSet, basename="policy-exception")
router.register("use-case-reviews", UseCaseReviewViewSet, basename="use-case-review")
router.register("classification-levels", ClassificationLevelViewSet, basename="classification-level")
router.register("classification-rules", ClassificationRuleViewSet, basename="classification-rule")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("reminders", ReminderViewSet, basename="reminder")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("policies", PolicyDocumentViewSet, basename="policy")
router.register("training-courses", TrainingCourseViewSet, basename="training-course")
router.register("training-completions", TrainingCompletionViewSet, basename="training-completion")
router.register("prompt-templates", PromptTemplateViewSet, basename="prompt-template")
router.register("tasks", TaskViewSet, basename="task")
router.register("imports", ImportViewSet, basename="import")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("incident-deadlines", IncidentDeadlineViewSet, basename="incident-deadline")
router.register("incident-actions", IncidentActionViewSet, basename="incident-action")

# Every export a page offers, for tokens too (portal.api.exports.ExportView): the page's file, filters and scope.
_EXPORTS = [
    ("use-cases/export", "use-case-export", usecase_exports.VIEWS),
    ("vendors/export", "vendor-export", vendor_exports.VIEWS),
    ("audit-events/export", "audit-event-export", governance_exports.VIEWS),
    # Any table name reaches the view, so an unknown one is a JSON 404 (not a redirect to a slash).
    ("adoption/export/<str:table>", "adoption-export", dashboard_exports.dashboard_views()),
]

app_name = "api"
urlpatterns = [
    *(
        path(f"{route}.{fmt}", view.as_view(), name=f"{name}-{fmt}")
        for route, name, views in _EXPORTS
        for fmt, view in views.items()
    ),
    path("adoption/summary/", adoption.SummaryView.as_view(), name="adoption-summary"),
    path("adoption/approvals/", adoption.ApprovalsView.as_view(), name="adoption-approvals"),
    path("adoption/vendors/", adoption.VendorsView.as_view(), name="adoption-vendors"),
    path("adoption/cost-value/", adoption.CostValueView.as_view(), name="adoption-cost-value"),
    path("adoption/education/", adoption.EducationView.as_view(), name="adoption-education"),
    path("adoption/trend/", adoption.TrendView.as_view(), name="adoption-trend"),
    path("adoption/incidents/", adoption.IncidentsView.as_view(), name="adoption-incidents"),
    path("me/", CurrentUserView.as_view(), name="me"),
    path("recommendations/", RecommendationView.as_view(), name="recommendation"),
    path("roadmap/", OrganisationRoadmapView.as_view(), name="roadmap"),
    path("roadmap/economics/", OrganisationEconomicsView.as_view(), name="roadmap-economics"),
    path("cost-settings/", CostSettingsView.as_view(), name="cost-settings"),
    # The conversation on a use case, under the use case's own path (not a router collection).
    re_path(
        r"^use-cases/(?P<reference>[A-Za-z0-9-]+)/comments/$",
        UseCaseCommentViewSet.as_view({"get": "list", "post": "create"}),
        name="use-case-comment-list",
    ),
    re_path(
        r"^use-cases/(?P<reference>[A-Za-z0-9-]+)/comments/(?P<comment_id>[0-9]+)/$",
        UseCaseCommentViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="use-case-comment-detail",
    ),
    *router.urls,
    # Anything else under the API (an id the routes do not accept, a mistyped path, a line
    # break: hence [\s\S], not .) is a JSON 404, not the HTML page of the site.
    re_path(r"^[\s\S]*/$", not_found),
]
