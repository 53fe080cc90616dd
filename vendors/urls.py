from django.urls import path

import portal.converters  # noqa: F401 - registers <reference:...>
from vendors import assessment_views, views

app_name = "vendors"

urlpatterns = [
    path("", views.VendorListView.as_view(), name="list"),
    path("export.csv", views.VendorExportView.as_view(), name="export"),
    path("export.xlsx", views.VendorExportView.as_view(format="xlsx"), name="export-xlsx"),
    path("new/", views.VendorCreateView.as_view(), name="create"),
    path("<int:pk>/", views.VendorDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.VendorUpdateView.as_view(), name="update"),
    path("<int:pk>/send-assessment/", assessment_views.AssessmentSendView.as_view(), name="send-assessment"),
    path("models/", views.AIModelListView.as_view(), name="model-list"),
    path("models/new/", views.AIModelCreateView.as_view(), name="model-create"),
    path("models/<int:pk>/", views.AIModelDetailView.as_view(), name="model-detail"),
    path("models/<int:pk>/edit/", views.AIModelUpdateView.as_view(), name="model-update"),
    path("licences/", views.LicenceListView.as_view(), name="licence-list"),
    path("templates/", assessment_views.TemplateListView.as_view(), name="template-list"),
    path(
        "templates/<int:pk>/new-version/",
        assessment_views.TemplateActionView.as_view(action="new-version"),
        name="template-new-version",
    ),
    path("template-versions/<int:pk>/", assessment_views.TemplateVersionView.as_view(), name="template-version"),
    path(
        "template-versions/<int:pk>/publish/",
        assessment_views.TemplateActionView.as_view(action="publish"),
        name="template-publish",
    ),
    path(
        "template-versions/<int:pk>/sections/",
        assessment_views.TemplateActionView.as_view(action="add-section"),
        name="template-add-section",
    ),
    path("sections/<int:section>/questions/new/", assessment_views.QuestionFormView.as_view(), name="question-create"),
    path(
        "sections/<int:section>/questions/<int:pk>/",
        assessment_views.QuestionFormView.as_view(),
        name="question-update",
    ),
    path(
        "questions/<int:pk>/move-up/",
        assessment_views.TemplateActionView.as_view(action="move-up"),
        name="question-move-up",
    ),
    path(
        "questions/<int:pk>/move-down/",
        assessment_views.TemplateActionView.as_view(action="move-down"),
        name="question-move-down",
    ),
    path(
        "questions/<int:pk>/delete/",
        assessment_views.TemplateActionView.as_view(action="delete-question"),
        name="question-delete",
    ),
    path(
        "assessments/<reference:reference>/", assessment_views.AssessmentDetailView.as_view(), name="assessment-detail"
    ),
    path(
        "assessments/<reference:reference>/decide/",
        assessment_views.AssessmentActionView.as_view(action="decide"),
        name="assessment-decide",
    ),
    path(
        "assessments/<reference:reference>/revoke/",
        assessment_views.AssessmentActionView.as_view(action="revoke"),
        name="assessment-revoke",
    ),
    path(
        "assessments/<reference:reference>/reissue/",
        assessment_views.AssessmentActionView.as_view(action="reissue"),
        name="assessment-reissue",
    ),
    path("evidence/<int:pk>/", assessment_views.EvidenceDownloadView.as_view(), name="evidence"),
]
