"""Where nonces, sessions and rate-limit counters live: in this process, or on Redis (AUTH_REDIS_URL)."""

from app.stores.base import Store
from app.stores.limits import RateCounter
from app.stores.memory import MemoryStore
from app.stores.redis import RedisStore, connection_pool


def open_backends(redis_url: str | None, *, prefix: str, timeout: float) -> tuple[Store, RateCounter]:
    """The store and the rate counter: both on Redis, sharing one connection pool, when a URL is configured;
    else both in this process (one process only)."""
    if redis_url is None:
        return MemoryStore(), RateCounter.in_memory(timeout)
    pool = connection_pool(redis_url, timeout)
    return RedisStore.on_pool(pool, prefix=prefix, timeout=timeout), RateCounter.on_redis(
        redis_url, pool, prefix=prefix, timeout=timeout
    )


__all__ = ["MemoryStore", "RateCounter", "RedisStore", "Store", "open_backends"]
