"""The outcome of the request being answered: the error code it was answered with, noted where the error is
rendered (app.api.handlers), read by the telemetry middleware (app.api.middleware.telemetry) for its log line
and metrics; `ok` when nothing was noted."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestRecord:
    request_id: str
    outcome: str | None = None


current_request: ContextVar[RequestRecord | None] = ContextVar("request_record", default=None)


def note_outcome(code: str) -> None:
    """Record the error code the current request is answered with."""
    record = current_request.get()
    if record is not None:
        record.outcome = code
