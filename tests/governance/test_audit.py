"""The audit trail: append-only everywhere (ORM, admin, API, the database itself), and
readable by the roles that may see it, filtered, as JSON or as a CSV export."""

import csv
import datetime
import io
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from governance import services
from governance.models import ClassificationRule
from portal.models import AuditEvent
from portal.services import record_event
from tests.conftest import api_client_for
from tests.factories import UseCaseFactory, UserFactory
from usecases import services as usecase_services
from usecases.models import UseCase

pytestmark = pytest.mark.django_db

AUDIT_API = "/api/v1/audit-events/"
# Columns of the CSV export (see governance.views.AuditExportView.HEADER).
WHEN, WHO, ACTION, OBJECT_TYPE, OBJECT, FROM, TO, COMMENT, CHANGES, DETAILS = range(10)


@pytest.fixture
def event(requester):
    """An UPDATE event written by the service, with changed fields."""
    use_case = UseCaseFactory(complete=True, owner=requester, title="元の題名")
    usecase_services.update_draft(use_case, requester, {"title": "新しい題名"})
    return AuditEvent.objects.for_object(use_case).get(action="update")


def snapshot(event):
    return AuditEvent.objects.filter(pk=event.pk).values().get()


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


# --- Immutability: ORM ------------------------------------------------------------------------------------


def test_an_event_instance_cannot_be_saved_again_or_deleted(event):
    before = snapshot(event)
    event.comment = "書き換え"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.save(update_fields=["comment"])
    with pytest.raises(PermissionError):
        event.delete()
    assert snapshot(event) == before


def test_querysets_cannot_update_or_delete_events(event):
    before = snapshot(event)
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(comment="書き換え")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.for_object(UseCase.objects.get(pk=event.object_id)).update(action="create")
    assert snapshot(event) == before


def test_the_orm_side_doors_do_not_rewrite_events_either(event):
    before = snapshot(event)
    event.comment = "書き換え"
    # (Each in its own savepoint: these run in an atomic block that the refusal marks as failed.)
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["comment"])
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"comment": "書き換え"})
    # A fresh instance reusing the primary key makes the ORM try an UPDATE: the database refuses it.
    forged = AuditEvent(**{**before, "comment": "書き換え"})
    with pytest.raises((PermissionError, DatabaseError)), transaction.atomic():
        forged.save()
    assert snapshot(event) == before


def test_new_events_can_still_be_added(requester):
    use_case = UseCaseFactory(owner=requester)
    first = record_event(use_case, "create", requester, to_state="draft")
    second = record_event(use_case, "update", requester, changes={"title": ["a", "b"]})
    assert list(AuditEvent.objects.for_object(use_case).order_by("pk")) == [first, second]


# --- Immutability: the database ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE portal_auditevent SET comment = 'rewritten' WHERE id = %s",
        "UPDATE portal_auditevent SET created_at = '2000-01-01 00:00:00' WHERE id = %s",
        "DELETE FROM portal_auditevent WHERE id = %s",
    ],
    ids=["update-comment", "backdate", "delete"],
)
def test_raw_sql_cannot_change_or_delete_events(event, statement):
    """On every database, the embedded SQLite default included."""
    before = snapshot(event)
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])
    assert "append-only" in str(caught.value)
    assert snapshot(event) == before


def test_raw_sql_cannot_rewrite_the_whole_table(event, reviewer):
    record_event(event.content_type.get_object_for_this_type(pk=event.object_id), "approve", reviewer)
    count = AuditEvent.objects.count()
    for statement in ("UPDATE portal_auditevent SET actor_name = ''", "DELETE FROM portal_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditEvent.objects.count() == count
    assert AuditEvent.objects.get(pk=event.pk).actor_name == "requester (requester)"


def test_truncate_is_refused_on_postgresql(postgres, event):
    count = AuditEvent.objects.count()
    with connection.cursor() as cursor:
        # Check the test's deferred foreign keys now: PostgreSQL refuses TRUNCATE with pending
        # trigger events before the table's own triggers ever run.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for statement in ("TRUNCATE portal_auditevent", "TRUNCATE portal_auditevent RESTART IDENTITY CASCADE"):
        with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        assert "append-only" in str(caught.value)
    assert AuditEvent.objects.count() == count


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_maintenance_flush_empties_the_trail_and_keeps_it_append_only(requester):
    """``manage.py flush`` (and the test runner's flush) may empty the table; nothing else may,
    and the refusal is back as soon as the flush is done."""
    record_event(UseCaseFactory(owner=requester), "create", requester)
    # As the test runner flushes: sequences kept, so the rows the next transactional test
    # restores (with their ids) never meet a restarted sequence on PostgreSQL.
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)
    try:
        assert not AuditEvent.objects.exists()
        ContentType.objects.clear_cache()  # the flush emptied the content types too
        requester = UserFactory(username="after-flush")
        event = record_event(UseCaseFactory(owner=requester), "create", requester)
        for statement in ("DELETE FROM portal_auditevent", "UPDATE portal_auditevent SET comment = 'x'"):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
        assert AuditEvent.objects.filter(pk=event.pk, comment="").exists()
    finally:
        # The content types made after the flush have other ids than those the next test
        # restores: a cache of them would point new rows at content types that do not exist.
        ContentType.objects.clear_cache()


