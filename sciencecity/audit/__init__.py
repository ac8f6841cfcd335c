"""Audit trail. Use `record()` from services; never write AuditEvent rows any other way."""


def record(actor, action, target=None, *, before=None, after=None):
    """Append one audit event; see `sciencecity.audit.services.record`."""
    from .services import record as _record

    return _record(actor, action, target, before=before, after=after)
