import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from portal.models import AuditEvent
from portal.roles import ROLE_PERMISSIONS, Role
from portal.services import record_event
from tests.factories import UseCaseFactory
from usecases.choices import UseCaseStatus
from usecases.models import UseCase

pytestmark = pytest.mark.django_db


def test_roles_exist_with_their_permissions_after_migrate():
    for role, permissions in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert granted == set(permissions), role


def test_requesters_cannot_see_everything_but_reviewers_can(requester, reviewer, executive):
    assert not requester.has_perm("usecases.view_all_usecases")
    assert reviewer.has_perm("usecases.view_all_usecases")
    assert executive.has_perm("usecases.view_all_usecases")
    assert not executive.has_perm("usecases.add_usecase")
    assert requester.role_names == {Role.REQUESTER}


def test_audit_events_refuse_changes_in_python(requester):
    use_case = UseCaseFactory(owner=requester)
    event = record_event(use_case, "create", requester, to_state="draft")
    event.comment = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(comment="rewritten")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_audit_events_refuse_updates_in_the_database(requester):
    use_case = UseCaseFactory(owner=requester)
    event = record_event(use_case, "create", requester, to_state="draft")
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET comment = 'rewritten' WHERE id = %s", [event.pk])  # noqa: S608
    assert AuditEvent.objects.get(pk=event.pk).comment == ""


def test_audit_events_refuse_deletes_in_the_database(requester):
    use_case = UseCaseFactory(owner=requester)
    event = record_event(use_case, "create", requester)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [event.pk])  # noqa: S608
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_refuse_truncate_in_postgresql(postgres, requester):
    event = record_event(UseCaseFactory(owner=requester), "create", requester)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else "pending trigger events" refuses first
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {AuditEvent._meta.db_table}")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_seed_demo_is_idempotent_and_realistic():
    call_command("seed_demo", verbosity=0)
    counts = (UseCase.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (UseCase.objects.count(), AuditEvent.objects.count()) == counts
    assert counts[0] >= 20
    statuses = set(UseCase.objects.values_list("status", flat=True))
    assert {UseCaseStatus.DRAFT, UseCaseStatus.SUBMITTED, UseCaseStatus.IN_PRODUCTION} <= statuses
    assert len(set(UseCase.objects.values_list("category", flat=True))) == 5
    for role in Role:
        assert Group.objects.get(name=role).user_set.exists(), role


def test_create_api_token_command_prints_a_working_key(requester, api_client):
    import io

    out = io.StringIO()
    call_command("create_api_token", "requester", "dashboard", stdout=out)
    key = out.getvalue().strip()
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").json()["username"] == "requester"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", "x")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_keeps_the_audit_triggers_when_a_migration_remakes_the_table(requester):
    """SQLite drops a table's triggers with it, and its migrations remake a table for most
    changes (that is how migration 0004 once lost the UPDATE trigger)."""
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite remakes tables")
    with connection.schema_editor() as editor:
        editor._remake_table(AuditEvent)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'portal_auditevent'")
        assert {name for (name,) in cursor.fetchall()} == {"portal_auditevent_no_update", "portal_auditevent_no_delete"}
    event = record_event(UseCaseFactory(owner=requester), "create", requester)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [event.pk])  # noqa: S608
