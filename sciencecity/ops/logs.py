"""Structured logs: one JSON object a line (`LOG_FORMAT=json`), each with the id of the request it belongs to.

The request id is the one the audit trail stores (`sciencecity.audit.context`, from the proxy's X-Request-ID or
made up); background tasks carry the id of the request that enqueued them (`sciencecity.ops.tasks`), so one
search finds a request, its audit rows and the work it caused.
"""

import logging
import time

from pythonjsonlogger.json import JsonFormatter

from sciencecity.audit.context import current_request

request_logger = logging.getLogger("sciencecity.requests")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request.get().request_id or "-"
        return True


class JsonLineFormatter(JsonFormatter):
    """time, level, logger, message and request_id first, then whatever the call passed in `extra`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)


class RequestLogMiddleware:
    """One line per request — method, path, status, time taken, user — like an access log, but with the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response
