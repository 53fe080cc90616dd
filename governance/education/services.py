"""Rules and education operations. Pages, API and tasks call these; each checks who may
act, changes rows under a lock or a conditional UPDATE, and writes its audit event."""

import calendar
import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.education.choices import (
    CompletionSource,
    EducationAuditAction,
    PolicyVersionStatus,
    PromptStatus,
)
from governance.education.models import EVIDENCE_EXTENSIONS
from governance.models import (
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyVersion,
    PromptRating,
    PromptTemplate,
    TrainingCompletion,
    TrainingCourse,
)
from portal.choices import AuditAction
from portal.models import department_name
from portal.services import field_changes, record_event
from portal.uploads import check_upload
from usecases.roadmap import GateItem

# --- Policies -----------------------------------------------------------------------------------


def can_manage_policies(user):
    return user.is_authenticated and user.has_perm("governance.manage_policy")


AUDIENCE_RELATIONS = ("departments", "roles")


def _save_audienced(model, permission, user, fields, instance=None):
    """Create or change a policy document or course (its settings and audience), audited."""
    if not user.has_perm(permission):
        raise PermissionDenied
    created = instance is None
    with transaction.atomic():
        # Re-read (and lock) the row: a bound form has already written its values on ``instance``.
        instance = model() if created else model.objects.select_for_update().get(pk=instance.pk)
        changes = field_changes(instance, fields)
        for name, value in fields.items():
            if name not in AUDIENCE_RELATIONS:
                setattr(instance, name, value)
        instance.full_clean(exclude=AUDIENCE_RELATIONS)
        instance.save()
        for name in AUDIENCE_RELATIONS:
            if name in fields:
                getattr(instance, name).set(fields[name])
        if changes:
            record_event(instance, AuditAction.CREATE if created else AuditAction.UPDATE, user, changes=changes)
    return instance


def save_policy_document(user, fields, instance=None):
    return _save_audienced(PolicyDocument, "governance.manage_policy", user, fields, instance)


def save_course(user, fields, instance=None):
    return _save_audienced(TrainingCourse, "governance.manage_training", user, fields, instance)


def save_draft_version(document, user, body_ja, body_en="", change_summary=""):
    """Write the next version of ``document`` as a draft (the one draft, if there is one)."""
    if not can_manage_policies(user):
        raise PermissionDenied
    if not (body_ja or "").strip():
        raise ValidationError({"body_ja": [_("Write the Japanese text.")]})
    with transaction.atomic():
        document = PolicyDocument.objects.select_for_update().get(pk=document.pk)
        draft = document.versions.filter(status=PolicyVersionStatus.DRAFT).first()
        created = draft is None
        if created:
            last = document.versions.order_by("-number").values_list("number", flat=True).first() or 0
            draft = PolicyVersion(document=document, number=last + 1)
        draft.body_ja, draft.body_en, draft.change_summary = body_ja, body_en or "", change_summary or ""
        draft.full_clean(exclude=["document", "published_by"])  # lengths: a 400, not a database error
        draft.save()
        record_event(
            document,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            user,
            data={"version": draft.number, "draft": True},
        )
    return draft


def publish_version(version, user):
    """Put a draft in force: the version in force before it is superseded (and stays
    readable); everyone it applies to is asked to acknowledge it again."""
    if not can_manage_policies(user):
        raise PermissionDenied
    with transaction.atomic():
        document = PolicyDocument.objects.select_for_update().get(pk=version.document_id)
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != PolicyVersionStatus.DRAFT:
            raise ValidationError(
                {
                    "version": [
                        _("Only a draft can be published; this version is %(status)s.")
                        % {"status": version.get_status_display()}
                    ]
                }
            )
        previous = document.versions.filter(status=PolicyVersionStatus.PUBLISHED).first()
        if previous is not None:
            PolicyVersion.objects.filter(pk=previous.pk).update(status=PolicyVersionStatus.SUPERSEDED)
        now = timezone.now()
        version.status = PolicyVersionStatus.PUBLISHED
        version.published_at, version.published_by = now, user
        if document.requires_acknowledgement:
            version.acknowledge_by = timezone.localdate(now) + datetime.timedelta(days=document.acknowledge_within_days)
        version.save(update_fields=["status", "published_at", "published_by", "acknowledge_by"])
        record_event(
            document,
            EducationAuditAction.PUBLISH_POLICY,
            user,
            from_state=f"v{previous.number}" if previous else "",
            to_state=f"v{version.number}",
            data={"version": version.number, "acknowledge_by": str(version.acknowledge_by or "")},
        )
    return version


