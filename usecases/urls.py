from django.urls import path

import portal.converters  # noqa: F401 - registers <reference:...>
from usecases import views

app_name = "usecases"

urlpatterns = [
    path("", views.UseCaseListView.as_view(), name="list"),
    path("export.csv", views.UseCaseExportView.as_view(), name="export"),
    path("new/", views.UseCaseCreateView.as_view(), name="create"),
    path("<reference:reference>/", views.UseCaseDetailView.as_view(), name="detail"),
    path("<reference:reference>/edit/", views.UseCaseUpdateView.as_view(), name="update"),
    path("<reference:reference>/submit/", views.UseCaseTransitionView.as_view(action="submit"), name="submit"),
    path(
        "<reference:reference>/measurements/new/",
        views.KpiMeasurementCreateView.as_view(),
        name="record-measurement",
    ),
    path("<reference:reference>/withdraw/", views.UseCaseTransitionView.as_view(action="withdraw"), name="withdraw"),
]
