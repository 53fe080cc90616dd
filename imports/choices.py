from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    USE_CASES = "use_cases", _("Use cases")
    VENDORS = "vendors", _("Vendors")
    AI_MODELS = "ai_models", _("AI models")


# Who may import each kind (checked again by the services the rows go through).
KIND_PERMISSIONS = {
    ImportKind.USE_CASES: "usecases.add_usecase",
    ImportKind.VENDORS: "vendors.add_vendor",
    ImportKind.AI_MODELS: "vendors.add_aimodel",
}


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("Checking the file")
    READY = "ready", _("Ready to import")
    INVALID = "invalid", _("Errors to correct")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed: nothing was imported")


RUNNING_STATES = frozenset({ImportStatus.CHECKING, ImportStatus.IMPORTING})


class RowOutcome(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    UNCHANGED = "unchanged", _("Unchanged")
    SKIP = "skip", _("Skip")
    ERROR = "error", _("Error")
