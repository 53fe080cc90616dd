"""The project's root urls plus the framework floor at ``/bench/floor/``."""

from importlib import import_module

from django.urls import path

from benches.side.floor import Floor
from portal.settings import ROOT_URLCONF

_root = import_module(ROOT_URLCONF)
# The root's own list, not include(): the project's patterns keep their names and namespaces.
urlpatterns = [path("bench/floor/", Floor.as_view(), name="bench-floor"), *_root.urlpatterns]
handler404 = getattr(_root, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(_root, "handler500", "django.views.defaults.server_error")
