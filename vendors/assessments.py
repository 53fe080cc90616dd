"""The assessment loop: a reviewer sends a published questionnaire through a signed,
expiring link; the vendor answers and submits; the reviewer decides, and the vendor's
status follows. Pages and the API call these; nothing else writes an assessment's status.

Lifecycle: one table ``TRANSITIONS`` of ``(from, action) -> to``; who may act is checked
by the caller's entry point (a reviewer's permission, or a valid link).
"""

import calendar
import datetime
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import events
from portal.choices import DataClassification
from portal.dates import validate_date_in_range
from portal.exceptions import Conflict, Invalid, NotFound
from portal.services import field_changes, next_reference, record_event
from portal.uploads import check_upload
from vendors import scoring
from vendors.choices import (
    AnswerType,
    AssessmentAction,
    AssessmentDecision,
    AssessmentStatus,
    TemplateAudience,
    TemplateVersionStatus,
    VendorAuditAction,
    VendorStatus,
)
from vendors.models import Answer, Assessment, EvidenceFile, Question, Vendor

REFERENCE_PREFIX = "VA"
LINK_SALT = "vendors.assessment-link"

# Plain decimal numbers of sensible size (no exponents, separators, NaN or infinity).
NUMBER_PATTERN = re.compile(r"-?\d{1,15}(\.\d{1,6})?")
MAX_FILES_PER_QUESTION = 5

TRANSITIONS = {
    (AssessmentStatus.SENT, AssessmentAction.SAVE_ANSWERS): AssessmentStatus.IN_PROGRESS,
    (AssessmentStatus.IN_PROGRESS, AssessmentAction.SAVE_ANSWERS): AssessmentStatus.IN_PROGRESS,
    (AssessmentStatus.SENT, AssessmentAction.SUBMIT): AssessmentStatus.SUBMITTED,
    (AssessmentStatus.IN_PROGRESS, AssessmentAction.SUBMIT): AssessmentStatus.SUBMITTED,
    (AssessmentStatus.SENT, AssessmentAction.REISSUE): AssessmentStatus.SENT,
    (AssessmentStatus.IN_PROGRESS, AssessmentAction.REISSUE): AssessmentStatus.IN_PROGRESS,
    (AssessmentStatus.SENT, AssessmentAction.REVOKE): AssessmentStatus.REVOKED,
    (AssessmentStatus.IN_PROGRESS, AssessmentAction.REVOKE): AssessmentStatus.REVOKED,
    (AssessmentStatus.SUBMITTED, AssessmentAction.REVOKE): AssessmentStatus.REVOKED,
    # DECIDE goes to the status of the decision (DECISION_STATUS).
    (AssessmentStatus.SUBMITTED, AssessmentAction.DECIDE): None,
}
DECISION_STATUS = {
    AssessmentDecision.APPROVE: (AssessmentStatus.APPROVED, VendorStatus.APPROVED),
    AssessmentDecision.APPROVE_WITH_CONDITIONS: (
        AssessmentStatus.APPROVED_WITH_CONDITIONS,
        VendorStatus.APPROVED_WITH_CONDITIONS,
    ),
    AssessmentDecision.REJECT: (AssessmentStatus.REJECTED, VendorStatus.REJECTED),
}


class AssessmentNotAllowed(Conflict):
    def __init__(self, assessment, action):
        self.assessment = assessment
        super().__init__(
            _("%(action)s is not possible while the assessment is %(status)s.")
            % {"action": AssessmentAction(action).label, "status": assessment.get_status_display()}
        )


class InvalidLink(NotFound):
    """Expired, revoked, tampered or unknown: the vendor page says only that."""


@dataclass(frozen=True)
class Gap:
    question_id: int
    message: str
    evidence: bool = False  # the answer is there, its evidence file is not


class IncompleteAssessment(Invalid):
    def __init__(self, gaps):
        self.gaps = gaps
        super().__init__("; ".join(str(gap.message) for gap in gaps))


# --- Assessment links ----------------------------------------------------------------------


def _new_link(assessment, days):
    """Give ``assessment`` a fresh link nonce; returns the signed token for the URL."""
    nonce = secrets.token_urlsafe(24)
    assessment.link_nonce_hash = Assessment.hash_nonce(nonce)
    assessment.link_expires_at = timezone.now() + datetime.timedelta(days=days)
    return signing.dumps({"a": assessment.pk, "n": nonce}, salt=LINK_SALT, compress=True)


def link_url(token):
    return settings.SITE_URL.rstrip("/") + reverse("vendor-portal:assessment", kwargs={"token": token})


