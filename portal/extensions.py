"""Panels other apps add to a page, so the page's app does not depend on them.

A panel has ``template_name`` and ``get_context(request, obj)``; apps register panels in
the page's registry (e.g. ``usecases.extensions.DETAIL_PANELS``) at start-up.
"""


def render_context(panels, request, obj):
    return [(panel.template_name, panel.get_context(request, obj)) for panel in panels]


def register(registry, panel):
    """Add ``panel`` once, however often the app is made ready."""
    if not any(type(existing) is type(panel) for existing in registry):
        registry.append(panel)
