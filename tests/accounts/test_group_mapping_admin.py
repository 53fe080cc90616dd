"""Governance admins edit the single sign-on group mapping in the admin; every change is audited."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.auth_models import SsoGroupMapping
from portal.choices import AuditAction
from portal.models import AuditEvent
from portal.roles import Role

pytestmark = pytest.mark.django_db


def test_add_change_and_delete_are_audited(client, admin_user):
    client.force_login(admin_user)
    reviewer = Group.objects.get(name=Role.REVIEWER)
    response = client.post(
        reverse("admin:portal_ssogroupmapping_add"), {"claim_value": "ai-reviewers", "group": reviewer.pk}
    )
    assert response.status_code == 302
    mapping = SsoGroupMapping.objects.get()
    requester = Group.objects.get(name=Role.REQUESTER)
    client.post(
        reverse("admin:portal_ssogroupmapping_change", args=[mapping.pk]),
        {"claim_value": "ai-reviewers", "group": requester.pk},
    )
    client.post(reverse("admin:portal_ssogroupmapping_delete", args=[mapping.pk]), {"post": "yes"})
    assert not SsoGroupMapping.objects.exists()
    events = AuditEvent.objects.filter(object_id=str(mapping.pk), actor=admin_user).order_by("pk")
    assert [event.action for event in events] == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]
    assert "group" in events[1].changes
    assert events[2].data == {"claim_value": "ai-reviewers", "group": Role.REQUESTER}


def test_an_empty_claim_value_is_refused(client, admin_user):
    client.force_login(admin_user)
    group = Group.objects.get(name=Role.REVIEWER)
    response = client.post(reverse("admin:portal_ssogroupmapping_add"), {"claim_value": "", "group": group.pk})
    assert response.status_code == 200 and not SsoGroupMapping.objects.exists()


def test_other_roles_cannot_reach_it(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("admin:portal_ssogroupmapping_changelist")).status_code == 302
