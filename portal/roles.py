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


_READ_REGISTRY = ["vendors.view_vendor", "vendors.view_aimodel", "vendors.view_licence"]
_READ_INVENTORY = ["usecases.view_usecase", "portal.view_department", *_READ_REGISTRY]
_READ_ALL = [*_READ_INVENTORY, "usecases.view_all_usecases"]

# Reviewers manage vendors, models and questionnaires, and run assessments.
_MANAGE_VENDORS = [
    "vendors.add_vendor",
    "vendors.change_vendor",
    "vendors.add_aimodel",
    "vendors.change_aimodel",
    "vendors.view_questionnairetemplate",
    "vendors.add_questionnairetemplate",
    "vendors.change_questionnairetemplate",
    "vendors.view_assessment",
    "vendors.add_assessment",
    "vendors.change_assessment",
    "vendors.decide_assessment",
]

_GOVERNANCE_SETTINGS = [
    f"governance.{verb}_{model}"
    for model in ("stagedefinition", "risktiersetting", "classificationlevel", "classificationrule")
    for verb in ("view", "change")
]

# Rules and education: everyone reads the policies, courses and prompt library, reports
# their own training (with evidence) and shares prompts; reviewers approve prompts.
_EDUCATION = [
    "governance.view_policydocument",
    "governance.view_trainingcourse",
    "governance.add_trainingcompletion",
    "governance.view_prompttemplate",
    "governance.add_prompttemplate",
]
_EDUCATION_FIGURES = ["governance.view_policyacknowledgement", "governance.view_trainingcompletion"]
_MANAGE_EDUCATION = [
    "governance.manage_policy",
    "governance.manage_training",
    "governance.approve_prompttemplate",
    *_EDUCATION_FIGURES,
]

ROLE_PERMISSIONS = {
    Role.REQUESTER: [*_READ_INVENTORY, "usecases.add_usecase", "usecases.change_usecase", *_EDUCATION],
    Role.REVIEWER: [
        *_READ_ALL,
        "usecases.review_usecase",
        *_MANAGE_VENDORS,
        "governance.decide_approvalstage",
        "portal.view_auditevent",
        *_EDUCATION,
        "governance.approve_prompttemplate",
    ],
    Role.EXECUTIVE: [
        *_READ_ALL,
        "governance.decide_approvalstage",
        "governance.grant_policyexception",
        "portal.view_auditevent",
        *_EDUCATION,
        *_EDUCATION_FIGURES,
    ],
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
        *[f"portal.{verb}_ssogroupmapping" for verb in ("view", "add", "change", "delete")],
        "portal.view_auditevent",
        *_MANAGE_VENDORS,
        "vendors.add_licence",
        "vendors.change_licence",
        "governance.manage_classification",
        "governance.grant_policyexception",
        "governance.decide_approvalstage",
        "governance.add_stagedefinition",
        *_GOVERNANCE_SETTINGS,
        "governance.view_reminder",
        "governance.change_reminder",
        "governance.view_remindersetting",
        "governance.change_remindersetting",
        "governance.view_delegation",
        "governance.add_delegation",
        "governance.change_delegation",
        "governance.view_chatdestination",
        "governance.add_chatdestination",
        "governance.change_chatdestination",
        "usecases.view_costsettings",
        "usecases.change_costsettings",
        "usecases.view_exchangerate",
        "usecases.add_exchangerate",
        "usecases.change_exchangerate",
        "usecases.delete_exchangerate",
        *_EDUCATION,
        *_MANAGE_EDUCATION,
        # The incident register's deadline rules and deadlines (incidents migration 0002).
        "incidents.view_incident",
        "incidents.view_deadlinerule",
        "incidents.add_deadlinerule",
        "incidents.change_deadlinerule",
        "incidents.view_deadline",
        "incidents.change_deadline",
    ],
}


def grant_permissions(apps, role_permissions):
    """For data migrations: create the permissions now (Django normally does it after
    all migrations) and add them to the role groups, creating the groups if needed."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def has_role(user, *roles):
    """True when the user holds any of ``roles`` (superusers hold every role)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user.role_names & {str(role) for role in roles})
