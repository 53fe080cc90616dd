"""The vendor-facing pages: reached only through a signed assessment link."""

from django.urls import path

from vendors import assessment_views

app_name = "vendor-portal"

urlpatterns = [
    path("questionnaire/<str:token>/", assessment_views.VendorAssessmentView.as_view(), name="assessment"),
]
