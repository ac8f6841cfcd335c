import uuid

from .context import RequestContext, current_request


class RequestContextMiddleware:
    """Give every request an id (or keep the proxy's X-Request-ID) and remember it for audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = (request.headers.get("X-Request-ID") or uuid.uuid4().hex)[:64]
        # REMOTE_ADDR is the proxy in production; gunicorn behind nginx should set it from X-Forwarded-For
        # with --forwarded-allow-ips, so we do not trust a client-supplied header here.
        token = current_request.set(RequestContext(request_id, request.META.get("REMOTE_ADDR") or None))
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response["X-Request-ID"] = request_id
        return response
