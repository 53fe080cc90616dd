from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.registry import Registry


class UserLanguage(models.TextChoices):
    JAPANESE = "ja", _("Japanese")
    ENGLISH = "en", _("English")


class NotificationFrequency(models.TextChoices):
    """How a person wants the e-mails of notices that do not wait for their decision."""

    IMMEDIATE = "immediate", _("One e-mail for each notice")
    DIGEST = "digest", _("One e-mail a day (daily digest)")
    OFF = "off", _("No e-mail (in-app notifications only)")


class DataClassification(models.TextChoices):
    """The four levels of data, lowest first (vendors are approved up to one of them)."""

    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    CONFIDENTIAL = "confidential", _("Confidential")
    RESTRICTED = "restricted", _("Restricted")


class AuditAction(models.TextChoices):
    CREATE = "create", pgettext_lazy("audit action", "created")
    UPDATE = "update", pgettext_lazy("audit action", "updated")
    DELETE = "delete", pgettext_lazy("audit action", "deleted")
    SUBMIT = "submit", pgettext_lazy("audit action", "submitted")
    WITHDRAW = "withdraw", pgettext_lazy("audit action", "withdrawn")
    IMPORT = "import", pgettext_lazy("audit action", "imported")
    RECORD_MEASUREMENT = "record_measurement", pgettext_lazy("audit action", "recorded a KPI measurement")
    REVOKE = "revoke", pgettext_lazy("audit action", "revoked")
    SSO_SIGN_IN = "sso_sign_in", pgettext_lazy("audit action", "signed in through single sign-on")
    SSO_REFUSED = "sso_refused", pgettext_lazy("audit action", "refused at single sign-on")
    PASSWORD_RESET = "password_reset", pgettext_lazy("audit action", "reset the password")


# Labels of audit actions for display. The column holds plain strings (no choices), so
# an app adding an action adds its labels here (``AUDIT_ACTION_LABELS.update(choices.choices)``
# in its ``install()``) instead of migrating portal.
AUDIT_ACTION_LABELS = Registry("portal.choices.AUDIT_ACTION_LABELS", "audit action -> label")
AUDIT_ACTION_LABELS.update(AuditAction.choices)
