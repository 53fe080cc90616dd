"""The documented PostgreSQL deployment: migrations as the owner, the application as a role
that may only SELECT and INSERT audit events (README, "Deploying").

Needs the login role ``portal_app`` (password ``portal_app``), which .ci/run creates.
"""

import json
import re

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet

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


# --- The application itself, connected as the application role ------------------------------------------


@pytest.fixture
def django_as_app(app_role):
    """After the grant, Django's own connection logs in as the application role, as the
    documented web and worker processes do; the owner is back for the test runner's flush."""
    call_command("grant_app_role", APP_ROLE, verbosity=0)
    dicts = {id(d): d for d in (connection.settings_dict, settings.DATABASES[connection.alias])}.values()
    owner = {key: connection.settings_dict[key] for key in ("USER", "PASSWORD")}
    connection.close()
    for settings_dict in dicts:
        settings_dict.update(USER=APP_ROLE, PASSWORD=APP_PASSWORD)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == APP_ROLE
        yield
    finally:
        connection.close()
        for settings_dict in dicts:
            settings_dict.update(owner)


COMPLETE_DRAFT = {
    "title": "アプリ権限で登録",
    "summary": "広告コピーの案を出し、担当者が選ぶ。",
    "category": "creative",
    "audience": "internal",
    "data_classification": "internal",
    "intended_style": "closed_api",
    "monthly_requests": 100,
    "avg_input_tokens": 100,
    "avg_output_tokens": 100,
}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_application_works_as_the_application_role(django_as_app, requester, reviewer):
    """Every flow commits as ``portal_app``: a privilege the grant forgets shows here, not in production."""
    from axes.models import AccessAttempt, AccessLog
    from django.contrib.sessions.models import Session
    from django.test import Client
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler
    from rest_framework.test import APIClient

    from governance import checks as governance_checks
    from governance import services as governance_services
    from governance.choices import FindingSeverity
    from governance.models import Finding
    from portal.celery import app as celery_app
    from portal.models import ApiToken, ReferenceSequence
    from tests.factories import PASSWORD
    from usecases import services as usecase_services

    # Signing in through the login page: a failure counted by django-axes, then a session,
    # the failure cleared and the access logged.
    browser = Client()
    assert browser.post("/accounts/login/", {"username": "requester", "password": "wrong"}).status_code == 200
    assert AccessAttempt.objects.filter(username="requester").exists()
    assert browser.post("/accounts/login/", {"username": "requester", "password": PASSWORD}).status_code == 302
    assert Session.objects.filter(session_key=browser.cookies["sessionid"].value).exists()
    assert not AccessAttempt.objects.filter(username="requester").exists()
    assert AccessLog.objects.filter(username="requester").exists()
    assert browser.get("/usecases/").status_code == 200

    # A personal API token, created on its page and used by a script.
    page = browser.post("/accounts/tokens/", {"name": "BI"})
    assert page.status_code == 200
    key = re.search(r'id="new-token-key" value="([^"]+)"', page.content.decode()).group(1)
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get("/api/v1/me/").json()["username"] == "requester"
    assert ApiToken.objects.get(user=requester).last_used_at is not None
    created = script.post("/api/v1/use-cases/", {"title": "スクリプトから"}, format="json")
    assert created.status_code == 201, created.content

    # A use case created and submitted through the services: a reference number, findings,
    # stages, audit events, the reviewers' notice (a task, run at commit).
    use_case = usecase_services.create_draft(
        requester,
        COMPLETE_DRAFT,
        tasks=[{"description": "案出し", "performer": "ai"}, {"description": "選ぶ", "performer": "human"}],
        kpis=[{"name": "CTR", "unit": "%", "target": "2.0"}],
    )
    assert ReferenceSequence.objects.get(scope=use_case.reference.rsplit("-", 1)[0]).last_value >= 2
    use_case = usecase_services.submit(use_case, requester)
    assert use_case.status == "submitted"

    # A policy re-check: current findings upserted, a stale one deleted.
    findings = set(Finding.objects.filter(use_case=use_case).values_list("rule_id", "subject"))
    evaluated = max(Finding.objects.filter(use_case=use_case).values_list("evaluated_at", flat=True))
    Finding.objects.create(use_case=use_case, rule_id="stale.rule", subject="", severity=FindingSeverity.INFO, facts={})
    assert governance_checks.recheck([use_case.pk]) == 1
    assert set(Finding.objects.filter(use_case=use_case).values_list("rule_id", "subject")) == findings
    assert min(Finding.objects.filter(use_case=use_case).values_list("evaluated_at", flat=True)) > evaluated

    # A reviewer's decision on the stage waiting for it.
    stage = governance_services.active_stage(use_case)
    governance_services.decide_stage(stage, reviewer, "approve", "問題なし")
    stage.refresh_from_db()
    assert (stage.status, stage.decided_by) == ("approved", reviewer)
    actions = set(AuditEvent.objects.for_object(use_case).values_list("action", flat=True))
    assert {"create", "submit"} <= actions and len(actions) >= 3

    # Celery beat's database scheduler records a run of a seeded periodic task.
    scheduler = DatabaseScheduler(app=celery_app)
    name, entry = next(iter(scheduler.schedule.items()))
    runs = PeriodicTask.objects.get(name=name).total_run_count
    scheduler.reserve(entry)
    scheduler.sync()  # (logs, does not raise, a database error)
    assert PeriodicTask.objects.get(name=name).total_run_count == runs + 1
    # ... and the worker runs each scheduled task (reminders, notices, cost refresh).
    celery_app.loader.import_default_modules()  # what a worker does first: every tasks module
    for task in PeriodicTask.objects.filter(enabled=True):
        result = celery_app.tasks[task.task].apply(args=json.loads(task.args), kwargs=json.loads(task.kwargs))
        assert result.successful(), (task.task, result.traceback)

    # Signing out deletes the session.
    browser.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=browser.cookies["sessionid"].value).exists()

    # The ORM's side doors past the model's own guard reach the database, which refuses
    # the role itself (not only the trigger the owner could lift).
    event = AuditEvent.objects.for_object(use_case).order_by("pk").first()
    before = AuditEvent.objects.filter(pk=event.pk).values().get()
    forged = AuditEvent(**{**before, "comment": "書き換え"})
    side_doors = [forged.save, lambda: QuerySet(AuditEvent).filter(pk=event.pk).update(comment="書き換え")]
    for side_door in side_doors:
        with pytest.raises(DatabaseError) as caught, transaction.atomic():
            side_door()
        assert isinstance(caught.value.__cause__, psycopg.errors.InsufficientPrivilege), caught.value
    assert AuditEvent.objects.filter(pk=event.pk).values().get() == before
