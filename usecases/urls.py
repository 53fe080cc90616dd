from django.urls import path

from usecases import views

app_name = "usecases"

urlpatterns = [
    path("", views.UseCaseListView.as_view(), name="list"),
    path("export.csv", views.UseCaseExportView.as_view(), name="export"),
    path("new/", views.UseCaseCreateView.as_view(), name="create"),
    path("<str:reference>/", views.UseCaseDetailView.as_view(), name="detail"),
    path("<str:reference>/edit/", views.UseCaseUpdateView.as_view(), name="update"),
    path("<str:reference>/submit/", views.UseCaseTransitionView.as_view(action="submit"), name="submit"),
    path("<str:reference>/withdraw/", views.UseCaseTransitionView.as_view(action="withdraw"), name="withdraw"),
]
