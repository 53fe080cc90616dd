from django.urls import path, register_converter

from usecases import views


class ReferenceConverter:
    """Reference codes such as UC-2026-0001; anything else is not a route (404)."""

    regex = "[A-Za-z0-9-]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReferenceConverter, "reference")

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
