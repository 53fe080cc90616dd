"""Everything the use-case app adds to the apps below it (``UsecasesConfig.ready()`` calls
``install()``). Its own lifecycle rows are declared in ``usecases.services``."""

from portal.choices import AUDIT_ACTION_LABELS
from usecases import signals  # noqa: F401 - connects the receivers
from usecases.choices import RoadmapAuditAction


def install():
    AUDIT_ACTION_LABELS.update(RoadmapAuditAction.choices)
