"""Give the application's PostgreSQL role what it needs, and nothing that could erase the audit trail.

The deployment README describes: migrations run as the owner of the tables, the web and
worker processes connect as another role. The owner runs this after every ``migrate``.
The application role may then read and write every table, but only SELECT and INSERT
audit events; it owns nothing, so it cannot ALTER the table, drop or disable its triggers,
and it cannot set ``session_replication_role`` (superusers only).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from portal.db.audit import AUDIT_TABLE

READ_ONLY_TABLES = ("django_migrations",)  # the application reads it, only migrations write it
APPEND_ONLY_TABLES = (AUDIT_TABLE,)


def grant_statements(quote, role, database, schema):
    role, database, schema = quote(role), quote(database), quote(schema)
    statements = [
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        # Start from nothing, so running it again also takes back anything granted by hand.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # Tables a later migration creates: usable at once (run this command again anyway,
        # so a new append-only table is narrowed too).
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    statements += [f"REVOKE INSERT, UPDATE, DELETE ON {schema}.{quote(t)} FROM {role}" for t in READ_ONLY_TABLES]
    statements += [f"REVOKE UPDATE, DELETE ON {schema}.{quote(t)} FROM {role}" for t in APPEND_ONLY_TABLES]
    return statements


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant the application's role read/write on every table but only SELECT and "
        "INSERT on the audit trail. Run it as the owner of the tables after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="The login role the web and worker processes connect as.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--print-sql", action="store_true", help="Print the statements instead of running them.")

    def handle(self, role, database, print_sql, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError(
                "Only PostgreSQL has roles. On SQLite the audit trail's triggers are the guarantee, "
                "and whoever can write the database file can change anything."
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, current_database(), current_schema(), r.rolsuper, r.rolbypassrls,"
                " pg_has_role(r.oid, current_user, 'MEMBER') FROM pg_roles r WHERE r.rolname = %s",
                [role],
            )
            row = cursor.fetchone()
        if row is None:
            raise CommandError(f"No PostgreSQL role named {role!r}: create it first (CREATE ROLE ... LOGIN).")
        owner, database_name, schema, superuser, bypass_rls, member_of_owner = row
        if superuser or bypass_rls or member_of_owner:
            raise CommandError(
                f"{role!r} is a superuser or acts as the owner {owner!r}: the application needs a role of its own."
            )
        statements = grant_statements(connection.ops.quote_name, role, database_name, schema)
        if print_sql:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"{role}: read/write on the tables of {database_name}.{schema}, audit events SELECT/INSERT.")
