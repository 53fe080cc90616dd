"""Everything the governance app adds to the apps below it, in one place.

``GovernanceConfig.ready()`` calls ``install()``; each registry ignores an entry it already
holds, so a second ``ready()`` adds nothing.
"""

from django.utils.translation import gettext_lazy as _

from governance import (
    audit_labels,
    badges,
    costs,
    panels,
    services,
    signals,  # noqa: F401 - connects the receivers
    tasks,  # noqa: F401 - registers the Celery tasks that checks and the outbox enqueue by name
    thread,
)
from governance.api import views as api_views
from governance.choices import GovernanceAuditAction
from governance.education import reminders as education_reminders
from governance.education import services as education
from governance.education.choices import EducationAuditAction
from governance.notify import sink, types
from governance.notify.registry import EVENT_TYPES
from governance.reminders import kinds as reminders
from portal.api.exceptions import RULE_VIOLATION_BODIES
from portal.audit_display import CODE_LABELS
from portal.badges import BADGES
from portal.choices import AUDIT_ACTION_LABELS
from portal.events import EVENT_SINKS
from portal.registry import key_of
from usecases import economics, extensions, querysets, roadmap
from usecases import services as usecase_services
from usecases.choices import RoadmapStep
from usecases.comments import thread as comment_thread
from vendors import extensions as vendor_extensions


def install():
    AUDIT_ACTION_LABELS.update(GovernanceAuditAction.choices)
    AUDIT_ACTION_LABELS.update(EducationAuditAction.choices)

    # The use-case lifecycle: the review rows, who decides them, and the records kept in step.
    usecase_services.TRANSITIONS.update(services.TRANSITIONS)
    usecase_services.ACTOR_RULES.add(services.STAGE_DECIDER, services.is_stage_decider)
    usecase_services.ACTOR_LABELS.add(services.STAGE_DECIDER, _("Member of the current approval stage's group"))
    usecase_services.CHANGE_HOOKS.register(services.on_use_case_change)
    usecase_services.BULK_CHANGE_HOOKS.add(key_of(services.on_use_case_change), services.on_use_cases_change)
    usecase_services.TRANSITION_HOOKS.register(services.on_use_case_transition)
    querysets.CHILD_PREFETCHES.register(services.active_stages_prefetch)

    # The roadmap: step gates of a use case, and the organisation's readiness per step.
    roadmap.GATE_CHECKS[RoadmapStep.OPEN_POC].register(services.poc_licence_items)
    roadmap.GATE_CHECKS[RoadmapStep.RULES_EDUCATION].register(education.rules_gate_items)
    roadmap.ORG_CHECKS[RoadmapStep.GOVERNANCE].register(services.matrix_readiness_items)
    roadmap.ORG_CHECKS[RoadmapStep.RULES_EDUCATION].register(education.organisation_rules_items)

    economics.POLICY_CHECKS.register(costs.blocking_reasons)
    RULE_VIOLATION_BODIES.add(services.BlockingFindings, api_views.blocking_error_body)
    reminders.KINDS.update(education_reminders.KINDS)

    BADGES.update(badges.STATUS_MAPS)
    extensions.TOP_PANELS.register(panels.DecisionPanel())
    # Workflow events (portal.events.publish) become outbox rows; the names of issue 18.
    EVENT_TYPES.update(types.TYPES)
    EVENT_SINKS.register(sink.sink)

    extensions.DETAIL_PANELS.register(panels.UseCaseGovernancePanel())
    extensions.DETAIL_PANELS.register(panels.UpcomingRemindersPanel())
    extensions.FORM_PANELS.register(panels.RecommendationFormPanel())
    extensions.HISTORY_LABELLERS.register(panels.StageNames())
    CODE_LABELS.update(audit_labels.LOOKUPS)
    comment_thread.THREAD_SOURCES.register(thread.DecisionThread())
    vendor_extensions.DETAIL_PANELS.register(panels.UpcomingRemindersPanel())
