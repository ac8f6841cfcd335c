"""Read replicas: the read-only pages and lists read from a PostgreSQL streaming replica, everything else from
the primary.

`DATABASE_REPLICA_URLS` names the replicas (settings make them the aliases `replica_1`, `replica_2`, …). The
middleware chooses a replica for a GET or HEAD of a view named in `REPLICA_VIEWS` (the cockpit, lists,
exports, Open311, public pages); the router then sends that request's reads there, except

- reads inside a transaction on the primary (a read inside a write sees what the write sees),
- the tables of sessions, login throttling, API tokens and idempotency keys, and the task queue (a session
  created a moment ago must not look missing),
- every write, which goes to the primary (a replica refuses writes anyway).

Read-your-writes: every unsafe request (POST, PUT, PATCH, DELETE) leaves the primary's WAL position after it
in a cookie; while the cookie lives, a replica is used only if it has replayed at least that far, so a page
read right after the user's own write never shows the world before it. A replica that cannot be reached is
left alone for `REPLICA_RETRY_SECONDS` and its reads go to the primary.
"""

from __future__ import annotations

import contextvars
import fnmatch
import logging
import random
import re
import time

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

COOKIE = "sc_primary_lsn"
LSN = re.compile(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}")
REPLICA_RETRY_SECONDS = 30
SAFE_METHODS = ("GET", "HEAD")

# Views whose GETs may read a replica, as `namespace:name` patterns. Detail pages stay on the primary: they are
# what people open right after acting, and the cookie alone would cover them only for the same browser.
REPLICA_VIEWS = (
    "cockpit:*",
    "api:*-list",
    "api:cockpit-*",
    "api:report-*",
    "open311:*",
    "approvals:public_home",
    "approvals:bundle_guide*",
    "approvals:verify*",
    "approvals:leaders_*",
    "approvals:department_worklist",
    "approvals:window_queue",
    "enterprises:list",
    "enterprises:platforms",
    "problems:list",
    "problems:ledger",
    "problems:statistics",
    "problems:areas",
    "projects:key_projects",
    "projects:campaigns",
    "ledger:export",
    "policies:list",
    "fund:list",
    "interactions:list",
    "party:home",
    "party:tree",
    "party:teams",
    "party:alliances",
    "party:activities",
    "party:schemes",
    "party:instructors",
)

# Always the primary, whatever the view: what authentication, throttling and the queue must see at once.
PRIMARY_APPS = frozenset({"sessions", "axes", "api", "accounts", "auth", "django_tasks_database"})

_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar("replica_reads", default=None)
_unreachable_until: dict[str, float] = {}


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


class ReplicaRouter:
    """Reads go where the request's middleware chose (the primary unless it chose a replica)."""

    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None or model._meta.app_label in PRIMARY_APPS:
            return "default"
        if connections["default"].in_atomic_block:
            return "default"
        return alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def reads_replica_view(view_name: str) -> bool:
    return any(fnmatch.fnmatchcase(view_name, pattern) for pattern in REPLICA_VIEWS)


def choose_replica(written_lsn: str | None) -> str | None:
    """A reachable replica that has replayed `written_lsn` (the caller's last write), or None."""
    candidates = [a for a in replica_aliases() if _unreachable_until.get(a, 0) <= time.monotonic()]
    random.shuffle(candidates)
    for alias in candidates:
        try:
            connection = connections[alias]
            if not written_lsn:
                # A kept connection to a replica that has since gone is found dead here, not by the view.
                connection.close_if_health_check_failed()
                connection.ensure_connection()
                return alias
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written_lsn])
                if cursor.fetchone()[0]:
                    return alias
        except DatabaseError:
            logger.warning("read replica %s unreachable; reading the primary", alias, exc_info=True)
            _unreachable_until[alias] = time.monotonic() + REPLICA_RETRY_SECONDS
            connections[alias].close()
    return None


def primary_lsn() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            return cursor.fetchone()[0]
    except DatabaseError:
        return None  # the write's own response already says what happened


def _streamed_from(alias: str, chunks):
    """A streamed export reads while it is sent, after the middleware returned: it keeps the replica."""
    token = _read_alias.set(alias)
    try:
        yield from chunks
    finally:
        _read_alias.reset(token)


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = bool(replica_aliases())

    def __call__(self, request):
        if not self.enabled:
            return self.get_response(request)
        try:
            response = self.get_response(request)
        finally:
            alias = _read_alias.get()
            _read_alias.set(None)
        if alias and response.streaming:
            response.streaming_content = _streamed_from(alias, response.streaming_content)
        if request.method not in SAFE_METHODS and (lsn := primary_lsn()):
            response.set_cookie(
                COOKIE,
                lsn,
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            self.enabled
            and request.method in SAFE_METHODS
            and reads_replica_view(request.resolver_match.view_name)
        ):
            written = request.COOKIES.get(COOKIE, "")
            # Any other value is not ours: read as if nothing had been written (a replica may not refuse it).
            _read_alias.set(choose_replica(written if LSN.fullmatch(written) else None))