# --- Immutability: the admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["superuser", "admin"])
def test_the_admin_shows_events_read_only_and_refuses_changes(client, event, superuser, admin_user, persona):
    user = {"superuser": superuser, "admin": admin_user}[persona]
    client.force_login(user)
    before = snapshot(event)
    change_url = reverse("admin:portal_auditevent_change", args=[event.pk])

    page = client.get(change_url)
    assert page.status_code == 200  # viewable ...
    assert page.context["has_change_permission"] is False  # ... but not editable
    assert page.context["has_delete_permission"] is False
    assert b'name="_save"' not in page.content

    posted = client.post(change_url, {"comment": "書き換え", "action": "delete", "_save": "Save"})
    assert posted.status_code == 403

    delete_url = reverse("admin:portal_auditevent_delete", args=[event.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403

    assert client.get(reverse("admin:portal_auditevent_add")).status_code == 403

    changelist = reverse("admin:portal_auditevent_changelist")
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert "delete_selected" not in listing.context["cl"].model_admin.get_actions(listing.wsgi_request)
    client.post(changelist, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert snapshot(event) == before


def test_the_admin_is_closed_to_requesters(client, event, requester):
    client.force_login(requester)
    response = client.get(reverse("admin:portal_auditevent_change", args=[event.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- Immutability: the API --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reviewer", "executive", "admin", "superuser"])
@pytest.mark.parametrize(
    "method, detail",
    [("post", False), ("put", True), ("patch", True), ("delete", True), ("put", False), ("delete", False)],
)
def test_the_api_has_no_write_methods_for_audit_events(
    event, reviewer, executive, admin_user, superuser, persona, method, detail
):
    user = {"reviewer": reviewer, "executive": executive, "admin": admin_user, "superuser": superuser}[persona]
    before, count = snapshot(event), AuditEvent.objects.count()
    url = f"{AUDIT_API}{event.pk}/" if detail else AUDIT_API
    payload = {"action": "create", "comment": "書き換え", "object_id": event.object_id}
    response = getattr(api_client_for(user), method)(url, payload, format="json")
    assert response.status_code == 405
    assert snapshot(event) == before
    assert AuditEvent.objects.count() == count


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_requesters_cannot_write_audit_events_either(event, requester, method):
    before, count = snapshot(event), AuditEvent.objects.count()
    url = AUDIT_API if method == "post" else f"{AUDIT_API}{event.pk}/"
    response = getattr(api_client_for(requester), method)(url, {"comment": "x"}, format="json")
    assert response.status_code == 403
    assert snapshot(event) == before
    assert AuditEvent.objects.count() == count


def test_the_api_allows_only_reads_on_audit_events(event, reviewer):
    response = api_client_for(reviewer).options(f"{AUDIT_API}{event.pk}/")
    allowed = {method.strip() for method in response["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}


# --- Reading the trail: the API ------------------------------------------------------------------------


@pytest.fixture
def trail(requester, reviewer, admin_user):
    """A use case's life through the services, a matrix change, and an event of ten days ago."""
    use_case = usecase_services.create_draft(
        requester,
        {
            "title": "監査対象",
            "summary": "要約",
            "category": "creative",
            "audience": "internal",
            "data_classification": "internal",
            "intended_style": "closed_api",
            "monthly_requests": 100,
            "avg_input_tokens": 100,
            "avg_output_tokens": 100,
        },
        tasks=[{"description": "案出し", "performer": "ai"}, {"description": "選ぶ", "performer": "human"}],
        kpis=[{"name": "CTR", "unit": "%", "target": "2.0"}],
    )
    use_case = usecase_services.update_draft(use_case, requester, {"title": "監査対象（改）"})
    use_case = usecase_services.submit(use_case, requester)
    stage = services.active_stage(use_case)
    services.decide_stage(stage, reviewer, "approve", "問題なし")
    rule = ClassificationRule.objects.get(level__code="public", style="closed_saas")
    services.update_matrix_rule(rule, admin_user, {"verdict": "prohibited"})
    old = AuditEvent.objects.create(
        created_at=timezone.now() - datetime.timedelta(days=10),
        actor=requester,
        actor_name=f"{requester} ({requester.username})",
        action="update",
        content_type=ContentType.objects.get_for_model(UseCase),
        object_id=str(use_case.pk),
        object_repr=str(use_case),
        changes={"summary": ["古い", "新しい"]},
    )
    return {"use_case": use_case, "rule": rule, "old": old}


def api_rows(user, query=""):
    response = api_client_for(user).get(f"{AUDIT_API}?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def actions_of(rows):
    return sorted(row["action"] for row in rows)


def local_day(days=0):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def test_the_api_lists_the_whole_trail_newest_first(trail, reviewer):
    rows = api_rows(reviewer)
    assert actions_of(rows) == sorted(
        ["create", "update", "submit", "plan_stages", "approve", "change_matrix", "update"]
    )
    assert [row["created_at"] for row in rows] == sorted((row["created_at"] for row in rows), reverse=True)
    assert rows[-1]["id"] == trail["old"].pk


def test_the_api_filters_by_action(trail, reviewer):
    rows = api_rows(reviewer, "action=submit")
    assert [(row["action"], row["from_state"], row["to_state"]) for row in rows] == [("submit", "draft", "submitted")]
    approve = api_rows(reviewer, "action=approve")
    assert [(row["actor_name"], row["comment"], row["data"]) for row in approve] == [
        ("reviewer (reviewer)", "問題なし", {"stage": "it-review", "decision": "approve"})
    ]


def test_the_api_filters_by_object_type(trail, reviewer):
    use_case_rows = api_rows(reviewer, "object_type=usecases.usecase")
    assert actions_of(use_case_rows) == sorted(["create", "update", "submit", "plan_stages", "approve", "update"])
    assert {row["object_type"] for row in use_case_rows} == {"usecases.usecase"}
    assert {row["object_id"] for row in use_case_rows} == {str(trail["use_case"].pk)}
    rule_rows = api_rows(reviewer, "object_type=governance.classificationrule")
    assert [(row["action"], row["object_id"], row["changes"]) for row in rule_rows] == [
        ("change_matrix", str(trail["rule"].pk), {"verdict": ["allowed", "prohibited"]})
    ]


def test_the_api_filters_by_date(trail, reviewer):
    recent = api_rows(reviewer, f"since={local_day(-1)}")
    assert trail["old"].pk not in {row["id"] for row in recent}
    assert len(recent) == 6
    old = api_rows(reviewer, f"until={local_day(-5)}")
    assert [row["id"] for row in old] == [trail["old"].pk]
    window = api_rows(reviewer, f"since={local_day(-10)}&until={local_day(-10)}")
    assert [row["id"] for row in window] == [trail["old"].pk]
    assert api_rows(reviewer, f"since={local_day(1)}") == []
    today = api_rows(reviewer, f"since={local_day()}&until={local_day()}&action=update")
    assert [row["changes"] for row in today] == [{"title": ["監査対象", "監査対象（改）"]}]


def test_the_api_filters_by_actor(trail, reviewer, admin_user):
    assert actions_of(api_rows(reviewer, "actor=reviewer")) == ["approve"]
    assert actions_of(api_rows(reviewer, "actor=govadmin")) == ["change_matrix"]
    by_requester = api_rows(reviewer, "actor=requester")
    assert actions_of(by_requester) == sorted(["create", "update", "submit", "plan_stages", "update"])
    assert api_rows(reviewer, "actor=nobody-at-all") == []


def test_the_api_combines_filters(trail, reviewer):
    rows = api_rows(reviewer, f"object_type=usecases.usecase&action=update&actor=requester&until={local_day(-1)}")
    assert [(row["id"], row["changes"]) for row in rows] == [(trail["old"].pk, {"summary": ["古い", "新しい"]})]


@pytest.mark.parametrize(
    "persona, status",
    [
        ("anonymous", 401),
        ("outsider", 403),
        ("requester", 403),
        ("other_requester", 403),
        ("reviewer", 200),
        ("executive", 200),
        ("admin", 200),
    ],
)
def test_who_reads_the_audit_api(personas, event, persona, status):
    client = api_client_for(personas[persona])
    assert client.get(AUDIT_API).status_code == status
    assert client.get(f"{AUDIT_API}{event.pk}/").status_code == status


def _licence_event(reviewer, admin_user, client):
    from vendors.services import create_licence

    create_licence(admin_user, {"identifier": "LicenseRef-Test", "name": "Test"})


def _template_event(reviewer, admin_user, client):
    from tests.factories import published_version
    from vendors.questionnaires import start_new_version

    start_new_version(published_version().template, reviewer)


def _vendor_event(reviewer, admin_user, client):
    from vendors.services import create_vendor

    create_vendor(reviewer, {"name": "Audited AI", "kind": "saas"})


def _stage_definition_event(reviewer, admin_user, client):
    from governance.models import StageDefinition

    definition = StageDefinition.objects.get(code="it-review")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:governance_stagedefinition_change", args=[definition.pk]),
        {
            "code": definition.code,
            "name_ja": definition.name_ja,
            "name_en": definition.name_en,
            "group": definition.group_id,
            "position": definition.position,
            "sla_days": 7,
            "risk_tiers": json.dumps(definition.risk_tiers),
            "is_active": "on",
        },
    )
    assert response.status_code == 302


def _risk_tier_setting_event(reviewer, admin_user, client):
    from governance.models import RiskTierSetting

    setting = RiskTierSetting.objects.get(tier="minimal")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:governance_risktiersetting_change", args=[setting.pk]),
        {"tier": "minimal", "review_interval_days": 300},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "object_type, make_event",
    [
        ("vendors.vendor", _vendor_event),
        ("vendors.licence", _licence_event),
        ("vendors.questionnairetemplate", _template_event),
        ("governance.stagedefinition", _stage_definition_event),
        ("governance.risktiersetting", _risk_tier_setting_event),
    ],
)
def test_every_audited_object_type_can_be_filtered(client, reviewer, admin_user, object_type, make_event):
    """Whatever the services and the admin audit, an auditor can filter the trail by its type."""
    make_event(reviewer, admin_user, client)
    app_label, model = object_type.split(".")
    expected = list(
        AuditEvent.objects.filter(content_type__app_label=app_label, content_type__model=model).values_list(
            "pk", flat=True
        )
    )
    assert len(expected) == 1
    response = api_client_for(reviewer).get(f"{AUDIT_API}?object_type={object_type}")
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == expected


# --- Reading the trail: the CSV export ----------------------------------------------------------------


def export(client, user, query=""):
    client.force_login(user)
    response = client.get(reverse("governance:audit-export") + ("?" + query if query else ""))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # so spreadsheets read it as UTF-8
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_export_contains_the_events_with_their_changed_fields(client, trail, reviewer):
    header, *rows = export(client, reviewer)
    assert len(header) == 10
    assert len(rows) == AuditEvent.objects.count() == 7
    updates = [row for row in rows if row[OBJECT_TYPE] == "usecases.usecase" and row[CHANGES]]
    assert [json.loads(row[CHANGES]) for row in updates] == [  # newest first
        {"title": ["監査対象", "監査対象（改）"]},
        {"summary": ["古い", "新しい"]},
    ]
    assert all(row[WHO] == "requester (requester)" for row in updates)
    assert all(row[OBJECT] == str(trail["use_case"]) for row in updates)
    (submit,) = [row for row in rows if (row[FROM], row[TO]) == ("draft", "submitted")]
    assert submit[OBJECT_TYPE] == "usecases.usecase"
    (matrix,) = [row for row in rows if row[OBJECT_TYPE] == "governance.classificationrule"]
    assert json.loads(matrix[CHANGES]) == {"verdict": ["allowed", "prohibited"]}
    assert matrix[WHO].endswith("(govadmin)")
    (approval,) = [row for row in rows if row[COMMENT] == "問題なし"]
    assert json.loads(approval[DETAILS]) == {"stage": "it-review", "decision": "approve"}


def test_the_export_follows_the_filters(client, trail, reviewer):
    _header, *rows = export(client, reviewer, "action=update&object_type=usecases.usecase")
    assert [json.loads(row[CHANGES]) for row in rows] == [
        {"title": ["監査対象", "監査対象（改）"]},
        {"summary": ["古い", "新しい"]},
    ]
    _header, *old = export(client, reviewer, f"until={local_day(-1)}")
    assert [json.loads(row[CHANGES]) for row in old] == [{"summary": ["古い", "新しい"]}]


def test_the_export_neutralises_formulas(client, requester, reviewer):
    use_case = UseCaseFactory(complete=True, owner=requester)
    usecase_services.withdraw(use_case, requester, comment='=HYPERLINK("http://example.com")')
    _header, *rows = export(client, reviewer, "action=withdraw")
    assert [row[COMMENT] for row in rows] == ['\'=HYPERLINK("http://example.com")']


@pytest.mark.parametrize("persona", ["requester", "other_requester", "outsider"])
def test_the_export_is_refused_to_those_without_the_audit_role(client, trail, personas, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("governance:audit-export")).status_code == 403


def test_the_export_sends_anonymous_visitors_to_log_in(client, trail):
    response = client.get(reverse("governance:audit-export"))
    assert response.status_code == 302 and "login" in response["Location"]
