"""Naming a delegate while away: validation, audit, ending early, the page and the admin."""

import datetime

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from governance import reviewers
from governance.delegation import route
from governance.models import Delegation
from portal.admin import AuditedAdmin
from portal.exceptions import Conflict, Forbidden, NotFound
from portal.models import AuditEvent
from tests.governance.reviewer_helpers import colleague

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days(n):
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def stand_in():
    """Shares the IT review with the reviewer."""
    return colleague("standin", "it-review")


def error_fields(call):
    with pytest.raises(ValidationError) as refused:
        call()
    return set(refused.value.message_dict)


def test_a_delegation_is_created_and_audited(reviewer, stand_in):
    delegation = reviewers.create_delegation(reviewer, stand_in, days(1), days(5), " holiday ")
    assert (delegation.user, delegation.delegate, delegation.note) == (reviewer, stand_in, "holiday")
    event = AuditEvent.objects.get(action="create_delegation", object_id=str(delegation.pk))
    assert event.actor == reviewer
    assert event.data == {
        "user": "reviewer",
        "delegate": "standin",
        "starts_on": days(1).isoformat(),
        "ends_on": days(5).isoformat(),
    }
    assert route([reviewer.pk], days(2)) == [stand_in.pk]


def test_the_delegate_must_share_a_review_group(reviewer, legal_reviewer, requester, stand_in):
    for person in (legal_reviewer, requester, reviewer):
        assert error_fields(lambda p=person: reviewers.create_delegation(reviewer, p, days(1), days(2))) == {"delegate"}
    stand_in.is_active = False
    stand_in.save()
    assert error_fields(lambda: reviewers.create_delegation(reviewer, stand_in, days(1), days(2))) == {"delegate"}
    assert not Delegation.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [(5, 1), (-10, -1), (0, 400)],
    ids=["reversed", "in-the-past", "over-a-year"],
)
def test_the_dates_must_make_sense(reviewer, stand_in, start, end):
    assert error_fields(lambda: reviewers.create_delegation(reviewer, stand_in, days(start), days(end))) == {"ends_on"}
    assert not Delegation.objects.exists()


def test_overlapping_delegations_are_refused(reviewer, stand_in):
    reviewers.create_delegation(reviewer, stand_in, days(1), days(5))
    other = colleague("other", "data-security-review")
    assert error_fields(lambda: reviewers.create_delegation(reviewer, other, days(5), days(8))) == {"starts_on"}
    assert reviewers.create_delegation(reviewer, other, days(6), days(8)).delegate == other


def test_only_reviewers_name_delegates_and_only_for_themselves(reviewer, requester, stand_in, legal_reviewer):
    with pytest.raises(Forbidden):
        reviewers.create_delegation(requester, stand_in, days(1), days(2))
    with pytest.raises(Forbidden):
        reviewers.create_delegation(reviewer, stand_in, days(1), days(2), by=legal_reviewer)


def test_ending_early_stops_it_yesterday_and_is_audited(reviewer, stand_in):
    delegation = Delegation.objects.create(user=reviewer, delegate=stand_in, starts_on=days(-3), ends_on=days(4))
    assert route([reviewer.pk]) == [stand_in.pk]
    ended = reviewers.end_delegation(delegation, reviewer)
    assert ended.ends_on == days(-1)
    assert route([reviewer.pk]) == [reviewer.pk]
    event = AuditEvent.objects.get(action="end_delegation", object_id=str(delegation.pk))
    assert event.changes == {"ends_on": [days(4).isoformat(), days(-1).isoformat()]}
    with pytest.raises(Conflict):
        reviewers.end_delegation(ended, reviewer)


def test_ending_one_not_started_yet_cancels_it(reviewer, stand_in, legal_reviewer):
    delegation = reviewers.create_delegation(reviewer, stand_in, days(2), days(4))
    with pytest.raises(NotFound):
        reviewers.end_delegation(delegation, legal_reviewer)
    assert reviewers.end_delegation(delegation, reviewer) is None
    assert not Delegation.objects.exists()
    assert AuditEvent.objects.get(action="end_delegation").data == {"cancelled": True}


def test_the_page_names_lists_and_ends_delegations(client, reviewer, stand_in, legal_reviewer):
    client.force_login(reviewer)
    url = reverse("governance:delegations")
    response = client.get(url)
    assert response.status_code == 200
    assert list(response.context["form"].fields["delegate"].queryset) == [stand_in]
    data = {"delegate": stand_in.pk, "starts_on": days(1), "ends_on": days(3), "note": "研修"}
    assert client.post(url, data).status_code == 302
    delegation = Delegation.objects.get()
    response = client.get(url)
    assert list(response.context["delegations"]) == [delegation]
    # Bad input: the form says why, nothing saved, never a 500.
    for bad in (
        {**data, "delegate": legal_reviewer.pk},
        {**data, "starts_on": "2026-13-40"},
        {**data, "ends_on": days(0), "starts_on": days(2)},
        {**data, "delegate": "99999999999999999999999"},
    ):
        response = client.post(url, bad)
        assert response.status_code == 200 and response.context["form"].errors, bad
    assert Delegation.objects.count() == 1
    # The stand-in sees whom they stand in for.
    client.force_login(stand_in)
    assert list(client.get(url).context["for_me"]) == [delegation]
    # Nobody ends another's delegation.
    end = reverse("governance:delegation-end", args=[delegation.pk])
    assert client.post(end).status_code == 404
    client.force_login(reviewer)
    assert client.post(end).status_code == 302
    assert not Delegation.objects.exists()


def test_the_admin_registers_delegations_as_audited(admin_user):
    model_admin = admin.site._registry[Delegation]
    assert isinstance(model_admin, AuditedAdmin)
    assert admin_user.has_perm("governance.change_delegation")
    assert not model_admin.has_delete_permission(None)
