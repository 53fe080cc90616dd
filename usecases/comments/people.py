"""Who takes part in a use case's conversation, and how their names are written."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import translation


def _holders(permission):
    """Users holding ``app_label.codename`` directly or through a group (superusers aside)."""
    app_label, codename = permission.split(".")
    direct = Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    grouped = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
    return Q(pk__in=get_user_model().objects.filter(direct | grouped).values("pk"))


def who_can_see(use_case):
    """The active users for whom ``UseCase.objects.visible_to(user)`` includes ``use_case``:
    the same rule written from the use case's side, so mentions, the autocomplete and the
    notices reach nobody the use-case page would refuse."""
    sees = Q(is_superuser=True) | _holders("usecases.view_all_usecases")
    if use_case.submitted_at is not None:
        sees |= _holders("usecases.view_usecase")
    else:
        sees |= _holders("usecases.view_usecase") & (Q(pk=use_case.owner_id) | Q(department_id=use_case.department_id))
    return get_user_model().objects.filter(sees, is_active=True)


def person_name(user):
    """A person's name as the current language writes it: family name first in Japanese."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if not (first or last):
        return user.username
    if (translation.get_language() or "").startswith("ja"):
        return f"{last} {first}".strip()
    return f"{first} {last}".strip()
