"""Where nonces and sessions live: one interface (base.Store), chosen by AUTH_REDIS_URL."""

from app.stores.base import Store
from app.stores.memory import MemoryStore
from app.stores.redis import RedisStore


def open_store(redis_url: str | None, *, prefix: str, timeout: float) -> Store:
    """The Redis store when a URL is configured, else the in-process memory store (one process only)."""
    if redis_url is None:
        return MemoryStore()
    return RedisStore.from_url(redis_url, prefix=prefix, timeout=timeout)
