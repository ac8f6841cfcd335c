"""Every API error as problem details (RFC 9457), in the caller's language (Accept-Language).

The services raise the errors listed in `sciencecity.workflow.errors`; this is the one place that turns them
into statuses: validation 400 (with one entry per field), not signed in 401, forbidden 403, outside the
caller's scope 404, illegal transition 409, file too large 413, wrong file type 415, throttled 429.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from sciencecity.workdays.calendar import UnknownCalendarYear
from sciencecity.workflow.transitions import IllegalTransition

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:sciencecity:problem:"

# Upload checks raise a validation error whose code names its own status.
STATUS_OF_CODE = {"file_too_large": 413, "unsupported_file_type": 415}


def _titles() -> dict[int, tuple[str, str]]:
    """status → (problem type, title), translated per request."""
    return {
        400: ("validation-error", _("提交的数据有误")),
        401: ("not-authenticated", _("需要登录或提供令牌")),
        403: ("forbidden", _("没有权限")),
        404: ("not-found", _("对象不存在或无权访问")),
        405: ("method-not-allowed", _("不支持该请求方法")),
        406: ("not-acceptable", _("无法提供所要求的格式")),
        409: ("illegal-transition", _("当前状态下不能执行该操作")),
        413: ("file-too-large", _("文件太大")),
        415: ("unsupported-media-type", _("文件或数据类型不受支持")),
        422: ("idempotency-key-reused", _("幂等键已用于另一请求")),
        429: ("throttled", _("请求过于频繁")),
    }


def problem(status_code: int, detail, *, instance: str = "", errors=None, code: str = "", headers=None):
    slug, title = _titles().get(status_code, ("error", _("请求失败")))
    body = {"type": TYPE_BASE + slug, "title": title, "status": status_code, "detail": str(detail)}
    if instance:
        body["instance"] = instance
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, content_type=CONTENT_TYPE, headers=headers)


def _flatten(details, prefix: str = "") -> list[dict]:
    """DRF's nested error details as a flat list of {field, code, detail}; `field` is a dotted path."""
    out = []
    if isinstance(details, dict):
        for key, value in details.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out += _flatten(value, f"{prefix}.{name}".strip(".") if name else prefix)
    elif isinstance(details, list):
        for index, value in enumerate(details):
            nested = isinstance(value, dict | list)
            out += _flatten(value, f"{prefix}.{index}".strip(".") if nested else prefix)
    else:
        out.append({"field": prefix, "code": getattr(details, "code", "invalid"), "detail": str(details)})
    return out


def _validation_problem(detail, request):
    errors = _flatten(detail)
    codes = {error["code"] for error in errors}
    status_code = next((STATUS_OF_CODE[code] for code in STATUS_OF_CODE if code in codes), 400)
    if len(errors) == 1:
        summary = errors[0]["detail"]
    else:
        summary = _("有 %(count)d 处错误,见 errors。") % {"count": len(errors)}
    return problem(
        status_code, summary, instance=request.path, errors=errors, code=errors[0]["code"] if errors else ""
    )


def exception_handler(exc, context):
    request = context["request"]
    if isinstance(exc, RequestDataTooBig):
        return problem(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            _("请求体过大(最多 %(size)s MB)。")
            % {"size": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)},
            instance=request.path,
            code="request_too_large",
        )
    if isinstance(exc, DjangoValidationError):
        return _validation_problem(serializers.as_serializer_error(exc), request)
    if isinstance(exc, exceptions.ValidationError):
        return _validation_problem(exc.detail, request)
    if isinstance(exc, UnknownCalendarYear):
        # A deadline would fall in a year whose official schedule administrators have not entered yet:
        # nothing was changed (the service rolled back), and the message names the year.
        return problem(status.HTTP_409_CONFLICT, exc, instance=request.path, code="unknown_calendar_year")
    if isinstance(exc, IllegalTransition):
        return problem(status.HTTP_409_CONFLICT, exc, instance=request.path, code="illegal_transition")
    # Scope refusals are both Http404 and PermissionDenied (sciencecity.workflow.errors.NotFound): 404 first.
    if isinstance(exc, Http404):
        return problem(
            404, exc if str(exc) else _("对象不存在或无权访问。"), instance=request.path, code="not_found"
        )
    if isinstance(exc, DjangoPermissionDenied):
        return problem(
            403, exc if str(exc) else _("您没有执行该操作的权限。"), instance=request.path, code="forbidden"
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging
    detail = exc.detail if isinstance(exc, exceptions.APIException) else exc
    headers = {
        name: value for name, value in response.headers.items() if name in ("WWW-Authenticate", "Retry-After")
    }
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else ""
    return problem(
        response.status_code,
        detail,
        instance=request.path,
        code=code if isinstance(code, str) else "",
        headers=headers,
    )


def not_found_view(request, exception=None):
    """404 for API paths that match no endpoint, as a problem too."""
    return problem_outside_api(
        request,
        404,
        "not-found",
        _("对象不存在或无权访问"),
        _("没有这个接口地址:%(path)s") % {"path": request.path},
    )


def unavailable_view(request, retry_after: int):
    """503 while the database cannot be reached (`sciencecity.ops.outage`): the caller retries later."""
    response = problem_outside_api(
        request, 503, "service-unavailable", _("服务暂时不可用"), _("数据库暂时无法连接,请稍后重试。")
    )
    response["Retry-After"] = str(retry_after)
    return response


def problem_outside_api(request, status_code: int, slug: str, title, detail) -> JsonResponse:
    """A problem document answered by Django itself (no endpoint ran, or the database is gone)."""
    return JsonResponse(
        {
            "type": TYPE_BASE + slug,
            "title": title,
            "status": status_code,
            "detail": detail,
            "instance": request.path,
        },
        status=status_code,
        content_type=CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
