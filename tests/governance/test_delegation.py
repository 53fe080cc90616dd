"""Delegation while away: who receives what is addressed to a reviewer, and for whom a person acts."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from governance.delegation import acting_for, delegates_of, route
from governance.models import Delegation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 7)


def away(user, delegate, start=DAY, end=DAY):
    return Delegation.objects.create(user=user, delegate=delegate, starts_on=start, ends_on=end)


def test_route_sends_to_the_delegate_only_within_the_dates():
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    away(a, b, DAY, DAY + datetime.timedelta(days=2))
    assert route([a.pk, c.pk], DAY) == [b.pk, c.pk]
    assert route([a.pk, c.pk], DAY - datetime.timedelta(days=1)) == [a.pk, c.pk]
    assert route([a.pk, c.pk], DAY + datetime.timedelta(days=3)) == [a.pk, c.pk]


def test_route_follows_a_chain_without_repeating_or_looping():
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    away(a, b)
    away(b, c)
    assert delegates_of([a.pk, b.pk], DAY) == {a.pk: c.pk, b.pk: c.pk}
    assert route([a.pk, b.pk, c.pk], DAY) == [c.pk]
    away(c, a)  # a circle: everybody away, each keeps what the circle would bounce back
    assert set(route([a.pk], DAY)) == {c.pk}


def test_acting_for_includes_everyone_delegating_to_me():
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    away(a, b)
    away(b, c)
    assert acting_for(c, DAY) == {a.pk, b.pk, c.pk}
    assert acting_for(b, DAY) == {a.pk, b.pk}
    assert acting_for(a, DAY) == {a.pk}
    assert acting_for(c, DAY + datetime.timedelta(days=1)) == {c.pk}


@pytest.mark.parametrize(
    "kwargs",
    [{"same": True}, {"start": DAY, "end": DAY - datetime.timedelta(days=1)}],
    ids=["self", "dates-reversed"],
)
def test_the_database_refuses_impossible_delegations(kwargs):
    a, b = UserFactory(), UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        away(a, a if kwargs.get("same") else b, kwargs.get("start", DAY), kwargs.get("end", DAY))
