"""The request id and client address of the request being served, for audit events written deep in services."""

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None


current_request: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "current_request",
    default=RequestContext(),  # noqa: B039  (a frozen dataclass: the shared default cannot be mutated)
)
