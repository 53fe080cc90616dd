"""The database triggers that keep the audit table append-only, in one place.

The migrations install them, the SQLite schema editor puts them back after remaking the
table, and the backends' ``sql_flush`` lifts them only around a maintenance flush
(``manage.py flush``, the test runner's flush between transactional tests).
"""

AUDIT_TABLE = "portal_auditevent"

# SQLite: a trigger per refused operation. SQLite has no TRUNCATE (``DELETE FROM`` without a
# WHERE is what it offers, and the DELETE trigger sees it).
SQLITE_TRIGGERS = {
    f"portal_auditevent_no_{op.lower()}": f"""CREATE TRIGGER IF NOT EXISTS portal_auditevent_no_{op.lower()}
    BEFORE {op} ON {AUDIT_TABLE}
    BEGIN SELECT RAISE(ABORT, 'portal_auditevent is append-only ({op} refused)'); END;"""
    for op in ("UPDATE", "DELETE")
}
SQLITE_DELETE_TRIGGER = "portal_auditevent_no_delete"

# PostgreSQL: the row trigger of migration 0003 (UPDATE, DELETE) and a statement trigger for
# TRUNCATE, which row triggers never see. Both call the function of migration 0003.
POSTGRESQL_TRUNCATE_TRIGGER = "portal_auditevent_no_truncate"
POSTGRESQL_FORWARD = f"""
DROP TRIGGER IF EXISTS {POSTGRESQL_TRUNCATE_TRIGGER} ON {AUDIT_TABLE};
CREATE TRIGGER {POSTGRESQL_TRUNCATE_TRIGGER}
    BEFORE TRUNCATE ON {AUDIT_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION portal_auditevent_append_only();
"""
POSTGRESQL_BACKWARD = f"DROP TRIGGER IF EXISTS {POSTGRESQL_TRUNCATE_TRIGGER} ON {AUDIT_TABLE};"


def install_sqlite_triggers(execute):
    for statement in SQLITE_TRIGGERS.values():
        execute(statement)
