"""Who acts for whom today: a reviewer away names a delegate for a range of dates.

One place answers both directions, so the task list (what I must do, including for the
people I stand in for) and the notices (who is told of a waiting decision) agree.
"""

from django.utils import timezone

from governance.models import Delegation


def _active(day):
    day = day or timezone.localdate()
    return Delegation.objects.filter(starts_on__lte=day, ends_on__gte=day)


def delegates_of(user_ids, day=None):
    """``{user_id: delegate_id}`` for those of ``user_ids`` who are away on ``day``.

    A chain (A away to B, B away to C) is followed to its end, never round in a circle.
    """
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    table = dict(_active(day).order_by("user_id", "-starts_on", "-id").values_list("user_id", "delegate_id"))
    result = {}
    for user_id in user_ids:
        seen, current = {user_id}, user_id
        while current in table and table[current] not in seen:
            current = table[current]
            seen.add(current)
        if current != user_id:
            result[user_id] = current
    return result


def route(user_ids, day=None):
    """The people who should receive what is addressed to ``user_ids`` on ``day`` (ordered, no repeats)."""
    away = delegates_of(user_ids, day)
    routed = []
    for user_id in user_ids:
        target = away.get(user_id, user_id)
        if target not in routed:
            routed.append(target)
    return routed


def acting_for(user, day=None):
    """Ids of the people ``user`` acts for on ``day``: themselves and everyone delegating to them."""
    ids = {user.pk}
    frontier = {user.pk}
    active = list(_active(day).values_list("user_id", "delegate_id"))
    while frontier:
        frontier = {u for u, d in active if d in frontier and u not in ids}
        ids |= frontier
    return ids