def in_force(document):
    return document.versions.filter(status=PolicyVersionStatus.PUBLISHED).first()


def pending_acknowledgements(user):
    """Versions in force that ``user`` must acknowledge and has not yet (one query)."""
    documents = PolicyDocument.objects.applying_to(user).filter(requires_acknowledgement=True)
    return (
        PolicyVersion.objects.filter(status=PolicyVersionStatus.PUBLISHED, document__in=documents)
        .exclude(acknowledgements__user=user)
        .select_related("document")
        .order_by("acknowledge_by", "document__key")
    )


def acknowledge(version, user):
    """``user`` confirms they read ``version`` (the one in force, of a policy meant for them).
    Acknowledging twice keeps the first record."""
    with transaction.atomic():
        version = PolicyVersion.objects.select_related("document").get(pk=version.pk)
        document = version.document
        if not document.applies_to(user):
            raise PermissionDenied
        if version.status != PolicyVersionStatus.PUBLISHED:
            raise ValidationError({"version": [_("Only the version in force can be acknowledged.")]})
        acknowledgement, created = PolicyAcknowledgement.objects.get_or_create(version=version, user=user)
        if created:
            record_event(document, EducationAuditAction.ACKNOWLEDGE_POLICY, user, data={"version": version.number})
    return acknowledgement


def _audience(subject):
    """The condition on a user of being in the audience of ``subject`` (a policy document or a
    course), as subqueries so many audiences fit in one query; None: all staff."""
    if subject.all_staff:
        return None
    User = get_user_model()
    departments, roles = _chosen(subject, "departments"), _chosen(subject, "roles")
    in_role = User.groups.through.objects.filter(user_id=OuterRef("pk"), group_id__in=roles)
    return Q(department_id__in=departments) | Q(Exists(in_role))


def _chosen(subject, name):
    """The ids ``subject`` chose in its many-to-many ``name``, as a subquery of the link table
    alone (the related manager's join costs more to build, once per audience)."""
    field = type(subject)._meta.get_field(name)
    links = field.remote_field.through.objects.filter(**{f"{field.m2m_field_name()}_id": subject.pk})
    return links.values(f"{field.m2m_reverse_field_name()}_id")


def rates_by_department(subjects):
    """{key: per department of the active audience: people, how many of them are done, and the
    rate} for each ``(key, audience, done)`` of ``subjects`` (``done``: a condition on a user),
    all in one query whatever their number. Departments without anyone of an audience are left
    out of its rows, no department last."""
    subjects = list(subjects)
    if not subjects:
        return {}
    counts = {}
    for n, (_key, audience, done) in enumerate(subjects):
        within = _audience(audience)
        counts[f"total_{n}"] = Count("id", filter=within)
        counts[f"done_{n}"] = Count("id", filter=done if within is None else within & done)
    rows = list(
        get_user_model()
        .objects.filter(is_active=True)
        .values("department_id", "department__name", "department__name_en")
        .annotate(**counts)
        .order_by(F("department__name").asc(nulls_last=True))  # no department last, on every database
    )
    return {
        key: [
            {
                "department_id": row["department_id"],
                "department": department_name(row["department__name"], row["department__name_en"]),
                "total": row[f"total_{n}"],
                "done": row[f"done_{n}"],
                "rate": round(100 * row[f"done_{n}"] / row[f"total_{n}"], 1),
            }
            for row in rows
            if row[f"total_{n}"]
        ]
        for n, (key, _audience_of, _done) in enumerate(subjects)
    }


def acknowledged(version):
    """The condition on a user of having acknowledged ``version``."""
    return Q(Exists(PolicyAcknowledgement.objects.filter(user_id=OuterRef("pk"), version_id=version.pk)))


