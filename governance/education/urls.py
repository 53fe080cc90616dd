"""Included in governance/urls.py (namespace ``governance``)."""

from django.urls import path

from governance.education import views

urlpatterns = [
    path("policies/", views.PolicyListView.as_view(), name="policy-list"),
    path("policies/new/", views.PolicyFormView.as_view(), name="policy-create"),
    path("policies/<slug:key>/", views.PolicyDetailView.as_view(), name="policy-detail"),
    path("policies/<slug:key>/edit/", views.PolicyFormView.as_view(), name="policy-update"),
    path("policies/<slug:key>/draft/", views.PolicyDraftView.as_view(), name="policy-draft"),
    path("policies/<slug:key>/acknowledge/", views.PolicyAcknowledgeView.as_view(), name="policy-acknowledge"),
    path(
        "policies/<slug:key>/acknowledgements/",
        views.PolicyAcknowledgementsView.as_view(),
        name="policy-acknowledgements",
    ),
    path("policies/<slug:key>/v/<int:number>/", views.PolicyDetailView.as_view(), name="policy-version"),
    path("policies/<slug:key>/v/<int:number>/publish/", views.PolicyPublishView.as_view(), name="policy-publish"),
    path("training/", views.CourseListView.as_view(), name="course-list"),
    path("training/new/", views.CourseFormView.as_view(), name="course-create"),
    path("training/<slug:key>/", views.CourseDetailView.as_view(), name="course-detail"),
    path("training/<slug:key>/edit/", views.CourseFormView.as_view(), name="course-update"),
    path("training/completions/<int:pk>/evidence/", views.CompletionEvidenceView.as_view(), name="completion-evidence"),
    path("training/completions/<int:pk>/remove/", views.CompletionRemoveView.as_view(), name="completion-remove"),
    path("prompts/", views.PromptListView.as_view(), name="prompt-list"),
    path("prompts/new/", views.PromptFormView.as_view(), name="prompt-create"),
    path("prompts/<int:pk>/", views.PromptDetailView.as_view(), name="prompt-detail"),
    path("prompts/<int:pk>/edit/", views.PromptFormView.as_view(), name="prompt-update"),
    path("prompts/<int:pk>/approve/", views.PromptDecideView.as_view(action="approve"), name="prompt-approve"),
    path("prompts/<int:pk>/retire/", views.PromptDecideView.as_view(action="retire"), name="prompt-retire"),
    path("prompts/<int:pk>/use/", views.PromptUseView.as_view(), name="prompt-use"),
    path("prompts/<int:pk>/rate/", views.PromptRateView.as_view(), name="prompt-rate"),
]
