"""`Idempotency-Key` on creating requests: a retried request gets the first answer instead of a second object.

The key belongs to the caller. The first successful answer is stored with a fingerprint of the request; the
same key with the same request replays it (header `Idempotent-Replayed: true`), with a different request it
is refused (422). The view runs in the same transaction as the record, so when two identical requests race,
the loser's work is rolled back and it replays the winner's answer. Errors are not stored: a retry after a
failure runs again.
"""

import functools
import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from .models import IdempotencyRecord
from .problems import problem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID) chosen by the caller; a retry with the same key and the same "
    "request returns the first answer instead of doing the work twice.",
)


def _digest_value(digest, value) -> None:
    if isinstance(value, UploadedFile):
        digest.update(f"file:{value.name}:{value.size}:".encode())
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
    else:
        digest.update(repr(value).encode())


def fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    items = (
        data.lists() if hasattr(data, "lists") else (data.items() if isinstance(data, dict) else [("", data)])
    )
    for name, value in sorted(items, key=lambda pair: pair[0]):
        digest.update(f"\n{name}=".encode())
        _digest_value(digest, value)
    for name, value in sorted(request.FILES.lists()):
        digest.update(f"\nfile {name}=".encode())
        for uploaded in value:
            _digest_value(digest, uploaded)
    return digest.hexdigest()


def form_fingerprint(method: str, path: str, items) -> str:
    """The fingerprint of a plain form POST (Open311): its method, path and fields (name, values), sorted."""
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    for name, values in sorted(items, key=lambda pair: pair[0]):
        digest.update(f"\n{name}=".encode())
        _digest_value(digest, values)
    return digest.hexdigest()


def matches(record: IdempotencyRecord, method: str, path: str, print_: str) -> bool:
    """Whether a stored answer is for this same request (else the key was reused for another one)."""
    return record.fingerprint == print_ and record.method == method and record.path == path


def remember(user, key: str, method: str, path: str, print_: str, status: int, body, location: str = ""):
    """Store the first successful answer under the caller's key, inside the transaction that did the work (a
    racing twin then fails on the unique key and replays this one)."""
    return IdempotencyRecord.objects.create(
        user=user,
        key=key,
        method=method,
        path=path[:500],
        fingerprint=print_,
        status_code=status,
        body=body,
        location=location,
    )


def _replay(record: IdempotencyRecord, request, print_: str):
    if not matches(record, request.method, request.path, print_):
        return problem(
            422,
            _("幂等键“%(key)s”已用于另一个请求,请为新请求使用新的键。") % {"key": record.key},
            instance=request.path,
            code="idempotency_key_reused",
        )
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status_code, headers=headers)


def idempotent(view_method):
    """Decorate a creating view method (a viewset's `create` or a POST action) to honour Idempotency-Key."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {HEADER: [_("幂等键不能超过 %(max)d 个字符。") % {"max": MAX_KEY_LENGTH}]}
            )
        print_ = fingerprint(request)
        existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if existing is not None:
            return _replay(existing, request, print_)
        try:
            with transaction.atomic():
                response = view_method(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    remember(
                        request.user,
                        key,
                        request.method,
                        request.path,
                        print_,
                        response.status_code,
                        response.data,
                        response.headers.get("Location", ""),
                    )
        except IntegrityError:
            # Another request with this key committed first: ours is rolled back, theirs is the answer.
            existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if existing is None:
                raise
            return _replay(existing, request, print_)
        return response

    wrapper.idempotent = True
    return extend_schema(parameters=[PARAMETER])(wrapper)
