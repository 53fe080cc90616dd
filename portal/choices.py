from django.db import models
from django.utils.translation import gettext_lazy as _


class UserLanguage(models.TextChoices):
    JAPANESE = "ja", _("Japanese")
    ENGLISH = "en", _("English")


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    SUBMIT = "submit", _("submitted")
    WITHDRAW = "withdraw", _("withdrawn")
    IMPORT = "import", _("imported")
