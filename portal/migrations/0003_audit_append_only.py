"""Refuse UPDATE and DELETE of audit events in the database itself."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION portal_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'portal_auditevent is append-only' USING DETAIL = TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_auditevent_append_only
    BEFORE UPDATE OR DELETE ON portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION portal_auditevent_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS portal_auditevent_append_only ON portal_auditevent;
DROP FUNCTION IF EXISTS portal_auditevent_append_only();
"""

# SQLite: UPDATE only. Its test-database flush empties tables with DELETE (PostgreSQL
# uses TRUNCATE, which row triggers do not see), so deletes are refused by the ORM there.
SQLITE_FORWARD = [
    f"""CREATE TRIGGER portal_auditevent_no_{op.lower()} BEFORE {op} ON portal_auditevent
    BEGIN SELECT RAISE(ABORT, 'portal_auditevent is append-only ({op} refused)'); END;"""
    for op in ("UPDATE",)
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS portal_auditevent_no_update;"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_roles")]

    operations = [migrations.RunPython(forward, backward)]
