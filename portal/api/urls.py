from django.urls import path
from rest_framework.routers import DefaultRouter

from portal.api.views import CurrentUserView, DepartmentViewSet
from usecases.api.views import UseCaseViewSet
from vendors.api.views import (
    AIModelViewSet,
    AssessmentViewSet,
    LicenceViewSet,
    QuestionnaireTemplateViewSet,
    TemplateVersionViewSet,
    VendorViewSet,
)

router = DefaultRouter()
router.register("use-cases", UseCaseViewSet, basename="use-case")
router.register("departments", DepartmentViewSet, basename="department")
router.register("vendors", VendorViewSet, basename="vendor")
router.register("ai-models", AIModelViewSet, basename="ai-model")
router.register("licences", LicenceViewSet, basename="licence")
router.register("questionnaire-templates", QuestionnaireTemplateViewSet, basename="questionnaire-template")
router.register("template-versions", TemplateVersionViewSet, basename="template-version")
router.register("assessments", AssessmentViewSet, basename="assessment")

app_name = "api"
urlpatterns = [path("me/", CurrentUserView.as_view(), name="me"), *router.urls]
