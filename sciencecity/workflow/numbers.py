"""Running numbers for every numbered record of the platform (applications, certificates, problems),
gap-free under concurrency: a number is taken inside the transaction that creates its record, so a caller that
rolls back gives its number back."""

from django.db import connection, transaction
from django.db.models import F

from .models import NumberSequence


def _increment(key: str) -> int | None:
    """Add one to sequence `key` and return the new value, or None when the sequence has no row yet.

    The UPDATE takes the row lock and holds it until the caller's transaction ends, so a concurrent caller
    waits and then adds one to our value: consecutive values, never the same one. Where the database returns
    columns from an UPDATE (PostgreSQL, SQLite ≥ 3.35) that is one statement; elsewhere the value is read back
    under the lock just taken.
    """
    if connection.features.can_return_columns_from_insert:
        quote = connection.ops.quote_name
        meta = NumberSequence._meta
        last_value = quote(meta.get_field("last_value").column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {last_value} = {last_value} + 1 "
                f"WHERE {quote(meta.get_field('key').column)} = %s RETURNING {last_value}",
                [key],
            )
            row = cursor.fetchone()
        return row[0] if row else None
    if not NumberSequence.objects.filter(key=key).update(last_value=F("last_value") + 1):
        return None
    return NumberSequence.objects.values_list("last_value", flat=True).get(key=key)


def next_value(key: str) -> int:
    """Take the next value of sequence `key` inside the caller's transaction (the row stays locked until it
    commits, so two concurrent callers get consecutive values, never the same one)."""
    with transaction.atomic(savepoint=False):
        value = _increment(key)
        if value is None:
            # The first number of the sequence (of a new year): make its row, racing callers included.
            NumberSequence.objects.get_or_create(key=key)
            value = _increment(key)
        return value
