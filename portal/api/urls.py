from django.urls import path
from rest_framework.routers import DefaultRouter

from portal.api.views import CurrentUserView, DepartmentViewSet
from usecases.api.views import UseCaseViewSet

router = DefaultRouter()
router.register("use-cases", UseCaseViewSet, basename="use-case")
router.register("departments", DepartmentViewSet, basename="department")

app_name = "api"
urlpatterns = [path("me/", CurrentUserView.as_view(), name="me"), *router.urls]