def assessment_for_token(token, *, for_update=False):
    """The assessment a link opens, or InvalidLink. Says nothing about why."""
    try:
        payload = signing.loads(token, salt=LINK_SALT)
        assessment_id, nonce = int(payload["a"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise InvalidLink from error
    queryset = Assessment.objects.select_related("vendor", "contact", "template_version__template")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    assessment = queryset.filter(pk=assessment_id).first()
    if (
        assessment is None
        or not secrets.compare_digest(assessment.link_nonce_hash, Assessment.hash_nonce(nonce))
        or assessment.status == AssessmentStatus.REVOKED
        or assessment.link_expires_at <= timezone.now()
    ):
        raise InvalidLink
    return assessment


def _transition(assessment, action):
    key = (assessment.status, action)
    if key not in TRANSITIONS:
        raise AssessmentNotAllowed(assessment, action)
    return TRANSITIONS[key]


def _lock(assessment):
    return Assessment.objects.select_for_update().get(pk=assessment.pk)


def _enqueue_invitation(assessment, token, user):
    """The questionnaire e-mail to the contact, through the notification outbox (exactly one
    notice per link: the key names the link's nonce hash, not the link)."""
    contact = assessment.contact
    events.publish(
        "vendor.invitation",
        assessment,
        key=f"vendor.invitation:{assessment.pk}:{assessment.link_nonce_hash[:24]}",
        recipients=[contact.email],
        actor=user,
        link=link_url(token),
        language=contact.language,
        reply_to=user.email,
    )


def send_assessment(vendor, contact, template_version, user, link_days=None):
    """A reviewer sends a published questionnaire to a vendor contact; returns (assessment, token)."""
    if not user.has_perm("vendors.add_assessment"):
        raise PermissionDenied
    if template_version.status != TemplateVersionStatus.PUBLISHED:
        raise ValidationError({"template_version": _("Only a published version can be sent.")})
    if contact.vendor_id != vendor.pk:
        raise ValidationError({"contact": _("This contact belongs to another vendor.")})
    days = link_days or settings.ASSESSMENT_LINK_DAYS
    with transaction.atomic():
        assessment = Assessment(
            reference=next_reference(REFERENCE_PREFIX, timezone.localdate().year),
            vendor=vendor,
            contact=contact,
            template_version=template_version,
            sent_by=user,
            link_nonce_hash="-",
            link_expires_at=timezone.now(),
        )
        assessment.save()
        token = _new_link(assessment, days)
        assessment.save(update_fields=["link_nonce_hash", "link_expires_at"])
        locked_vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
        data = {
            "assessment": assessment.reference,
            "contact": contact.email,
            "expires": str(assessment.link_expires_at),
        }
        record_event(assessment, VendorAuditAction.SEND_ASSESSMENT, user, to_state=assessment.status, data=data)
        if locked_vendor.status == VendorStatus.PROSPECTIVE:
            Vendor.objects.filter(pk=vendor.pk).update(status=VendorStatus.UNDER_ASSESSMENT, updated_at=timezone.now())
            # The vendor's own trail shows its status change too, as a decision's does.
            record_event(
                locked_vendor,
                VendorAuditAction.SEND_ASSESSMENT,
                user,
                from_state=VendorStatus.PROSPECTIVE,
                to_state=VendorStatus.UNDER_ASSESSMENT,
                data={"assessment": assessment.reference},
                changes={"status": [VendorStatus.PROSPECTIVE.value, VendorStatus.UNDER_ASSESSMENT.value]},
            )
        # An internal checklist (e.g. open-model readiness) is answered by IT, not mailed out.
        if template_version.template.audience == TemplateAudience.VENDOR:
            _enqueue_invitation(assessment, token, user)
    return assessment, token


def reissue_link(assessment, user, link_days=None):
    """A new link (and e-mail); every earlier link stops working."""
    if not user.has_perm("vendors.change_assessment"):
        raise PermissionDenied
    with transaction.atomic():
        assessment = _lock(assessment)
        _transition(assessment, AssessmentAction.REISSUE)
        token = _new_link(assessment, link_days or settings.ASSESSMENT_LINK_DAYS)
        assessment.save(update_fields=["link_nonce_hash", "link_expires_at"])
        record_event(
            assessment, VendorAuditAction.REISSUE_LINK, user, data={"expires": str(assessment.link_expires_at)}
        )
        if assessment.template_version.template.audience == TemplateAudience.VENDOR:
            _enqueue_invitation(assessment, token, user)
    return assessment, token


def revoke_assessment(assessment, user, comment=""):
    if not user.has_perm("vendors.change_assessment"):
        raise PermissionDenied
    with transaction.atomic():
        assessment = _lock(assessment)
        to_state = _transition(assessment, AssessmentAction.REVOKE)
        from_state = assessment.status
        assessment.status = to_state
        assessment.save(update_fields=["status"])
        record_event(
            assessment,
            VendorAuditAction.REVOKE_ASSESSMENT,
            user,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
        )
    return assessment


# --- Answering (through the link) ------------------------------------------------------------


def questions_of(assessment):
    return list(
        Question.objects.filter(section__version=assessment.template_version_id)
        .select_related("section")
        .order_by("section__position", "section__id", "position", "id")
    )


def clean_value(question, raw):
    """Turn a submitted raw value (str or list of str) into the stored form; ValidationError if invalid."""
    values = [option["value"] for option in question.options]
    if question.answer_type == AnswerType.MULTIPLE:
        chosen = list(dict.fromkeys(item for item in (raw or []) if item != ""))  # once each, in order
        if any(item not in values for item in chosen):
            raise ValidationError(_("Choose only from the listed options."))
        return chosen
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    if raw in (None, ""):
        return None
    if question.answer_type in (AnswerType.YES_NO, AnswerType.SINGLE):
        if raw not in values:
            raise ValidationError(_("Choose one of the listed options."))
        return raw
    if question.answer_type == AnswerType.NUMBER:
        if not isinstance(raw, str) or not NUMBER_PATTERN.fullmatch(raw):
            raise ValidationError(_("Enter a number."))
        return raw
    if question.answer_type == AnswerType.DATE:
        try:
            day = datetime.date.fromisoformat(str(raw))
        except ValueError as error:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from error
        validate_date_in_range(day)
        return day.isoformat()
    text = str(raw)
    if len(text) > 5000:
        raise ValidationError(_("Keep the answer under 5,000 characters."))
    if "\x00" in text:
        raise ValidationError(_("The answer contains an invalid character."))
    return text


def check_evidence(upload):
    """Size, extension and content (portal.uploads, the check every upload passes)."""
    check_upload(upload)


def save_answers(assessment, raw_values, comments, uploads):
    """The vendor saves (a draft of) their answers. ``raw_values`` and ``comments`` map
    question id -> submitted value; ``uploads`` maps question id -> list of files.
    Returns a dict of errors by question id; nothing is saved when there are errors."""
    questions = {question.id: question for question in questions_of(assessment)}
    existing_files = dict(
        EvidenceFile.objects.filter(answer__assessment=assessment)
        .values("answer__question_id")
        .annotate(count=Count("id"))
        .values_list("answer__question_id", "count")
    )
    errors, cleaned = {}, {}
    for question_id, question in questions.items():
        try:
            cleaned[question_id] = clean_value(question, raw_values.get(question_id))
        except ValidationError as error:
            errors[question_id] = error.messages
        files = uploads.get(question_id, [])
        if files and not (question.answer_type == AnswerType.FILE or question.evidence_required):
            errors.setdefault(question_id, []).append(str(_("This question takes no files.")))
        elif len(files) + existing_files.get(question_id, 0) > MAX_FILES_PER_QUESTION:
            errors.setdefault(question_id, []).append(
                str(_("At most %(count)s files per question.") % {"count": MAX_FILES_PER_QUESTION})
            )
        for upload in files:
            try:
                check_evidence(upload)
            except ValidationError as error:
                errors.setdefault(question_id, []).extend(error.messages)
        comment = comments.get(question_id, "") or ""
        if len(comment) > 5000:
            errors.setdefault(question_id, []).append(str(_("Keep the comment under 5,000 characters.")))
        if "\x00" in comment:
            errors.setdefault(question_id, []).append(str(_("The comment contains an invalid character.")))
    if errors:
        return errors
    with transaction.atomic():
        assessment = _lock(assessment)
        to_state = _transition(assessment, AssessmentAction.SAVE_ANSWERS)
        for question_id, value in cleaned.items():
            answer, _created = Answer.objects.update_or_create(
                assessment=assessment,
                question_id=question_id,
                defaults={"value": value, "comment": (comments.get(question_id) or "").strip()},
            )
            for upload in uploads.get(question_id, []):
                EvidenceFile.objects.create(
                    answer=answer,
                    file=upload,
                    original_name=upload.name[:255],
                    size=upload.size,
                    content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
                )
        if assessment.status != to_state:
            Assessment.objects.filter(pk=assessment.pk).update(status=to_state)
        record_event(
            assessment,
            VendorAuditAction.VENDOR_SAVED,
            None,
            from_state=assessment.status,
            to_state=to_state,
            data={"by": assessment.contact.email},
        )
    return {}


def gaps(assessment):
    """Every required answer or required evidence still missing, all at once."""
    answers = {answer.question_id: answer for answer in assessment.answers.prefetch_related("files")}
    missing = []
    for question in questions_of(assessment):
        answer = answers.get(question.id)
        has_file = bool(answer and answer.files.all())
        if question.answer_type == AnswerType.FILE:
            answered = has_file
        else:
            answered = answer is not None and not scoring.is_empty(answer.value)
        if question.required and not answered:
            missing.append(Gap(question.id, _("Answer: %(question)s") % {"question": question.localized("text")}))
        if question.evidence_required and not has_file:
            missing.append(
                Gap(
                    question.id,
                    _("Attach evidence for: %(question)s") % {"question": question.localized("text")},
                    evidence=True,
                )
            )
    return missing


def compute_score(assessment):
    answers = {answer.question_id: answer for answer in assessment.answers.prefetch_related("files")}
    values = {question_id: answer.value for question_id, answer in answers.items()}
    files = {question_id for question_id, answer in answers.items() if answer.files.all()}
    return scoring.score_answers(questions_of(assessment), values, files)


def submit_assessment(assessment):
    """The vendor submits; answers become read-only and the score is computed."""
    with transaction.atomic():
        assessment = _lock(assessment)
        to_state = _transition(assessment, AssessmentAction.SUBMIT)
        missing = gaps(assessment)
        if missing:
            raise IncompleteAssessment(missing)
        result = compute_score(assessment)
        from_state = assessment.status
        assessment.status = to_state
        assessment.submitted_at = timezone.now()
        assessment.score = result.score
        assessment.knockout_count = len(result.knockouts)
        assessment.save(update_fields=["status", "submitted_at", "score", "knockout_count"])
        record_event(
            assessment,
            VendorAuditAction.VENDOR_SUBMITTED,
            None,
            from_state=from_state,
            to_state=to_state,
            data={"by": assessment.contact.email, "score": str(result.score), "knockouts": len(result.knockouts)},
        )
        stamp = assessment.submitted_at.isoformat()
        events.publish("assessment.submitted", assessment, key=f"assessment.submitted:{assessment.pk}:{stamp}")
    return assessment


# --- Decision ----------------------------------------------------------------------------------


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def decide_assessment(assessment, user, decision, *, findings="", approved_level="", valid_months=None, conditions=""):
    """Record the reviewer's decision; the vendor's status, approved level and
    reassessment date follow from it."""
    if not user.has_perm("vendors.decide_assessment"):
        raise PermissionDenied
    decision = AssessmentDecision(decision)
    valid_months = settings.ASSESSMENT_VALIDITY_MONTHS if valid_months is None else valid_months
    errors = {}
    if decision != AssessmentDecision.REJECT:
        if approved_level not in DataClassification.values:
            errors["approved_level"] = [_("Choose the highest data classification the vendor is approved for.")]
        if not 1 <= valid_months <= 60:
            errors["valid_months"] = [_("The validity is 1 to 60 months.")]
    if decision == AssessmentDecision.APPROVE_WITH_CONDITIONS and not conditions.strip():
        errors["conditions"] = [_("State the conditions.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assessment = _lock(assessment)
        _transition(assessment, AssessmentAction.DECIDE)
        if assessment.knockout_count and decision != AssessmentDecision.REJECT:
            raise ValidationError({"decision": [_("A knockout answer fails the assessment: it can only be rejected.")]})
        if assessment.template_version.template.audience == TemplateAudience.INTERNAL:
            raise ValidationError({"decision": [_("Internal checklists are not vendor assessments.")]})
        assessment_status, vendor_status = DECISION_STATUS[decision]
        today = timezone.localdate()
        approved = decision != AssessmentDecision.REJECT
        from_state = assessment.status
        assessment.status = assessment_status
        assessment.findings = findings
        assessment.decided_by = user
        assessment.decided_at = timezone.now()
        assessment.approved_level = approved_level if approved else ""
        assessment.valid_until = add_months(today, valid_months) if approved else None
        assessment.save()
        vendor = Vendor.objects.select_for_update().get(pk=assessment.vendor_id)
        previous = vendor.status
        values = {
            "status": vendor_status,
            "approved_level": assessment.approved_level,
            "next_reassessment_on": assessment.valid_until,
        }
        if conditions.strip():
            values["conditions"] = conditions.strip()
        # The decision changes what the policy checks read (status, level, validity): audited
        # field by field like an edit.
        vendor_changes = field_changes(vendor, values)
        for name, value in values.items():
            setattr(vendor, name, value)
        vendor.save(update_fields=[*values, "updated_at"])
        data = {
            "assessment": assessment.reference,
            "decision": str(decision),
            "approved_level": assessment.approved_level,
            "valid_until": str(assessment.valid_until or ""),
            "score": str(assessment.score),
        }
        record_event(
            assessment,
            VendorAuditAction.DECIDE_ASSESSMENT,
            user,
            from_state=from_state,
            to_state=assessment_status,
            comment=findings,
            data=data,
        )
        record_event(
            vendor,
            VendorAuditAction.DECIDE_ASSESSMENT,
            user,
            from_state=previous,
            to_state=vendor_status,
            comment=conditions,
            data=data,
            changes=vendor_changes,
        )
    return assessment
