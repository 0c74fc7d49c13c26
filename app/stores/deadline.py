"""One time budget for all the store calls a request makes (AUTH_REDIS_TIMEOUT in total, not per call), so
that a slow or silent Redis turns into a 503 within that time however many calls the request needed.

The budget counts only the time spent waiting for the store: a request that also waits for something else
(an Ethereum node checking a contract wallet's signature) still has its whole store budget afterwards.
The HTTP layer opens a budget per request (app.api.middleware.store_deadline); the store and the rate
counter ask how much of it is left and charge what they used. Outside a request (tests, scripts) each call
gets the whole timeout.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

from app.errors import StoreUnavailable


class _Budget:
    __slots__ = ("left",)

    def __init__(self, seconds: float) -> None:
        self.left = seconds


_budget: ContextVar[_Budget | None] = ContextVar("store_budget", default=None)


@contextmanager
def store_deadline(seconds: float) -> Iterator[None]:
    token = _budget.set(_Budget(seconds))
    try:
        yield
    finally:
        _budget.reset(token)


def time_left(default: float) -> float:
    """Seconds left for store calls in this request (at most `default`); 0 or less means none."""
    budget = _budget.get()
    return default if budget is None else min(default, budget.left)


@contextmanager
def charged() -> Iterator[None]:
    """Charge the time spent inside to the request's budget. A request makes its store calls one after the
    other; calls made concurrently would each be charged in full."""
    started = time.monotonic()
    try:
        yield
    finally:
        budget = _budget.get()
        if budget is not None:
            budget.left -= time.monotonic() - started


@asynccontextmanager
async def within_budget(default: float, failures: tuple[type[Exception], ...], what: str) -> AsyncIterator[None]:
    """Run a store call in what is left of the request's budget (at most `default`), charged to it; running
    out of time, or any of `failures`, raises StoreUnavailable."""
    left = time_left(default)
    if left <= 0:
        raise StoreUnavailable(f"{what} did not answer in time")
    caught: tuple[type[Exception], ...] = (*failures, TimeoutError)
    try:
        with charged():
            async with asyncio.timeout(left):
                yield
    except caught as exc:
        raise StoreUnavailable() from exc
