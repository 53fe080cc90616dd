"""Refuse DELETE of audit events on SQLite too, and TRUNCATE on PostgreSQL.

Migration 0003 refused only UPDATE on SQLite, and that trigger was lost when 0004 remade
the table (SQLite drops a table's triggers with it); the project's SQLite backend now puts
them back after every remake and lifts the DELETE trigger only inside a flush.
"""

from django.db import migrations

from portal.db.audit import (
    POSTGRESQL_BACKWARD,
    POSTGRESQL_FORWARD,
    SQLITE_DELETE_TRIGGER,
    install_sqlite_triggers,
)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD)
    elif vendor == "sqlite":
        install_sqlite_triggers(schema_editor.execute)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SQLITE_DELETE_TRIGGER};")


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_user_notification_digest")]

    operations = [migrations.RunPython(forward, backward)]
