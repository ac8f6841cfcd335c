"""The errors of bundled approval that the pages and the API translate into responses.

- `transitions.IllegalTransition`: the action is not allowed in the object's state (409).
- `django.core.exceptions.PermissionDenied`: the user may not take the action (403).
- `NotFound`: the object is outside the user's scope (ARCHITECTURE.md rule 5): refused exactly as if it did
  not exist (404), so nobody learns that an application of another enterprise exists.
- `django.core.exceptions.ValidationError`: bad input, with a message per field, material or question (400);
  the upload checks use the codes `file_too_large` (413) and `unsupported_file_type` (415).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _


class NotFound(Http404, PermissionDenied):
    """The object does not exist for this user. An `Http404`, so Django and DRF answer 404; a
    `PermissionDenied` as well, so that code which refuses on permission also refuses on scope."""


def not_found(model) -> NotFound:
    return NotFound(_("%(object)s不存在,或您无权访问。") % {"object": model._meta.verbose_name})


def fetch_in_scope(queryset, pk, *, lock: bool = False, of=None):
    """The row `pk` of a `for_user()` queryset, locked if asked; `NotFound` when it is outside the scope."""
    if lock:
        queryset = queryset.select_for_update(of=of) if of else queryset.select_for_update()
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise not_found(queryset.model) from None


def field_error(field: str, message, code: str) -> ValidationError:
    """A ValidationError about one field (or material, or question) that keeps its code."""
    return ValidationError({field: [ValidationError(message, code=code)]})
