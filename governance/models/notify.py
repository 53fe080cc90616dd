"""The in-app inbox entry and the team-chat destinations of the notification outbox."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.choices import ChatKind
from governance.notify import crypto
from governance.querysets import NotificationQuerySet
from portal.choices import UserLanguage
from portal.constraints import in_choices


class Notification(models.Model):
    """An entry of a user's in-app inbox; made once per outbox row, read in any language."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    reminder = models.OneToOneField(
        "governance.Reminder", verbose_name=_("reminder"), on_delete=models.CASCADE, related_name="notification"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        app_label = "governance"
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="gov_notification_inbox_idx")]

    def __str__(self):
        return f"{self.user}: {self.reminder}"


class ChatDestination(models.Model):
    """A team-chat channel (its incoming webhook) told of a review group's or a department's events.

    The webhook URL is a secret (whoever has it can post to the channel): stored encrypted,
    written in the admin but never shown back, and scrubbed from recorded errors.
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("service"), max_length=10, choices=ChatKind.choices)
    webhook_encrypted = models.TextField(editable=False)
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("review group"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_destinations",
        help_text=_("Told of the decisions waiting for this group (submissions, stage events)."),
    )
    department = models.ForeignKey(
        "portal.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_destinations",
        help_text=_("Told of what happens to this department's use cases (decisions, exceptions)."),
    )
    language = models.CharField(
        _("language"), max_length=5, choices=UserLanguage.choices, default=UserLanguage.JAPANESE
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        app_label = "governance"
        ordering = ["name", "pk"]
        verbose_name = _("chat destination")
        verbose_name_plural = _("chat destinations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(group__isnull=False, department__isnull=True)
                | models.Q(group__isnull=True, department__isnull=False),
                name="governance_chatdestination_one_audience",
            ),
            models.CheckConstraint(
                condition=in_choices("kind", ChatKind), name="governance_chatdestination_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def webhook_url(self):
        return crypto.decrypt(self.webhook_encrypted)

    @webhook_url.setter
    def webhook_url(self, value):
        self.webhook_encrypted = crypto.encrypt(value)

    @property
    def webhook_display(self):
        """What pages show: "https://hooks.slack.com/…(set)", never the URL."""
        shown = crypto.masked(self.webhook_url)
        return f"{shown}(set)" if shown else ""
