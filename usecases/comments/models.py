"""The comment model (imported by ``usecases.models`` so Django registers it with the app)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.validators import validate_visible_text

BODY_MAX_LENGTH = 5000


class Comment(models.Model):
    """One message in the conversation on a use case."""

    use_case = models.ForeignKey(
        "usecases.UseCase", verbose_name=_("use case"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    # A reply names the comment it answers; a comment with replies cannot be deleted.
    parent = models.ForeignKey(
        "self", verbose_name=_("in reply to"), on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(_("comment"), max_length=BODY_MAX_LENGTH, validators=[validate_visible_text])
    # The people named with @username, resolved when the comment was written or edited.
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("mentions"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("written on"), default=timezone.now, editable=False)
    edited_at = models.DateTimeField(_("edited on"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["use_case", "created_at"], name="usecases_comment_thread_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(body=""), name="usecases_comment_body_not_empty"),
            models.CheckConstraint(
                condition=models.Q(edited_at__isnull=True) | models.Q(edited_at__gte=models.F("created_at")),
                name="usecases_comment_edited_after_written",
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | ~models.Q(parent=models.F("id")),
                name="usecases_comment_not_own_parent",
            ),
        ]

    def __str__(self):
        return f"{self.use_case.reference} #{self.pk}" if self.use_case_id else f"#{self.pk}"

    def get_absolute_url(self):
        return f"{self.use_case.get_absolute_url()}#comment-{self.pk}"
