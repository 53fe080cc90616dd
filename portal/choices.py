from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UserLanguage(models.TextChoices):
    JAPANESE = "ja", _("Japanese")
    ENGLISH = "en", _("English")


class AuditAction(models.TextChoices):
    CREATE = "create", pgettext_lazy("audit action", "created")
    UPDATE = "update", pgettext_lazy("audit action", "updated")
    SUBMIT = "submit", pgettext_lazy("audit action", "submitted")
    WITHDRAW = "withdraw", pgettext_lazy("audit action", "withdrawn")
    IMPORT = "import", pgettext_lazy("audit action", "imported")
    RECORD_MEASUREMENT = "record_measurement", pgettext_lazy("audit action", "recorded a KPI measurement")