def acknowledgement_rates(version):
    """Who of the policy's audience acknowledged ``version``, by department."""
    return rates_by_department([(version.pk, version.document, acknowledged(version))])[version.pk]


def not_acknowledged(version):
    return version.document.audience_users().exclude(acknowledgements__version=version).select_related("department")


# --- Training -------------------------------------------------------------------------------------


def add_months(day, months):
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _evidence_errors(evidence):
    """The evidence file's type, content and size (pages and API alike): the check every
    upload passes, so a program renamed cert.pdf is refused, not offered to executives."""
    try:
        check_upload(evidence, extensions={f".{extension}" for extension in EVIDENCE_EXTENSIONS})
    except ValidationError as error:
        return {"evidence": error.messages}
    return {}


def record_completion(course, user, *, person=None, completed_on, evidence=None, note=""):
    """Record that ``person`` (``user`` themselves by default) completed ``course``.
    Admins record anyone's; a person reporting their own attaches evidence."""
    person = person or user
    own = person.pk == user.pk and not user.has_perm("governance.manage_training")
    if person.pk != user.pk and not user.has_perm("governance.manage_training"):
        raise PermissionDenied
    if not user.has_perm("governance.add_trainingcompletion") and not user.has_perm("governance.manage_training"):
        raise PermissionDenied
    errors = {}
    if completed_on is None:
        errors["completed_on"] = [_("Give the date of completion.")]
    elif completed_on > timezone.localdate():
        errors["completed_on"] = [_("A completion cannot be dated in the future.")]
    if own and not evidence:
        errors["evidence"] = [_("Attach the certificate or other evidence of completion.")]
    elif evidence:
        errors.update(_evidence_errors(evidence))
    if (
        completed_on is not None
        and TrainingCompletion.objects.filter(course=course, user=person, completed_on=completed_on).exists()
    ):
        errors["completed_on"] = [_("This completion is already recorded for that day.")]
    if not course.is_active:
        errors["course"] = [_("This course is no longer offered.")]
    if errors:
        raise ValidationError(errors)
    expires_on = add_months(completed_on, course.validity_months) if course.validity_months else None
    try:
        with transaction.atomic():
            completion = TrainingCompletion.objects.create(
                course=course,
                user=person,
                completed_on=completed_on,
                expires_on=expires_on,
                source=CompletionSource.SELF if own else CompletionSource.ADMIN,
                evidence=evidence or "",
                note=note or "",
                recorded_by=user,
            )
            record_event(
                course,
                EducationAuditAction.RECORD_TRAINING,
                user,
                data={
                    "user": person.username,
                    "completed_on": completed_on.isoformat(),
                    "expires_on": expires_on.isoformat() if expires_on else None,
                    "source": completion.source,
                },
            )
    except IntegrityError:
        raise ValidationError({"completed_on": [_("This completion is already recorded for that day.")]}) from None
    return completion


def remove_completion(completion, user, reason):
    """An admin withdraws a wrong record (e.g. evidence that does not hold), with a reason."""
    if not user.has_perm("governance.manage_training"):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason; it is kept in the audit trail.")]})
    with transaction.atomic():
        record_event(
            completion.course,
            EducationAuditAction.REMOVE_TRAINING,
            user,
            comment=reason,
            data={"user": completion.user.username, "completed_on": completion.completed_on.isoformat()},
        )
        evidence = completion.evidence
        completion.delete()
        if evidence:
            storage, name = evidence.storage, evidence.name
            transaction.on_commit(lambda: storage.delete(name))


def trained(course, on=None):
    """The condition on a user of holding a completion of ``course`` valid on ``on``."""
    on = on or timezone.localdate()
    valid = TrainingCompletion.objects.filter(user_id=OuterRef("pk"), course_id=course.pk, completed_on__lte=on)
    return Q(Exists(valid.valid(on)))


def completion_rates(course, on=None):
    """Who of the course's audience holds a valid completion on ``on``, by department (SQL)."""
    return rates_by_department([(course.pk, course, trained(course, on))])[course.pk]


def valid_completion_users(course, on=None):
    on = on or timezone.localdate()
    return TrainingCompletion.objects.filter(course=course, completed_on__lte=on).valid(on).values("user")


