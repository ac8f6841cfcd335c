"""Running numbers for applications and certificates, gap-free under concurrency."""

from django.db import connection, transaction
from django.db.models import F

from ..models import NumberSequence


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


def application_number(day) -> str:
    """SQ + date + 6-digit serial of the year, e.g. SQ20261124000042."""
    return f"SQ{day:%Y%m%d}{next_value(f'application-{day.year}'):06d}"


def certificate_number(certificate_code: str, day) -> str:
    """KXZ + year + 7-digit serial of the year, e.g. KXZ20260000123 (one series for all types, as the
    e-certificate registry numbers them)."""
    return f"KXZ{day:%Y}{next_value(f'certificate-{day.year}'):07d}"
