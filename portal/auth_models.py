"""Models of sign-in: the group-claim mapping of single sign-on, the people's identities at the
identity provider, and the password-reset requests counted by the throttle."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SsoGroupMapping(models.Model):
    """One group of the identity provider's group claim -> one portal group (a role or a review
    group). Edited by governance admins in the admin; every single sign-on re-applies it."""

    claim_value = models.CharField(
        _("group at the identity provider"),
        max_length=255,
        help_text=_(
            "The value exactly as the provider sends it in the group claim: a group name, or the group's "
            "object id for Microsoft Entra ID."
        ),
    )
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("portal role or review group"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        ordering = ["claim_value", "group__name"]
        verbose_name = _("single sign-on group mapping")
        verbose_name_plural = _("single sign-on group mappings")
        constraints = [
            models.UniqueConstraint(fields=["claim_value", "group"], name="portal_sso_mapping_unique"),
            models.CheckConstraint(condition=~models.Q(claim_value=""), name="portal_sso_mapping_claim_set"),
        ]

    def __str__(self):
        return f"{self.claim_value} → {self.group.name}"


class ExternalIdentity(models.Model):
    """A person's account at the identity provider (issuer + subject), linked on first sign-in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="external_identities",
    )
    issuer = models.CharField(_("identity provider"), max_length=300)
    subject = models.CharField(_("subject at the provider"), max_length=255)
    created_at = models.DateTimeField(_("linked at"), default=timezone.now)
    last_sign_in_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="portal_external_identity_unique"),
        ]

    def __str__(self):
        return f"{self.subject} @ {self.issuer}"


class PasswordResetRequest(models.Model):
    """One password-reset request, counted per address and per e-mail for the throttle. The
    e-mail is kept only as a keyed digest; rows older than a day are removed."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    email_digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = _("password reset request")
        verbose_name_plural = _("password reset requests")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.client_ip or '-'}"
