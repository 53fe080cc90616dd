"""Panels other apps add to the use-case pages, so this app does not depend on them.

The governance app registers its panels (findings, stages, recommendation, upcoming
reviews) from ``governance.wiring.install()``; see ``portal.extensions``.
"""

from portal.extensions import render_context  # noqa: F401 - the use-case views render with it
from portal.registry import Registry

# Shown first on the use-case page, before its facts (e.g. the reviewer's decision panel).
TOP_PANELS = Registry("usecases.extensions.TOP_PANELS", "panels at the top of the use-case page")
DETAIL_PANELS = Registry("usecases.extensions.DETAIL_PANELS", "panels of the use-case page")
FORM_PANELS = Registry("usecases.extensions.FORM_PANELS", "panels of the use-case form")
# Callables given the history's audit events, to add what only their app can name
# (e.g. ``stage_name`` for an approval stage's code).
HISTORY_LABELLERS = Registry("usecases.extensions.HISTORY_LABELLERS", "labellers of the use-case history")
