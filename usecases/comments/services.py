"""Posting, editing and deleting comments: the only code that writes ``Comment``.

Each change locks the use case's row, so a comment cannot be deleted while a later one
is being posted; each is audited and the notices are published in the same transaction.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.events import publish
from portal.exceptions import Conflict, Forbidden, NotFound
from portal.services import field_changes, record_event, snapshot_changes
from portal.validators import validate_visible_text
from usecases.choices import CommentAuditAction
from usecases.comments import mentions, thread
from usecases.comments.models import BODY_MAX_LENGTH, Comment
from usecases.comments.people import person_name, who_can_see
from usecases.models import UseCase

EXCERPT_LENGTH = 200


class NotTheAuthor(Forbidden):
    def __init__(self):
        super().__init__(_("Only the author can change or delete a comment."))


class EditWindowClosed(Conflict):
    def __init__(self, minutes):
        super().__init__(
            _("A comment can be edited for %(minutes)s minutes after it is posted; this one can no longer be edited.")
            % {"minutes": minutes}
        )


class CommentAnswered(Conflict):
    def __init__(self):
        super().__init__(
            _("This comment cannot be deleted: someone has commented after it. Post a correction instead.")
        )


def edit_minutes():
    return getattr(settings, "COMMENT_EDIT_WINDOW_MINUTES", 15)


def edit_window():
    return timedelta(minutes=edit_minutes())


def clean_body(body):
    """The body as stored: surrounding blanks removed; empty, too long or invisible is refused."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write a comment.")]})
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            {
                "body": [
                    _("A comment has at most %(max)s characters (this one has %(count)s).")
                    % {"max": BODY_MAX_LENGTH, "count": len(body)}
                ]
            }
        )
    try:
        validate_visible_text(body)
    except ValidationError as error:
        raise ValidationError({"body": error.messages}) from error
    return body


def _locked_use_case(use_case, user):
    """The use case, row-locked, if ``user`` may read it (else 404: nothing said about why)."""
    try:
        return UseCase.objects.visible_to(user).select_for_update().get(pk=use_case.pk)
    except UseCase.DoesNotExist:
        raise NotFound(_("No such use case.")) from None


def _locked_comment(comment, use_case):
    try:
        return Comment.objects.select_for_update().get(pk=comment.pk, use_case=use_case)
    except Comment.DoesNotExist:
        raise NotFound(_("No such comment.")) from None


def can_edit(comment, user, now=None):
    return comment.author_id == user.pk and (now or timezone.now()) <= comment.created_at + edit_window()


def later_comments(comment):
    return (
        Comment.objects.filter(use_case_id=comment.use_case_id, created_at__gte=comment.created_at)
        .exclude(pk=comment.pk)
        .exclude(created_at=comment.created_at, pk__lt=comment.pk)
    )


def _params(comment, use_case, user):
    return {
        "use_case": use_case.reference,
        "title": use_case.title,
        "author": person_name(user),
        "excerpt": comment.body[:EXCERPT_LENGTH],
    }


def _announce(comment, use_case, user, mentioned, *, new_mentions, edited_at=None):
    """``comment.mentioned`` to the people newly named; for a new comment (no ``edited_at``),
    ``comment.posted`` to the others concerned who can still see the use case."""
    params = _params(comment, use_case, user)
    named = [person.pk for person in new_mentions if person.pk != user.pk]
    if named:
        key = f"comment.mentioned:{comment.pk}"
        if edited_at is not None:  # each edit's new mentions are another occurrence
            key = f"{key}:{edited_at.isoformat()}"
        publish("comment.mentioned", comment, key=key, recipients=named, actor=user, **params)
    if edited_at is not None:
        return  # an edit tells only the people it newly mentions
    skip = {user.pk} | {person.pk for person in mentioned}
    candidates = [pk for pk in thread.followers(use_case) if pk not in skip]
    allowed = set(who_can_see(use_case).filter(pk__in=candidates).values_list("pk", flat=True))
    recipients = [pk for pk in candidates if pk in allowed]
    if recipients:  # an empty list would let the sink pick its defaults
        publish(
            "comment.posted", comment, key=f"comment.posted:{comment.pk}", recipients=recipients, actor=user, **params
        )


def post_comment(use_case, user, body, parent=None):
    """Add ``user``'s comment (optionally a reply to ``parent``) to ``use_case``'s thread."""
    body = clean_body(body)
    with transaction.atomic():
        use_case = _locked_use_case(use_case, user)
        if (
            parent is not None
            and not Comment.objects.filter(pk=getattr(parent, "pk", parent), use_case=use_case).exists()
        ):
            raise ValidationError({"parent": [_("Reply to a comment of this use case.")]})
        mentioned = mentions.resolve(use_case, body)
        comment = Comment(use_case=use_case, author=user, body=body, parent_id=getattr(parent, "pk", parent))
        comment.full_clean(exclude=["use_case", "author", "parent"])
        comment.save()
        comment.mentions.set(mentioned)
        record_event(
            comment,
            CommentAuditAction.POST_COMMENT,
            user,
            data={
                "use_case": use_case.reference,
                "parent": comment.parent_id,
                "mentions": [u.username for u in mentioned],
            },
            changes=field_changes(Comment(), {"body": body}),
        )
        _announce(comment, use_case, user, mentioned, new_mentions=mentioned)
    return comment


def edit_comment(comment, user, body, now=None):
    """Change the text of ``user``'s own comment, within the edit window."""
    body = clean_body(body)
    now = now or timezone.now()
    with transaction.atomic():
        use_case = _locked_use_case(comment.use_case, user)
        comment = _locked_comment(comment, use_case)
        if comment.author_id != user.pk:
            raise NotTheAuthor()
        if not can_edit(comment, user, now):
            raise EditWindowClosed(edit_minutes())
        if body == comment.body:
            return comment
        mentioned = mentions.resolve(use_case, body)
        before_mentions = set(comment.mentions.values_list("username", flat=True))
        changes = field_changes(comment, {"body": body})
        after_names = [person.username for person in mentioned]
        changes.update(snapshot_changes({"mentions": sorted(before_mentions)}, {"mentions": sorted(after_names)}))
        comment.body, comment.edited_at = body, now
        comment.save(update_fields=["body", "edited_at"])
        comment.mentions.set(mentioned)
        record_event(
            comment, CommentAuditAction.EDIT_COMMENT, user, data={"use_case": use_case.reference}, changes=changes
        )
        new = [person for person in mentioned if person.username not in before_mentions]
        _announce(comment, use_case, user, mentioned, new_mentions=new, edited_at=now)
    return comment


def delete_comment(comment, user):
    """Remove ``user``'s own comment, while nobody has commented after it."""
    with transaction.atomic():
        use_case = _locked_use_case(comment.use_case, user)
        comment = _locked_comment(comment, use_case)
        if comment.author_id != user.pk:
            raise NotTheAuthor()
        if later_comments(comment).exists():
            raise CommentAnswered()
        record_event(
            comment,
            CommentAuditAction.DELETE_COMMENT,
            user,
            data={"use_case": use_case.reference, "parent": comment.parent_id},
            changes=field_changes(comment, {"body": ""}),
        )
        comment.delete()
