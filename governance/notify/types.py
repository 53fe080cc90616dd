"""The event types of the workflow (the fixed names of issue 18), added to ``EVENT_TYPES`` by
``governance.wiring.install()``. Who is told by default, what they read, where the link goes.
"""

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from governance.models import ApprovalStage
from governance.notify import crypto
from governance.notify.registry import EventType
from portal.mail import clean_subject
from portal.roles import Role
from vendors.invitations import record_invitation_result
from vendors.models import Assessment


def members_of(group_ids):
    return list(
        get_user_model()
        .objects.filter(groups__in=group_ids, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def users_in_role(role):
    return list(get_user_model().objects.filter(groups__name=role, is_active=True).values_list("pk", flat=True))


def _deciders(stages):
    """The assignee of each stage, or the members of its group when nobody is assigned."""
    assigned = [stage.assigned_to_id for stage in stages if stage.assigned_to_id]
    groups = [stage.group_id for stage in stages if not stage.assigned_to_id]
    return list(dict.fromkeys([*assigned, *members_of(groups)]))


def _decide_path(stage):
    return reverse("governance:decide", kwargs={"reference": stage.use_case.reference, "pk": stage.pk})


def _stage_params(stage):
    definition = stage.definition
    return {"stage": {"ja": definition.name_ja, "en": definition.name_en}}


class UseCaseSubmitted(EventType):
    title = _("Waiting for your decision: %(object)s")
    message = _("%(object)s was submitted for review by %(actor)s. Please review it and decide the current stage.")
    decision_waiting = True
    chat = "group"

    def _stages(self, use_case):
        return list(ApprovalStage.objects.filter(use_case=use_case).pending().select_related("use_case"))

    def recipients(self, event):
        stages = self._stages(event.subject)
        # Without planned stages (no stage applies), the reviewers look at the submission.
        return _deciders(stages) if stages else users_in_role(Role.REVIEWER)

    def describe(self, use_case):
        text, url = super().describe(use_case)
        current = ApprovalStage.objects.filter(use_case=use_case).active().select_related("use_case").first()
        return text, _decide_path(current) if current else url

    def chat_groups(self, event):
        return [stage.group_id for stage in self._stages(event.subject)]


class _RequesterSide(EventType):
    """Told to the use case's owner (its requester); chat to the use case's department."""

    chat = "department"

    def recipients(self, event):
        use_case = getattr(event.subject, "use_case", event.subject)
        return [use_case.owner_id]


class StageDecided(_RequesterSide):
    title = _("Stage decided: %(stage)s of %(object)s (%(decision)s)")
    message = _("%(actor)s decided the stage “%(stage)s” of %(object)s: %(decision)s. %(comment)s")

    def prepare(self, event):
        stage = event.subject
        return {
            **_stage_params(stage),
            "decision": {"ja": str(stage.get_decision_display()), "en": str(stage.get_decision_display())},
            "comment": event.params.get("comment", ""),
        }

    def describe(self, stage):
        return super().describe(stage.use_case)


class ChangesRequested(_RequesterSide):
    title = _("Changes requested: %(object)s")
    message = _("%(actor)s asks for changes to %(object)s before deciding. %(comment)s")


class Approved(_RequesterSide):
    title = _("Approved: %(object)s")
    message = _("%(object)s is approved. %(comment)s")


class Rejected(_RequesterSide):
    title = _("Rejected: %(object)s")
    message = _("%(object)s was rejected by %(actor)s. %(comment)s")


class _ToDecidersToo(_RequesterSide):
    """Requester and owner, and the deciders of the stages that were waiting."""

    def recipients(self, event):
        stages = ApprovalStage.objects.filter(use_case=event.subject, decided_at__isnull=True, started_at__isnull=False)
        return list(dict.fromkeys([*super().recipients(event), *_deciders(list(stages))]))


class Withdrawn(_ToDecidersToo):
    title = _("Withdrawn: %(object)s")
    message = _("%(actor)s withdrew %(object)s; no decision is needed any more. %(comment)s")


class Reopened(_ToDecidersToo):
    title = _("Reopened: %(object)s")
    message = _("%(actor)s reopened %(object)s. %(comment)s")


class ExceptionGranted(_RequesterSide):
    title = _("Policy exception granted: %(object)s")
    message = _("%(actor)s granted an exception to rule %(rule)s for %(object)s until %(expires_on)s.")

    def recipients(self, event):
        return list(dict.fromkeys([*super().recipients(event), *users_in_role(Role.EXECUTIVE)]))

    def prepare(self, event):
        exception = event.subject
        return {"rule": exception.rule_id, "expires_on": exception.expires_on.isoformat()}

    def describe(self, exception):
        return super().describe(exception.use_case)


class ExceptionExpiring(ExceptionGranted):
    title = _("Policy exception expires on %(expires_on)s: %(object)s")
    message = _("The exception to rule %(rule)s granted for %(object)s expires on %(expires_on)s.")

    def recipients(self, event):
        exception = event.subject
        return list(dict.fromkeys([*_RequesterSide.recipients(self, event), exception.granted_by_id]))


class AssessmentSubmitted(EventType):
    title = _("Questionnaire answered: %(object)s")
    message = _(
        "%(vendor)s answered the questionnaire %(object)s (score %(score)s). It waits for a reviewer's decision."
    )

    def recipients(self, event):
        return users_in_role(Role.REVIEWER)

    def prepare(self, event):
        assessment = event.subject
        score = "—" if assessment.score is None else str(assessment.score)
        return {"vendor": assessment.vendor.name, "score": score}

    def describe(self, assessment):
        return f"{assessment.reference} {assessment.vendor.name}"[:200], assessment.get_absolute_url()


class VendorInvitation(EventType):
    """The questionnaire link to a vendor contact (an outsider: an e-mail, no inbox). The link
    is a secret: stored encrypted on the row, written only into the e-mail."""

    title = _("Questionnaire from %(sender)s")
    message = _("Please answer our questionnaire.")
    in_app = False

    def prepare(self, event):
        params = {key: value for key, value in event.params.items() if key != "link"}
        params["link_encrypted"] = crypto.encrypt(event.params.get("link", ""))
        params["sender"] = str(event.actor) if event.actor else ""
        return params

    def describe(self, assessment):
        return f"{assessment.reference} {assessment.vendor.name}"[:200], ""

    def link(self, row):
        return crypto.decrypt(row.params.get("link_encrypted", ""))

    def email(self, row):
        assessment = Assessment.objects.with_related().get(pk=row.object_id)
        context = {
            "assessment": assessment,
            "url": self.link(row),
            "template": str(assessment.template_version.template),
        }
        subject = clean_subject(render_to_string("vendors/email/invitation_subject.txt", context))
        return subject, render_to_string("vendors/email/invitation_body.txt", context)

    def delivered(self, row):
        record_invitation_result(row.object_id)

    def failed(self, row):
        record_invitation_result(row.object_id, row.error)


class _AboutComment(EventType):
    chat = None

    def prepare(self, event):
        body = str(getattr(event.subject, "body", "") or event.params.get("excerpt", ""))
        return {**event.params, "excerpt": body[:300]}


class CommentPosted(_AboutComment):
    title = _("New comment on %(object)s")
    message = _("%(actor)s commented on %(object)s: %(excerpt)s")


class CommentMentioned(_AboutComment):
    title = _("You were mentioned: %(object)s")
    message = _("%(actor)s mentioned you in a comment on %(object)s: %(excerpt)s")


class StageAssigned(EventType):
    title = _("Assigned to you: %(stage)s of %(object)s")
    message = _("%(actor)s assigned you the stage “%(stage)s” of %(object)s. It waits for your decision.")
    decision_waiting = True

    def prepare(self, event):
        return {**event.params, **_stage_params(event.subject)}

    def describe(self, stage):
        text, _url = super().describe(stage.use_case)
        return text, _decide_path(stage)


TYPES = {
    "usecase.submitted": UseCaseSubmitted(),
    "stage.decided": StageDecided(),
    "usecase.changes_requested": ChangesRequested(),
    "usecase.approved": Approved(),
    "usecase.rejected": Rejected(),
    "usecase.withdrawn": Withdrawn(),
    "usecase.reopened": Reopened(),
    "exception.granted": ExceptionGranted(),
    "exception.expiring": ExceptionExpiring(),
    "assessment.submitted": AssessmentSubmitted(),
    "vendor.invitation": VendorInvitation(),
    "comment.posted": CommentPosted(),
    "comment.mentioned": CommentMentioned(),
    "stage.assigned": StageAssigned(),
}
