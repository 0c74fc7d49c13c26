"""Where nonces, sessions and rate-limit counters live: in this process, or on Redis (AUTH_REDIS_URL: one
server, a Redis Cluster or a Sentinel set, see app.stores.connections)."""

from app.stores.base import MAX_SESSIONS, Store
from app.stores.connections import limits_storage, parse_redis_url, store_connection
from app.stores.limits import RateCounter
from app.stores.memory import MemoryStore
from app.stores.redis import RedisStore


def open_backends(
    redis_url: str | None,
    *,
    prefix: str,
    timeout: float,
    wait_replicas: int = 0,
    max_sessions: int = MAX_SESSIONS,
) -> tuple[Store, RateCounter]:
    """The store and the rate counter: both on Redis when a URL is configured (on one server they share one
    connection pool); else both in this process (one process only)."""
    if redis_url is None:
        return MemoryStore(max_sessions=max_sessions), RateCounter.in_memory(timeout)
    target = parse_redis_url(redis_url)
    connection = store_connection(target, timeout)
    storage = limits_storage(target, connection.client, prefix=prefix, timeout=timeout)
    store = RedisStore(
        connection, prefix=prefix, timeout=timeout, wait_replicas=wait_replicas, max_sessions=max_sessions
    )
    # on a cluster the windows and the records lie in different slots: the limits are counted on their own
    return store, RateCounter(storage, timeout, folded_into_store=store.folds_limits)


__all__ = ["MemoryStore", "RateCounter", "RedisStore", "Store", "open_backends"]
