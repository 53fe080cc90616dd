"""Panels other apps add to a page, so the page's app does not depend on them.

A panel has ``template_name`` and ``get_context(request, obj)``; apps register panels in
the page's registry (a ``portal.registry.Registry``, e.g. ``usecases.extensions.DETAIL_PANELS``)
from their ``install()``.
"""


def render_context(panels, request, obj):
    return [(panel.template_name, panel.get_context(request, obj)) for panel in panels]
