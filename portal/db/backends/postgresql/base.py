"""Django's PostgreSQL backend, with a flush that may empty the append-only audit table.

The table refuses TRUNCATE with a statement trigger. A maintenance flush (``manage.py
flush``, the test runner's flush between transactional tests) disables that trigger
around its TRUNCATE in the same transaction; ``ALTER TABLE ... DISABLE TRIGGER`` needs the
table's owner, so the application role of the documented deployment cannot do it.
"""

from django.db.backends.postgresql import base, operations

from portal.db.audit import AUDIT_TABLE, POSTGRESQL_TRUNCATE_TRIGGER


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if AUDIT_TABLE not in tables:
            return sql
        table = self.quote_name(AUDIT_TABLE)
        return [
            f"ALTER TABLE {table} DISABLE TRIGGER {POSTGRESQL_TRUNCATE_TRIGGER};",
            *sql,
            f"ALTER TABLE {table} ENABLE TRIGGER {POSTGRESQL_TRUNCATE_TRIGGER};",
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
