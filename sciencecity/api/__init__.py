"""The REST API under /api/v1/ (Django REST framework, drf-spectacular, django-filter).

How a resource is written (imitate `sciencecity/projects/api.py` and `sciencecity/catalog/api.py`):

- Each app has an `api.py` (or an `api/` package) whose `routes` list of (prefix, viewset, basename) is
  registered in `sciencecity/api/urls.py`.
- Viewsets derive from `sciencecity.api.views.ScopedViewSet` and set `model`: rows come from
  `Model.objects.for_user(request.user)` and single objects through the same scope, so anything outside it is
  a 404, exactly as on the pages. Child rows (materials, events) are reached through their scoped parent.
- Serializers only check the shape of input and present output. Every write calls the app's service
  function, which locks, checks permission and transition, audits and notifies; views never `.save()`.
- Errors are raised, not built: the services' `ValidationError` (400; codes `file_too_large` 413 and
  `unsupported_file_type` 415), `PermissionDenied` (403), `NotFound`/`Http404` (404), `IllegalTransition`
  (409) become problem details (RFC 9457) in `problems.py`, in the caller's language.
- Creating POSTs are decorated with `idempotency.idempotent` (the `Idempotency-Key` header).
- Lists are cursor pages (`pagination.CursorPage`): set `ordering` to an indexed order ending in a unique
  column; never count whole tables.
- Authentication: `Authorization: Bearer <token>` (models.ApiToken, revocable) or the session.
- After changing an endpoint, `make schema` regenerates docs/api/openapi.yaml (a test compares them).
"""
