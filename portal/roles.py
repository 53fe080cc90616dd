"""The four roles, as Django groups with permissions.

``ROLE_PERMISSIONS`` is what the roles data migration installed; later migrations
that add permissions to a role also add them here, so the two stay one story.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    REVIEWER = "reviewer", _("Reviewer")
    EXECUTIVE = "executive", _("Executive")
    GOVERNANCE_ADMIN = "governance_admin", _("Governance admin")


_READ_INVENTORY = ["usecases.view_usecase", "portal.view_department"]
_READ_ALL = [*_READ_INVENTORY, "usecases.view_all_usecases"]

ROLE_PERMISSIONS = {
    Role.REQUESTER: [*_READ_INVENTORY, "usecases.add_usecase", "usecases.change_usecase"],
    Role.REVIEWER: [*_READ_ALL, "usecases.review_usecase"],
    Role.EXECUTIVE: [*_READ_ALL],
    Role.GOVERNANCE_ADMIN: [
        *_READ_ALL,
        "usecases.add_usecase",
        "usecases.change_usecase",
        "usecases.review_usecase",
        "portal.add_department",
        "portal.change_department",
        "portal.view_user",
        "portal.add_user",
        "portal.change_user",
        "portal.view_auditevent",
    ],
}


def has_role(user, *roles):
    """True when the user holds any of ``roles`` (superusers hold every role)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user.role_names & {str(role) for role in roles})
