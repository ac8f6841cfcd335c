"""The formats of application and certificate numbers; the running numbers are the workflow core's."""

from sciencecity.workflow.numbers import next_value


def application_number(day) -> str:
    """SQ + date + 6-digit serial of the year, e.g. SQ20261124000042."""
    return f"SQ{day:%Y%m%d}{next_value(f'application-{day.year}'):06d}"


def certificate_number(certificate_code: str, day) -> str:
    """KXZ + year + 7-digit serial of the year, e.g. KXZ20260000123 (one series for all types, as the
    e-certificate registry numbers them)."""
    return f"KXZ{day:%Y}{next_value(f'certificate-{day.year}'):07d}"
