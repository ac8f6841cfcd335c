"""Trigram indexes for application search (PostgreSQL only; nothing on SQLite).

The leaders' list searches `number` and the enterprise's `name` with `icontains`, which PostgreSQL writes
as `UPPER(col::text) LIKE UPPER('%…%')`: a B-tree cannot serve a pattern that starts with a wildcard, a
trigram GIN index on the same expression can (`views.leaders.application_list`). The indexes need the
`pg_trgm` extension; where the database role may not create it (see README, "Running in production") the
migration says so and skips the indexes: search then still works, reading every row.
"""

import sys

from django.db import DatabaseError, migrations, transaction

INDEXES = (
    ("application_number_trgm_idx", "approvals_application", "number"),
    ("enterprise_name_trgm_idx", "enterprises_enterprise", "name"),
)


def _has_trigrams(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return cursor.fetchone() is not None


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not _has_trigrams(cursor):
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except DatabaseError as error:
                print(
                    "\n  approvals.0004: cannot create the pg_trgm extension "
                    f"({str(error).strip()}); application search will work without its trigram indexes "
                    "(slow with many applications). Run CREATE EXTENSION pg_trgm; as a superuser, then "
                    "`manage.py migrate approvals 0003 && manage.py migrate`.",
                    file=sys.stderr,
                )
                return
        for name, table, column in INDEXES:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, _table, _column in INDEXES:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0003_overview_stored_figures"),
        ("enterprises", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
