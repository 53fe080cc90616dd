"""Panels other apps add to the use-case pages, so this app does not depend on them.

The governance app registers its panels (findings, stages, recommendation, upcoming
reviews) at start-up; see ``portal.extensions``.
"""

from portal.extensions import render_context  # noqa: F401 - the use-case views render with it

DETAIL_PANELS = []
FORM_PANELS = []
# Callables given the history's audit events, to add what only their app can name
# (e.g. ``stage_name`` for an approval stage's code).
HISTORY_LABELLERS = []
