from django.urls import path

import portal.converters  # noqa: F401 - registers <reference:...>
from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.IncidentListView.as_view(), name="list"),
    path("report/", views.ReportView.as_view(), name="report"),
    path("export.<str:fmt>", views.IncidentExportView.as_view(), name="export"),
    path("evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence"),
    path("usecases/<reference:reference>/lift/", views.LiftSuspensionView.as_view(), name="lift"),
    path("<reference:reference>/", views.IncidentDetailView.as_view(), name="detail"),
    path("<reference:reference>/triage/", views.TriageView.as_view(), name="triage"),
    path("<reference:reference>/act/<slug:action>/", views.TransitionView.as_view(), name="transition"),
    path("<reference:reference>/suspend/", views.SuspendView.as_view(), name="suspend"),
    path("<reference:reference>/actions/", views.AddActionView.as_view(), name="add-action"),
    path("<reference:reference>/actions/<int:pk>/done/", views.CompleteActionView.as_view(), name="complete-action"),
    path("<reference:reference>/deadlines/<int:pk>/done/", views.DeadlineDoneView.as_view(), name="deadline-done"),
    path("<reference:reference>/evidence/", views.AddEvidenceView.as_view(), name="add-evidence"),
]
