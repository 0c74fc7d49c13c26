"""Rate-limit counters: `limits`' asyncio storage (in memory, or on Redis through the store's own connection
pool) with the moving-window strategy, which admits at most N hits in *any* window of the limit's length (a
fixed window admits up to 2N across a boundary).

Counting never blocks the event loop, and shares the request's store deadline (app.stores.deadline): when
Redis does not answer, a check raises StoreUnavailable (auth endpoints then answer 503: the limiter fails
closed, never open).

On one Redis server (or a Sentinel set's primary) the store runs a request's checks inside its own next
script (app.stores.pending_limits, app.stores.redis_limits): `apply` queues them there, and `settle` runs
what is still queued when nothing else will. In memory, and on a cluster, `apply` runs each check at once.
"""

import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Self

from limits import RateLimitItem
from limits.aio.storage import RedisClusterStorage, RedisSentinelStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from app.observability.metrics import metered
from app.stores.connections import close_limits_storage
from app.stores.deadline import within_budget
from app.stores.moving_window import InProcessMovingWindow
from app.stores.pending_limits import LimitCheck, Verdict, any_pending, pending_batch, queued, take


class RateCounter:
    def __init__(self, storage: Storage, timeout: float, *, folded_into_store: bool = False) -> None:
        """`folded_into_store`: the store runs queued checks in its scripts (app.stores.pending_limits)."""
        self._storage = storage
        self._folded = folded_into_store
        self._strategy = MovingWindowRateLimiter(storage)
        self._timeout = timeout
        # In this process there is nothing to wait for and nothing to fail: counted directly.
        self._local = storage if isinstance(storage, InProcessMovingWindow) else None

    @classmethod
    def in_memory(cls, timeout: float) -> Self:
        return cls(InProcessMovingWindow(), timeout)

    async def close(self) -> None:
        """Close the clients `limits` opened for a cluster or a sentinel set (on one Redis server the pool is
        the store's, closed with it; in memory there is nothing to close)."""
        if isinstance(self._storage, RedisClusterStorage | RedisSentinelStorage):
            await close_limits_storage(self._storage)

    def batch(self) -> AbstractContextManager[None]:
        """The scope (a request) within which `apply` may queue checks for the store's next operation."""
        return pending_batch() if self._folded else nullcontext()

    async def apply(self, check: LimitCheck, *, at_once: bool = False) -> None:
        """Run the check, raising through its `refused` when the window refuses it: queued for the store's
        next operation where it folds them (unless `at_once`), else now, after anything queued before."""
        if not self._folded:  # nothing is ever queued
            verdict = await (self.hit if check.counts else self.check)(check.limit, *check.key)
            if not verdict.allowed:
                check.refused(verdict)
            return
        if not at_once and queued(check):
            return
        for earlier in [*take(), check]:
            verdict = await (self.hit if earlier.counts else self.check)(earlier.limit, *earlier.key)
            if not verdict.allowed:
                earlier.refused(verdict)

    async def settle(self) -> None:
        """Run the queued checks now (the request is about to be answered without another store operation)."""
        for check in take():
            verdict = await (self.hit if check.counts else self.check)(check.limit, *check.key)
            if not verdict.allowed:
                check.refused(verdict)

    @property
    def folds_checks(self) -> bool:
        """Whether checks may wait for the store's next operation (see `apply`)."""
        return self._folded

    @staticmethod
    def has_pending() -> bool:
        return any_pending()

    @metered
    async def hit(self, limit: RateLimitItem, *key: str) -> Verdict:
        """Count one hit if the window allows it; the verdict says whether it did."""
        if self._local is not None:
            return self._local_verdict(limit, key, count=True)
        return await self._run(self._strategy.hit, limit, key)

    @metered
    async def check(self, limit: RateLimitItem, *key: str) -> Verdict:
        """Whether a hit would be allowed now, counting nothing."""
        if self._local is not None:
            return self._local_verdict(limit, key, count=False)
        return await self._run(self._strategy.test, limit, key)

    def _local_verdict(self, limit: RateLimitItem, key: tuple[str, ...], *, count: bool) -> Verdict:
        """What MovingWindowRateLimiter's hit or test and get_window_stats decide, without their layers."""
        assert self._local is not None
        storage_key, expiry = limit.key_for(*key), limit.get_expiry()
        local, amount = self._local, limit.amount
        if local.take(storage_key, amount, expiry) if count else local.admits(storage_key, amount, expiry):
            return Verdict(True, time.time())
        start, hits = self._local.window(storage_key, expiry)  # O(hits in the window): for refusals only
        return Verdict(False, time.time(), limit.amount - hits, start + expiry)

    async def _run(self, decide: Callable[..., Awaitable[bool]], limit: RateLimitItem, key: tuple[str, ...]) -> Verdict:
        async with within_budget(self._timeout, (StorageError, RedisError, OSError), "the rate-limit storage"):
            if await decide(limit, *key):
                return Verdict(True, time.time())
            stats = await self._strategy.get_window_stats(limit, *key)
        return Verdict(False, time.time(), stats.remaining, stats.reset_time)
