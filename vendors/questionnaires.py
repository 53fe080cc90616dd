"""Questionnaire templates: versions, sections and questions. Only a draft version
changes; publishing one retires the version before it (still readable by the assessments
that were sent with it)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.exceptions import Conflict
from portal.services import record_event
from vendors.choices import TemplateVersionStatus, VendorAuditAction
from vendors.models import Question, TemplateSection, TemplateVersion


class TemplateLocked(Conflict):
    """A published or retired template version cannot change."""

    def __init__(self, version):
        super().__init__(
            _("Version %(number)s is published and cannot change; start a new version.") % {"number": version.number}
        )


def _require_draft(version):
    if not version.is_editable:
        raise TemplateLocked(version)


def _locked_version(version):
    return TemplateVersion.objects.select_for_update().get(pk=version.pk)


def start_new_version(template, user):
    """The template's draft version; created by copying the latest version if none exists."""
    with transaction.atomic():
        # Two editors clicking at once queue here instead of both creating version n+1.
        template = type(template).objects.select_for_update().get(pk=template.pk)
        draft = template.versions.filter(status=TemplateVersionStatus.DRAFT).first()
        if draft:
            return draft
        latest = template.versions.order_by("-number").first()
        number = (template.versions.aggregate(Max("number"))["number__max"] or 0) + 1
        draft = TemplateVersion.objects.create(template=template, number=number)
        if latest is not None:
            for section in latest.sections.prefetch_related("questions"):
                questions = list(section.questions.all())
                section.pk = None
                section.version = draft
                section.save()
                for question in questions:
                    question.pk = None
                    question.section = section
                Question.objects.bulk_create(questions)
        record_event(template, VendorAuditAction.NEW_TEMPLATE_VERSION, user, to_state=f"v{number}")
    return draft


def publish_version(version, user):
    """Publish a draft; the previously published version is retired (still readable)."""
    with transaction.atomic():
        version = _locked_version(version)
        _require_draft(version)
        if not Question.objects.filter(section__version=version).exists():
            raise ValidationError(_("A version needs at least one question before it is published."))
        version.template.versions.filter(status=TemplateVersionStatus.PUBLISHED).update(
            status=TemplateVersionStatus.RETIRED
        )
        version.status = TemplateVersionStatus.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        record_event(version.template, VendorAuditAction.PUBLISH_TEMPLATE, user, to_state=f"v{version.number}")
    return version


def add_section(version, user, title_ja, title_en):
    with transaction.atomic():
        version = _locked_version(version)
        _require_draft(version)
        position = (version.sections.aggregate(Max("position"))["position__max"] or 0) + 1
        return TemplateSection.objects.create(version=version, position=position, title_ja=title_ja, title_en=title_en)


def save_question(section, user, fields, question=None):
    """Add a question to a draft section, or change one of its questions."""
    with transaction.atomic():
        _require_draft(_locked_version(section.version))
        if question is None:
            position = (section.questions.aggregate(Max("position"))["position__max"] or 0) + 1
            question = Question(section=section, position=position)
        elif question.section_id != section.pk:
            raise PermissionDenied
        for name, value in fields.items():
            setattr(question, name, value)
        question.full_clean()
        question.save()
    return question


def delete_question(question, user):
    with transaction.atomic():
        _require_draft(_locked_version(question.section.version))
        question.delete()


def move_question(question, user, offset):
    """Swap the question with its neighbour above (offset -1) or below (+1)."""
    with transaction.atomic():
        _require_draft(_locked_version(question.section.version))
        siblings = list(question.section.questions.order_by("position", "id"))
        index = next(i for i, sibling in enumerate(siblings) if sibling.pk == question.pk)
        target = index + offset
        if 0 <= target < len(siblings):
            siblings[index], siblings[target] = siblings[target], siblings[index]
            for position, sibling in enumerate(siblings, start=1):
                Question.objects.filter(pk=sibling.pk).update(position=position)
