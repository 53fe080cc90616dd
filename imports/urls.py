from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportIndexView.as_view(), name="index"),
    path("template/<slug:kind>.<str:fmt>", views.TemplateDownloadView.as_view(), name="template"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="detail"),
    path("<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="confirm"),
]
