"""Panels other apps add to the vendor page (see ``portal.extensions``)."""

from portal.extensions import render_context  # noqa: F401 - the vendor views render with it

DETAIL_PANELS = []
