"""Everything the incidents app adds to the apps below it, in one place.

``IncidentsConfig.ready()`` calls ``install()``; each registry ignores an entry it already
holds, so a second ``ready()`` adds nothing."""

from django.utils.translation import pgettext_lazy

from governance.notify.registry import EVENT_TYPES
from governance.reminders import kinds as reminder_kinds
from incidents import notices, panels, reminders, suspension
from incidents.choices import IncidentAuditAction
from portal.choices import AUDIT_ACTION_LABELS
from usecases import extensions
from usecases import services as usecase_services
from usecases.choices import UseCaseAction
from vendors import extensions as vendor_extensions

USE_CASE_AUDIT_LABELS = {
    UseCaseAction.SUSPEND: pgettext_lazy("audit action", "suspended after an incident"),
    UseCaseAction.RESUME_APPROVED: pgettext_lazy("audit action", "lifted the suspension"),
    UseCaseAction.RESUME_PILOTING: pgettext_lazy("audit action", "lifted the suspension"),
    UseCaseAction.RESUME_IN_PRODUCTION: pgettext_lazy("audit action", "lifted the suspension"),
}


def install():
    AUDIT_ACTION_LABELS.update(IncidentAuditAction.choices)
    AUDIT_ACTION_LABELS.update({str(key): value for key, value in USE_CASE_AUDIT_LABELS.items()})

    # The use-case lifecycle: suspension by an incident and its lifting.
    usecase_services.TRANSITIONS.update(suspension.transitions())
    usecase_services.ACTOR_RULES.update(suspension.actor_rules())
    usecase_services.ACTOR_LABELS.update(suspension.actor_labels())
    usecase_services.TRANSITION_HOOKS.register(suspension.on_use_case_transition)

    reminder_kinds.KINDS.update(reminders.KINDS)
    notices.register_event_types(EVENT_TYPES)

    extensions.DETAIL_PANELS.register(panels.UseCaseIncidentsPanel())
    vendor_extensions.DETAIL_PANELS.register(panels.VendorIncidentsPanel())
    vendor_extensions.ASSESSMENT_PANELS.register(panels.ReassessmentIncidentsPanel())
