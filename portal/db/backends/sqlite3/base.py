"""Django's SQLite backend, keeping the guarantees the PostgreSQL deployment keeps.

- The audit table is append-only: its UPDATE and DELETE triggers survive the table remakes
  SQLite migrations do (a remake drops a table's triggers), and only a maintenance flush
  lifts the DELETE trigger, inside the flush's own transaction.
- Integers are range-checked as on PostgreSQL: the model fields get PostgreSQL's ranges
  (so forms and serializers answer "ensure this value is less than or equal to ...", and
  Django's lookups turn an out-of-range value into an empty result), and an integer beyond
  64 bits that still reaches a query (a foreign key, an ``in`` list) is compared as
  PostgreSQL compares it, finding nothing, where Python's sqlite3 would raise
  ``OverflowError`` (a 500).
"""

from collections.abc import Mapping
from itertools import chain

from django.db import DataError
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.sqlite3 import base, operations, schema

from portal.db.audit import AUDIT_TABLE, SQLITE_DELETE_TRIGGER, SQLITE_TRIGGERS, install_sqlite_triggers

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _out_of_range(value):
    return isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX


def _comparable(value):
    # A REAL beyond the 64-bit range compares with INTEGER columns numerically, so it equals no
    # stored integer and orders above (or below) all of them: PostgreSQL's numeric comparison.
    return float(value) if _out_of_range(value) else value


def _bindable(query, params):
    if params is None:
        return params
    values = params.values() if isinstance(params, Mapping) else params
    if not any(_out_of_range(value) for value in values):
        return params
    if query.lstrip()[:6].upper() == "INSERT":
        # PostgreSQL refuses to store it ("bigint out of range"); never store a REAL instead.
        raise DataError("integer out of range")
    if isinstance(params, Mapping):
        return {name: _comparable(value) for name, value in params.items()}
    return [_comparable(value) for value in params]


class CursorWrapper(base.SQLiteCursorWrapper):
    def execute(self, query, params=None):
        return super().execute(query, _bindable(query, params))

    def executemany(self, query, param_list):
        return super().executemany(query, (_bindable(query, params) for params in param_list))


class DatabaseOperations(operations.DatabaseOperations):
    # SQLite declares no ranges (None, None); PostgreSQL's (Django's defaults) give both
    # databases the same validators and the same out-of-range lookups.
    integer_field_range = BaseDatabaseOperations.integer_field_range

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if tables and allow_cascade:
            tables = set(chain.from_iterable(self._references_graph(table) for table in tables))
        if AUDIT_TABLE not in tables:
            return sql
        # A flush empties every table, the audit trail included: lift the DELETE trigger for
        # this one statement list (one transaction, DDL included) and put it back.
        return [
            f"DROP TRIGGER IF EXISTS {SQLITE_DELETE_TRIGGER};",
            *sql,
            SQLITE_TRIGGERS[SQLITE_DELETE_TRIGGER],
        ]


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model, *args, **kwargs):
        super()._remake_table(model, *args, **kwargs)
        if model._meta.db_table == AUDIT_TABLE:
            install_sqlite_triggers(self.execute)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    SchemaEditorClass = DatabaseSchemaEditor

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=CursorWrapper)