# --- Step 6 of the roadmap, for a use case and for the organisation --------------------------------


def use_case_people(use_case):
    """The people who use a use case: its department's active members and its owner."""
    return get_user_model().objects.filter(
        Q(department_id=use_case.department_id) | Q(pk=use_case.owner_id), is_active=True
    )


def education_gaps(people):
    """What the rules-and-education gate checks for ``people``: per policy in force that
    needs acknowledging, and per required course, among those that apply to at least one
    of them, the ones of them who have not acknowledged it / hold no valid completion.
    None for either when nothing of that kind applies to them: the gate stays shut."""
    people_ids = list(people.values_list("pk", flat=True))
    versions = PolicyVersion.objects.filter(
        status=PolicyVersionStatus.PUBLISHED, document__is_active=True, document__requires_acknowledgement=True
    ).select_related("document")
    policy_gaps = []
    for version in versions:
        concerned = version.document.audience_users().filter(pk__in=people_ids)
        if concerned.exists():
            missing = concerned.exclude(acknowledgements__version=version)
            policy_gaps.append((version, list(missing.values_list("username", flat=True))))
    training_gaps = []
    for course in TrainingCourse.objects.filter(is_active=True, required=True):
        concerned = course.audience_users().filter(pk__in=people_ids)
        if concerned.exists():
            missing = concerned.exclude(pk__in=valid_completion_users(course))
            training_gaps.append((course, list(missing.values_list("username", flat=True))))
    return policy_gaps or None, training_gaps or None


# --- Prompt library ---------------------------------------------------------------------------------

PROMPT_FIELDS = ("title", "category", "style", "body", "example_output", "notes")
# (from status, action) -> to status; who may act is checked by the service.
PROMPT_TRANSITIONS = {
    (PromptStatus.DRAFT, "approve"): PromptStatus.APPROVED,
    (PromptStatus.RETIRED, "approve"): PromptStatus.APPROVED,
    (PromptStatus.DRAFT, "retire"): PromptStatus.RETIRED,
    (PromptStatus.APPROVED, "retire"): PromptStatus.RETIRED,
}


def can_approve_prompts(user):
    return user.is_authenticated and user.has_perm("governance.approve_prompttemplate")


def can_edit_prompt(prompt, user):
    """The owner edits their prompt (an approved one goes back to draft); approvers edit any."""
    return user.is_authenticated and (
        can_approve_prompts(user) or (prompt.owner_id == user.pk and prompt.status != PromptStatus.RETIRED)
    )


def create_prompt(user, fields):
    if not user.has_perm("governance.add_prompttemplate"):
        raise PermissionDenied
    with transaction.atomic():
        prompt = PromptTemplate.objects.create(
            owner=user, **{name: fields[name] for name in PROMPT_FIELDS if name in fields}
        )
        record_event(prompt, AuditAction.CREATE, user, to_state=prompt.status)
    return prompt


def update_prompt(prompt, user, fields):
    with transaction.atomic():
        locked = PromptTemplate.objects.select_for_update().get(pk=prompt.pk)
        if not can_edit_prompt(locked, user):
            raise PermissionDenied
        changes = field_changes(locked, {name: fields[name] for name in PROMPT_FIELDS if name in fields})
        if not changes:
            return locked
        for name in changes:
            setattr(locked, name, fields[name])
        from_state = locked.status
        # A changed text needs a reviewer's approval again, unless another reviewer changed it.
        if locked.status == PromptStatus.APPROVED and (not can_approve_prompts(user) or locked.owner_id == user.pk):
            locked.status, locked.approved_by, locked.approved_at = PromptStatus.DRAFT, None, None
        locked.save()
        record_event(locked, AuditAction.UPDATE, user, from_state=from_state, to_state=locked.status, changes=changes)
    return locked


