"""Panels other apps add to the vendor page (see ``portal.extensions``)."""

from portal.extensions import render_context  # noqa: F401 - the vendor views render with it
from portal.registry import Registry

DETAIL_PANELS = Registry("vendors.extensions.DETAIL_PANELS", "panels of the vendor page")
# Panels beside an assessment's decision, given the assessment's vendor (incidents: its record).
ASSESSMENT_PANELS = Registry("vendors.extensions.ASSESSMENT_PANELS", "panels of the assessment review page")
