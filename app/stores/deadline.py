"""One deadline for all the store calls a request makes (AUTH_REDIS_TIMEOUT in total, not per call), so that a
slow or silent Redis turns into a 503 within that time however many calls the request needed.

The HTTP layer opens a deadline per request (app.api.middleware.StoreDeadline); the store and the rate
counter ask how much of it is left. Outside a request (tests, scripts) each call gets the whole timeout.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("store_deadline", default=None)


@contextmanager
def store_deadline(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left(default: float) -> float:
    """Seconds left for store calls in this request (at most `default`); 0 or less means none."""
    deadline = _deadline.get()
    if deadline is None:
        return default
    return min(default, deadline - time.monotonic())
