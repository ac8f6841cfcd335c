"""Running numbers for applications and certificates, gap-free under concurrency."""

from django.db import transaction

from ..models import NumberSequence


def next_value(key: str) -> int:
    """Take the next value of sequence `key` inside the caller's transaction (the row stays locked until it
    commits, so two concurrent callers get consecutive values, never the same one)."""
    with transaction.atomic():
        NumberSequence.objects.get_or_create(key=key)
        sequence = NumberSequence.objects.select_for_update().get(key=key)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
        return sequence.last_value


def application_number(day) -> str:
    """SQ + date + 6-digit serial of the year, e.g. SQ20261124000042."""
    return f"SQ{day:%Y%m%d}{next_value(f'application-{day.year}'):06d}"


def certificate_number(certificate_code: str, day) -> str:
    """KXZ + year + 7-digit serial of the year, e.g. KXZ20260000123 (one series for all types, as the
    e-certificate registry numbers them)."""
    return f"KXZ{day:%Y}{next_value(f'certificate-{day.year}'):07d}"
