from django.urls import path

import portal.converters  # noqa: F401 - registers <reference:...>
from usecases import views
from usecases.comments import views as comment_views

app_name = "usecases"

urlpatterns = [
    path("", views.UseCaseListView.as_view(), name="list"),
    path("export.csv", views.UseCaseExportView.as_view(), name="export"),
    path("export.xlsx", views.UseCaseExportView.as_view(format="xlsx"), name="export-xlsx"),
    path("new/", views.UseCaseCreateView.as_view(), name="create"),
    path("roadmap/", views.OrganisationRoadmapView.as_view(), name="organisation-roadmap"),
    path("roadmap/economics/", views.OrganisationEconomicsView.as_view(), name="organisation-economics"),
    path("<reference:reference>/", views.UseCaseDetailView.as_view(), name="detail"),
    path("<reference:reference>/edit/", views.UseCaseUpdateView.as_view(), name="update"),
    path("<reference:reference>/submit/", views.UseCaseTransitionView.as_view(action="submit"), name="submit"),
    path(
        "<reference:reference>/measurements/new/",
        views.KpiMeasurementCreateView.as_view(),
        name="record-measurement",
    ),
    path("<reference:reference>/withdraw/", views.UseCaseTransitionView.as_view(action="withdraw"), name="withdraw"),
    path("<reference:reference>/roadmap/", views.UseCaseRoadmapView.as_view(), name="roadmap"),
    path(
        "<reference:reference>/roadmap/advance/",
        views.UseCaseRoadmapActionView.as_view(action="advance"),
        name="roadmap-advance",
    ),
    path(
        "<reference:reference>/roadmap/go-live/",
        views.UseCaseRoadmapActionView.as_view(action="go_live"),
        name="roadmap-go-live",
    ),
    path(
        "<reference:reference>/roadmap/move-back/",
        views.UseCaseRoadmapActionView.as_view(action="move_back"),
        name="roadmap-move-back",
    ),
    path(
        "<reference:reference>/roadmap/retire/",
        views.UseCaseRoadmapActionView.as_view(action="retire"),
        name="roadmap-retire",
    ),
    path("<reference:reference>/roadmap/pilot/", views.TrialFormView.as_view(kind="closed_pilot"), name="pilot"),
    path("<reference:reference>/roadmap/poc/", views.TrialFormView.as_view(kind="open_poc"), name="poc"),
    path("<reference:reference>/roadmap/roles/", views.ModelRolesView.as_view(), name="model-roles"),
    path("<reference:reference>/economics/", views.UseCaseEconomicsView.as_view(), name="economics"),
    path("<reference:reference>/comments/", comment_views.CommentPostView.as_view(), name="comment-post"),
    path("<reference:reference>/comments/people/", comment_views.MentionPeopleView.as_view(), name="comment-people"),
    path("<reference:reference>/comments/<int:pk>/edit/", comment_views.CommentEditView.as_view(), name="comment-edit"),
    path(
        "<reference:reference>/comments/<int:pk>/delete/",
        comment_views.CommentDeleteView.as_view(),
        name="comment-delete",
    ),
]
