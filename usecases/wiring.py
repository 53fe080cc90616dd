"""Everything the use-case app adds to the apps below it (``UsecasesConfig.ready()`` calls
``install()``). Its own lifecycle rows are declared in ``usecases.services``."""

from portal.api.exceptions import RULE_VIOLATION_BODIES
from portal.choices import AUDIT_ACTION_LABELS
from usecases import roadmap_services, services, signals  # noqa: F401 - signals connects the receivers
from usecases.api import roadmap as roadmap_api
from usecases.api import views as api_views
from usecases.choices import CommentAuditAction, RoadmapAuditAction


def install():
    AUDIT_ACTION_LABELS.update(RoadmapAuditAction.choices)
    AUDIT_ACTION_LABELS.update(CommentAuditAction.choices)
    # The API bodies of refusals that list what is missing (the submit's items, the gate's).
    RULE_VIOLATION_BODIES.add(services.IncompleteUseCase, api_views.submit_error_body)
    RULE_VIOLATION_BODIES.add(roadmap_services.GateNotMet, roadmap_api.gate_error_body)
