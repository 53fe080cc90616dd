"""Panels other apps add to the use-case pages, so this app does not depend on them.

A panel has ``template_name`` and ``get_context(request, use_case)``; the governance
app registers its panels (findings, stages, recommendation) at start-up.
"""

DETAIL_PANELS = []
FORM_PANELS = []


def render_context(panels, request, use_case):
    return [(panel.template_name, panel.get_context(request, use_case)) for panel in panels]
