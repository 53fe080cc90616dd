from django.utils.translation import gettext_lazy as _

from dashboard import worklist
from governance.models import Notification
from imports.services import may_import
from portal.roles import Role, has_role


def navigation(request):
    """Navigation entries the user's role may use; the views check again. An entry is
    ``(url name, label)``, or ``(None, label, [(url name, label), ...])`` for a menu."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    items = [("home", _("Home"))]
    if user.has_perm("usecases.view_all_usecases"):
        items.append(("dashboard", _("Dashboard")))
    if user.has_perm("usecases.view_usecase"):
        items.append(("usecases:list", _("Use cases")))
        items.append(("usecases:organisation-roadmap", _("Roadmap")))
    if user.has_perm("usecases.add_usecase"):
        items.append(("usecases:create", _("Register a use case")))
    if user.has_perm("vendors.view_vendor"):
        items.append(("vendors:list", _("Vendors")))
        items.append(("vendors:model-list", _("AI models")))
    if user.has_perm("vendors.view_questionnairetemplate"):
        items.append(("vendors:template-list", _("Questionnaires")))
    if user.has_perm("governance.decide_approvalstage"):
        items.append(("governance:queue", _("Review queue")))
    items.append(("governance:matrix", _("Classification")))
    if user.has_perm("governance.view_policydocument"):
        items.append(
            (
                None,
                _("Rules and education"),
                [
                    ("governance:policy-list", _("Usage rules and guidelines")),
                    ("governance:course-list", _("Training")),
                    ("governance:prompt-list", _("Prompt library")),
                ],
            )
        )
    if may_import(user):
        items.append(("imports:index", _("Import")))
    items.append(("incidents:list", _("Incidents")))
    if user.has_perm("portal.view_auditevent"):
        items.append(("governance:audit", _("Audit trail")))
    if user.has_perm("governance.view_reminder"):
        items.append(("governance:reminders", _("Reminders")))
    items.append((None, _("API"), [("api-docs", _("API documentation")), ("api-tokens", _("Your API tokens"))]))
    return {
        "nav_items": [item if len(item) == 3 else (*item, None) for item in items],
        "nav_admin": user.is_staff and (user.is_superuser or has_role(user, Role.GOVERNANCE_ADMIN)),
        "user_roles": [Role(name).label for name in sorted(user.role_names) if name in Role.values],
        "unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        # The same querysets as the home page's task list, counted in one query.
        "task_count": worklist.total(user),
    }
