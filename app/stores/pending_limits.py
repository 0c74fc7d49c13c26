"""Rate-limit checks a request has asked for and the store has not run yet, so that a Redis store can run them
in the same script as its next operation: one round trip where there were several.

The HTTP layer opens a batch per request (pending_batch); the rate counter queues a check there instead of
running it (RateCounter.apply) when its store folds limits into its scripts, and runs one at once otherwise.
The store takes the batch at its next operation (take) and runs the checks first, in order, in the same
script: the first refused one raises through its `refused` (RateLimited) and nothing after it runs, neither a
later check nor the operation, exactly as if each had been run on its own when asked. Whatever is still
queued when the response starts is run then (RateCounter.settle), and its refusal is the response.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import NoReturn

from limits import RateLimitItem


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    checked_at: float
    remaining: int = 0  # for a refusal: hits left in the window
    reset_at: float = 0.0  # for a refusal: the Unix time at which the window frees a hit


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """One hit against a moving window (`counts`), or only a check that a hit would be allowed now; what a
    refusal does (raise) is the caller's."""

    limit: RateLimitItem
    key: tuple[str, ...]
    counts: bool
    refused: Callable[[Verdict], NoReturn]


_pending: ContextVar[list[LimitCheck] | None] = ContextVar("pending_limits", default=None)


@contextmanager
def pending_batch() -> Iterator[None]:
    token = _pending.set([])
    try:
        yield
    finally:
        _pending.reset(token)


def queued(check: LimitCheck) -> bool:
    """Queue the check in the request's batch: False when no batch is open (outside a request)."""
    batch = _pending.get()
    if batch is None:
        return False
    batch.append(check)
    return True


def take() -> list[LimitCheck]:
    """The checks queued so far, in order, leaving none."""
    batch = _pending.get()
    if not batch:
        return []
    taken = batch.copy()
    batch.clear()
    return taken


def any_pending() -> bool:
    return bool(_pending.get())
