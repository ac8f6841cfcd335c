"""While the database is down (restarted, failing over, unreachable) every request fails on its first query.

Django turns that into a 500 and its error page; we answer 503 instead — a problem document for the API, the
spec's error document for Open311, the platform's own page for people — with `Retry-After`, so that clients
and the load balancer wait and retry rather than report a bug. Nothing here touches the database. Recovery needs
no step: connections are health-checked before reuse (`CONN_HEALTH_CHECKS`) and reopened by the next request.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.defaults import server_error

from sciencecity.api.problems import unavailable_view
from sciencecity.problems.open311 import renderers as open311

RETRY_AFTER_SECONDS = 30


def is_database_outage(error: BaseException | None) -> bool:
    """The connection failed or was cut (psycopg's OperationalError, or a closed connection's InterfaceError).
    Walks the chain: a template or a serializer may have wrapped it."""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
    return False


def outage_response(request):
    if request.path.startswith("/api/"):
        return unavailable_view(request, RETRY_AFTER_SECONDS)
    if request.path.startswith("/open311/"):
        fmt = "xml" if request.path.endswith(".xml") else "json"
        response = open311.errors(fmt, 503, _("数据库暂时无法连接,请稍后重试。"))
    else:
        # templates/503.html extends the 500 page: no request context, so no query and no context processor.
        response = render(None, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error_or_outage(request, template_name="500.html"):
    """The site's handler500: Django calls it while handling the exception, so `sys.exc_info()` is it."""
    if is_database_outage(sys.exc_info()[1]):
        return outage_response(request)
    return server_error(request, template_name)
