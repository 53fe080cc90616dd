"""People, departments and the cross-cutting records every app writes.

The audit trail and reference sequences live here, at the bottom of the dependency
graph, so that ``vendors``, ``usecases`` and ``governance`` can all write them
without depending on each other.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.choices import AUDIT_ACTION_LABELS, NotificationFrequency, UserLanguage
from portal.querysets import AuditEventQuerySet, DepartmentQuerySet


def department_name(name, name_en):
    """A department's name for the reader: the English one on English pages when there is one.
    Works on rows read with ``values()`` too, so aggregates need not load departments."""
    return name_en if name_en and (get_language() or "ja").startswith("en") else (name or "")


def department_label(department):
    """``label_from_instance`` for department menus: each name in the reader's language."""
    return department.localized_name


def label_states(events, *choice_sets):
    """Give audit events ``from_label``/``to_label``: the states' labels in the reader's
    language (events store codes), the code itself when no choice set knows it."""
    labels = {}
    for choices in choice_sets:
        labels.update(choices.choices)
    events = list(events)
    for event in events:
        event.from_label = labels.get(event.from_state, event.from_state)
        event.to_label = labels.get(event.to_state, event.to_state)
    return events


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name

    @property
    def localized_name(self):
        """The English name on English pages when there is one (``__str__`` stays the Japanese name)."""
        return department_name(self.name, self.name_en)


class User(AbstractUser):
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
    )
    language = models.CharField(
        _("preferred language"), max_length=5, choices=UserLanguage.choices, default=UserLanguage.JAPANESE
    )
    email_notifications = models.CharField(
        _("e-mail notifications"),
        max_length=10,
        choices=NotificationFrequency.choices,
        default=NotificationFrequency.IMMEDIATE,
        help_text=_(
            "How notices reach you by e-mail. A decision waiting for you and overdue items are always "
            "e-mailed at once; every notice is also in your in-app inbox."
        ),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.username

    def _load_roles(self):
        """Cache the user's group ids, group names and (unless superuser) permissions, in one query.

        Django reads permissions in two queries (own and groups'), and role names and review
        groups were two more; one query here, cached on the object for the request like Django's
        ``_perm_cache``, which ModelBackend then reads.
        """
        permissions = (
            Permission.objects.filter(Q(user=self) | Q(group__user=self))
            .values_list("content_type__app_label", "codename", Value(None, output_field=models.IntegerField()))
            .order_by()
        )
        # A group row has no app label: its name and id in the last two columns.
        groups = Group.objects.filter(user=self).values_list(Value("", output_field=models.CharField()), "name", "pk")
        perms, group_ids, names = set(), set(), set()
        for app_label, name, group_id in permissions.union(groups.order_by()) if self.pk else ():
            if group_id is None:
                perms.add(f"{app_label}.{name}")
            else:
                group_ids.add(group_id)
                names.add(name)
        self._group_ids = frozenset(group_ids)
        self._role_names = frozenset(names)
        if self.is_active and not self.is_superuser:
            self._perm_cache = perms

    def _roles_once(self, obj):
        if obj is None and self.is_active and not self.is_superuser and not hasattr(self, "_perm_cache"):
            self._load_roles()

    def has_perm(self, perm, obj=None):
        self._roles_once(obj)
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        self._roles_once(None)
        return super().has_module_perms(app_label)

    def get_all_permissions(self, obj=None):
        self._roles_once(obj)
        return super().get_all_permissions(obj)

    @property
    def role_names(self):
        """Names of the user's role groups, read once per request (with the permissions)."""
        if not hasattr(self, "_role_names"):
            self._load_roles()
        return self._role_names

    @property
    def group_ids(self):
        """Ids of the user's groups (roles and review groups), read once per request (with the permissions)."""
        if not hasattr(self, "_group_ids"):
            self._load_roles()
        return self._group_ids


class ReferenceSequence(models.Model):
    """One counter per scope (e.g. ``UC-2026``), incremented under a row lock."""

    scope = models.CharField(_("scope"), max_length=40, unique=True)
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("reference sequence")
        verbose_name_plural = _("reference sequences")

    def __str__(self):
        return f"{self.scope}: {self.last_value}"


class AuditEvent(models.Model):
    """An append-only record of a state change or decision.

    Updates and deletes are refused here, in the queryset, and on PostgreSQL by a
    trigger, so nobody (including the admin) can rewrite history.
    """

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The actor's name as it was then: renaming or deleting an account does not rewrite history.
    actor_name = models.CharField(_("name at the time"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=40, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200)
    from_state = models.CharField(_("from"), max_length=40, blank=True)
    to_state = models.CharField(_("to"), max_length=40, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # {"field": [before, after], ...} for edits.
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"], name="portal_audit_object_idx")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.object_repr} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def get_action_display(self):
        return AUDIT_ACTION_LABELS.get(self.action, self.action)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 hash is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key):
        return hashlib.sha256(key.encode()).hexdigest()


# Sign-in models live in their own module (single sign-on, password-reset throttle).
from portal.auth_models import ExternalIdentity, PasswordResetRequest, SsoGroupMapping  # noqa: E402, F401
