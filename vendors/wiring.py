"""Everything the vendor app adds to the apps below it (``VendorsConfig.ready()`` calls
``install()``)."""

from portal.choices import AUDIT_ACTION_LABELS
from vendors.choices import VendorAuditAction


def install():
    AUDIT_ACTION_LABELS.update(VendorAuditAction.choices)
