from django.contrib.contenttypes.models import ContentType
from django.forms.models import model_to_dict

from sciencecity.workflow.prepared import insert

from .context import current_request
from .models import AuditEvent


def snapshot(instance, fields=None) -> dict:
    """The field values of a model instance as JSON-able data, for `before`/`after`."""
    data = model_to_dict(instance, fields=fields)
    return {key: (str(value) if hasattr(value, "pk") else value) for key, value in data.items()}


def event(actor, action: str, target=None, *, before=None, after=None) -> AuditEvent:
    """One audit event for `action` by `actor` on `target`, not saved yet: `record` saves it at once,
    `record_many` saves several in one statement."""
    context = current_request.get()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent(
        actor=actor,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
        request_id=context.request_id,
        ip_address=context.ip_address,
    )


def record(actor, action: str, target=None, *, before=None, after=None) -> AuditEvent:
    """Append one audit event for `action` by `actor` (a user, or None for the system) on `target`.

    Call it inside the service's transaction, so that the event exists exactly when the change does.
    (`ContentType.objects.get_for_model` answers from Django's per-process cache after its first call.)
    """
    audit_event = event(actor, action, target, before=before, after=after)
    insert([audit_event])
    return audit_event


def record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append several events made by `event` in one INSERT, in the order given (the ids follow it), for an
    action that changes several rows at once. Inside the service's transaction, like `record`.

    Both write through `workflow.prepared.insert` (the INSERT's SQL made once per row count): the trail is
    append-only, so it needs nothing of `save()` but its values."""
    return insert(events)
