"""The documented PostgreSQL deployment: migrations as the owner, the application as a role
that may only SELECT and INSERT audit events (README, "Deploying").

Needs the login role ``portal_app`` (password ``portal_app``), which .ci/run creates.
"""

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.models import AuditEvent
from portal.services import record_event
from tests.conftest import require_service
from tests.factories import UseCaseFactory

APP_ROLE = APP_PASSWORD = "portal_app"


def role_exists(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        return cursor.fetchone() is not None


@pytest.fixture
def app_role(postgres):
    require_service(role_exists(APP_ROLE), f"the PostgreSQL login role {APP_ROLE} (password {APP_PASSWORD})")
    return APP_ROLE


@pytest.fixture
def as_app(app_role):
    """A psycopg connection to the test database as the application role, after the grant."""
    call_command("grant_app_role", APP_ROLE, verbosity=0)
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=APP_ROLE,
        password=APP_PASSWORD,
        autocommit=True,
    ) as app:
        yield app


REFUSED = [
    "UPDATE portal_auditevent SET comment = 'rewritten'",
    "DELETE FROM portal_auditevent",
    "TRUNCATE portal_auditevent",
    "ALTER TABLE portal_auditevent DISABLE TRIGGER ALL",
    "ALTER TABLE portal_auditevent DISABLE TRIGGER portal_auditevent_append_only",
    "DROP TRIGGER portal_auditevent_append_only ON portal_auditevent",
    "ALTER TABLE portal_auditevent RENAME TO portal_auditevent_old",
    "DROP TABLE portal_auditevent",
    "CREATE OR REPLACE FUNCTION portal_auditevent_append_only() RETURNS trigger"
    " AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
    "SET session_replication_role = replica",
    "SET ROLE portal",
    "INSERT INTO django_migrations (app, name, applied) VALUES ('portal', 'forged', now())",
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_application_role_can_add_and_read_events_but_never_erase_them(as_app, requester):
    use_case = UseCaseFactory(owner=requester, title="元の題名")
    event = record_event(use_case, "create", requester, to_state="draft")
    before = list(AuditEvent.objects.values())

    # What the application does: read and write its tables (identity columns included) ...
    with as_app.cursor() as cursor:
        cursor.execute("UPDATE usecases_usecase SET title = '新しい題名' WHERE id = %s", [use_case.pk])
        cursor.execute(
            "INSERT INTO portal_department (code, name, name_en, is_active) VALUES ('app', 'App', 'App', true)"
        )
        # ... and append audit events.
        cursor.execute(
            "INSERT INTO portal_auditevent (created_at, actor_id, actor_name, action, content_type_id, object_id,"
            " object_repr, from_state, to_state, comment, data, changes)"
            " SELECT now(), actor_id, actor_name, 'update', content_type_id, object_id, object_repr, '', '',"
            " 'by the app role', '{}', '{}' FROM portal_auditevent WHERE id = %s RETURNING id",
            [event.pk],
        )
        appended = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM portal_auditevent")
        assert cursor.fetchone()[0] == len(before) + 1

    refusals = {}
    for statement in REFUSED:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), as_app.cursor() as cursor:
            cursor.execute(statement)
        refusals[statement] = True
    assert len(refusals) == len(REFUSED)

    use_case.refresh_from_db()
    assert use_case.title == "新しい題名"
    assert list(AuditEvent.objects.exclude(pk=appended).values()) == before
    assert AuditEvent.objects.get(pk=appended).comment == "by the app role"


@pytest.mark.django_db
def test_the_grant_refuses_the_owner_itself(postgres):
    with pytest.raises(CommandError, match="role of its own"):
        call_command("grant_app_role", connection.settings_dict["USER"], verbosity=0)
    with pytest.raises(CommandError, match="No PostgreSQL role"):
        call_command("grant_app_role", "no_such_role_here", verbosity=0)


@pytest.mark.django_db
def test_the_grant_prints_its_statements(app_role, capsys):
    call_command("grant_app_role", app_role, print_sql=True)
    sql = capsys.readouterr().out
    assert 'REVOKE UPDATE, DELETE ON "public"."portal_auditevent" FROM "portal_app";' in sql
    assert "TRUNCATE" not in sql


@pytest.mark.django_db
def test_the_grant_explains_that_sqlite_has_no_roles():
    if connection.vendor != "sqlite":
        pytest.skip("this run uses PostgreSQL, which has roles")
    with pytest.raises(CommandError, match="Only PostgreSQL has roles"):
        call_command("grant_app_role", APP_ROLE, verbosity=0)
