"""Why a single sign-on was refused: one reason per case, each with the page's words."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    PROVIDER_UNREACHABLE = "provider_unreachable", _("The identity provider could not be reached.")
    STATE_INVALID = "state_invalid", _("The sign-in could not be verified: it expired or was started elsewhere.")
    PROVIDER_REFUSED = "provider_refused", _("The identity provider refused the sign-in.")
    TOKEN_INVALID = "token_invalid", _("The identity provider's answer failed its security checks.")
    EMAIL_MISSING = "email_missing", _("The identity provider did not send your e-mail address.")
    EMAIL_UNVERIFIED = "email_unverified", _("The identity provider has not verified your e-mail address.")
    ACCOUNT_DISABLED = "account_disabled", _("Your account is disabled.")
    NO_ROLE = "no_role", _("None of your groups gives access to this portal.")
    AMBIGUOUS = "ambiguous", _("More than one portal account has your e-mail address.")


# What the reader can do about it.
ADVICE = {
    Reason.PROVIDER_UNREACHABLE: _("Please try again in a few minutes. If it persists, tell the IT help desk."),
    Reason.STATE_INVALID: _("Please start the sign-in again from this portal's sign-in page."),
    Reason.PROVIDER_REFUSED: _("If you think you should have access, ask the IT help desk."),
    Reason.TOKEN_INVALID: _("Please try again. If it persists, tell the IT help desk."),
    Reason.EMAIL_MISSING: _("Ask the IT help desk to release the e-mail claim to this portal."),
    Reason.EMAIL_UNVERIFIED: _("Verify your e-mail address with the identity provider, then sign in again."),
    Reason.ACCOUNT_DISABLED: _("If you think this is a mistake, ask the IT help desk."),
    Reason.NO_ROLE: _("Ask the governance team to add you to a group that gives a role in this portal."),
    Reason.AMBIGUOUS: _("Ask the governance team to merge or rename the accounts."),
}

STATUS = {
    Reason.PROVIDER_UNREACHABLE: 503,
    Reason.STATE_INVALID: 400,
}


class SsoRefused(Exception):
    """A refused single sign-on. ``detail`` is for the audit trail (never a secret or token)."""

    def __init__(self, reason, *, detail="", email="", user=None):
        super().__init__(reason)
        self.reason = Reason(reason)
        self.detail = str(detail)[:500]
        self.email = email or ""
        self.user = user

    @property
    def status(self):
        return STATUS.get(self.reason, 403)