def decide_prompt(prompt, user, action, comment=""):
    """Approve (or restore) or retire a prompt. Approving is a reviewer's, never the author's own;
    the owner may retire their own prompt."""
    with transaction.atomic():
        locked = PromptTemplate.objects.select_for_update().get(pk=prompt.pk)
        # Who may act first, then whether the prompt's status allows it.
        if action == "approve" and (not can_approve_prompts(user) or locked.owner_id == user.pk):
            raise PermissionDenied
        if action == "retire" and not (can_approve_prompts(user) or locked.owner_id == user.pk):
            raise PermissionDenied
        to_state = PROMPT_TRANSITIONS.get((locked.status, action))
        if to_state is None:
            message = _("This is not possible while the prompt is %(status)s.") % {
                "status": locked.get_status_display()
            }
            raise ValidationError({"status": [message]})
        from_state = locked.status
        locked.status = to_state
        if to_state == PromptStatus.APPROVED:
            locked.approved_by, locked.approved_at = user, timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        action_code = EducationAuditAction.APPROVE_PROMPT if action == "approve" else EducationAuditAction.RETIRE_PROMPT
        record_event(locked, action_code, user, from_state=from_state, to_state=to_state, comment=comment)
    return locked


def record_prompt_use(prompt, user):
    """Count one use of an approved prompt (a conditional UPDATE: concurrent copies all count)."""
    visible = PromptTemplate.objects.visible_to(user).filter(pk=prompt.pk, status=PromptStatus.APPROVED)
    if visible.update(usage_count=F("usage_count") + 1) != 1:
        raise ValidationError({"status": [_("Only approved prompts are counted as used.")]})
    return PromptTemplate.objects.values_list("usage_count", flat=True).get(pk=prompt.pk)


def rate_prompt(prompt, user, stars, comment=""):
    """One rating per person (a second one replaces the first); the prompt keeps the totals."""
    if not PromptTemplate.objects.visible_to(user).filter(pk=prompt.pk, status=PromptStatus.APPROVED).exists():
        raise PermissionDenied
    if prompt.owner_id == user.pk:
        raise ValidationError({"stars": [_("You cannot rate your own prompt.")]})
    if stars not in range(1, 6):
        raise ValidationError({"stars": [_("Give one to five stars.")]})
    with transaction.atomic():
        locked = PromptTemplate.objects.select_for_update().get(pk=prompt.pk)
        PromptRating.objects.update_or_create(template=locked, user=user, defaults={"stars": stars, "comment": comment})
        totals = PromptRating.objects.filter(template=locked).aggregate(count=Count("id"), total=Sum("stars"))
        locked.rating_count, locked.rating_total = totals["count"], totals["total"] or 0
        locked.save(update_fields=["rating_count", "rating_total"])
    return locked


def _gap_item(code, label, gaps, nothing_in_place):
    """One gate item from ``education_gaps``: met when nobody is missing anything."""
    if gaps is None:
        return GateItem(code, str(label), False, str(nothing_in_place))
    missing = [(subject, names) for subject, names in gaps if names]
    detail = "; ".join(
        f"{subject.document.title if isinstance(subject, PolicyVersion) else subject.title}: "
        f"{', '.join(names[:5])}{' …' if len(names) > 5 else ''}"
        for subject, names in missing
    )
    return GateItem(code, str(label), not missing, detail)


def rules_gate_items(use_case, facts=None):
    """Step 6 of a use case: its people acknowledged the policies in force and hold valid
    training in the required courses (each applying to them)."""
    policy_gaps, training_gaps = education_gaps(use_case_people(use_case))
    return [
        _gap_item(
            "rules.acknowledged",
            _("The use case's people have acknowledged the usage rules in force"),
            policy_gaps,
            _("No usage rule that needs acknowledging is in force for these people yet."),
        ),
        _gap_item(
            "rules.trained",
            _("The use case's people hold valid training in the required courses"),
            training_gaps,
            _("No required training course applies to these people yet."),
        ),
    ]


def organisation_rules_items():
    """Step 6 for the organisation: rules in force and a required course, with the rates so far."""
    versions = PolicyVersion.objects.filter(
        status=PolicyVersionStatus.PUBLISHED, document__is_active=True, document__requires_acknowledgement=True
    )
    courses = TrainingCourse.objects.filter(is_active=True, required=True)
    return [
        GateItem(
            "org.rules_published",
            str(_("Usage rules or prompt guidelines are in force and must be acknowledged")),
            versions.exists(),
        ),
        GateItem("org.training", str(_("A required training course is set up")), courses.exists()),
    ]
