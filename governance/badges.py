"""What each state of use cases, approval stages, vendor assessments and exceptions means to
the reader (``portal.badges``); registered by ``governance.wiring.install()``."""

from django.utils.translation import gettext_lazy as _

from governance import services
from governance.choices import StageStatus
from portal.badges import WAITING, Meaning, StatusMap
from usecases.choices import UseCaseStatus
from vendors.choices import AssessmentStatus


def use_case_is_mine(use_case, user):
    """Changes requested wait on the owner; a use case in review on the current stage's deciders."""
    if not user.is_authenticated:
        return False
    if use_case.status == UseCaseStatus.CHANGES_REQUESTED:
        return use_case.owner_id == user.pk
    return services.is_stage_decider(user, use_case)


def stage_is_mine(stage, user):
    if not user.is_authenticated:
        return False
    if stage.status == StageStatus.CHANGES_REQUESTED:
        return stage.use_case.owner_id == user.pk and stage.use_case.status == UseCaseStatus.CHANGES_REQUESTED
    if stage.started_at is None:
        return False  # an earlier stage is still running
    if stage.assigned_to_id is not None:
        return stage.assigned_to_id == user.pk
    return services.can_decide(user, stage)


def assessment_is_mine(assessment, user):
    return user.is_authenticated and user.has_perm("vendors.decide_assessment")


USE_CASE = StatusMap(
    states={
        UseCaseStatus.DRAFT: Meaning.NEUTRAL,
        UseCaseStatus.SUBMITTED: WAITING,
        UseCaseStatus.IN_REVIEW: WAITING,
        UseCaseStatus.CHANGES_REQUESTED: WAITING,
        UseCaseStatus.APPROVED: Meaning.DONE,
        UseCaseStatus.REJECTED: Meaning.REFUSED,
        UseCaseStatus.PILOTING: Meaning.DONE,
        UseCaseStatus.IN_PRODUCTION: Meaning.DONE,
        UseCaseStatus.RETIRED: Meaning.NEUTRAL,
        UseCaseStatus.WITHDRAWN: Meaning.NEUTRAL,
        # Stopped after an incident until a reviewer lifts it (incidents app).
        UseCaseStatus.SUSPENDED: Meaning.WAITING_ON_OTHERS,
    },
    is_mine=use_case_is_mine,
    all_states=tuple(UseCaseStatus.values),
)

STAGE = StatusMap(
    states={
        StageStatus.PENDING: WAITING,
        StageStatus.APPROVED: Meaning.DONE,
        StageStatus.REJECTED: Meaning.REFUSED,
        StageStatus.CHANGES_REQUESTED: WAITING,
        StageStatus.CANCELLED: Meaning.NEUTRAL,
    },
    is_mine=stage_is_mine,
    all_states=tuple(StageStatus.values),
)

ASSESSMENT = StatusMap(
    states={
        AssessmentStatus.SENT: Meaning.WAITING_ON_OTHERS,  # the vendor answers
        AssessmentStatus.IN_PROGRESS: Meaning.WAITING_ON_OTHERS,
        AssessmentStatus.SUBMITTED: WAITING,  # the reviewers decide
        AssessmentStatus.APPROVED: Meaning.DONE,
        AssessmentStatus.APPROVED_WITH_CONDITIONS: Meaning.DONE,
        AssessmentStatus.REJECTED: Meaning.REFUSED,
        AssessmentStatus.REVOKED: Meaning.NEUTRAL,
    },
    is_mine=assessment_is_mine,
    all_states=tuple(AssessmentStatus.values),
)

EXCEPTION_LABELS = {"valid": _("Valid"), "expired": _("Expired")}

EXCEPTION = StatusMap(
    states={"valid": Meaning.DONE, "expired": Meaning.NEUTRAL},
    state=lambda exception: "valid" if exception.is_valid else "expired",
    label=lambda exception: EXCEPTION_LABELS["valid" if exception.is_valid else "expired"],
    all_states=tuple(EXCEPTION_LABELS),
)

STATUS_MAPS = {
    "usecases.UseCase": USE_CASE,
    "governance.ApprovalStage": STAGE,
    "vendors.Assessment": ASSESSMENT,
    "governance.PolicyException": EXCEPTION,
}
