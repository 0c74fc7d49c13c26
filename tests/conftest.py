import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.stores import MemoryStore, RedisStore
from app.stores.base import Store
from tests.support.app import GENEROUS_LIMITS, app_client
from tests.support.redis_cluster import RedisClusterNodes, running_cluster
from tests.support.redis_server import delete_prefix, redis_url_for_tests
from tests.support.wallets import new_wallet

STORE_KINDS = ["memory", "redis"]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_url_for_tests() as url:
        yield url


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterNodes]:
    """A real 3-master Redis Cluster on loopback, started once, for the tests that ask for it."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key namespace of this test's own on the shared Redis, removed afterwards."""
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def settings_overrides(store_kind: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for the parametrised store: Redis gets a namespace of its own."""
    if store_kind == "memory":
        return {"redis_url": None, **GENEROUS_LIMITS}
    if store_kind == "redis-cluster":
        cluster: RedisClusterNodes = request.getfixturevalue("redis_cluster")
        return {"redis_url": cluster.url, "redis_prefix": f"test-{uuid.uuid4().hex}", **GENEROUS_LIMITS}
    redis = {"redis_url": request.getfixturevalue("redis_url"), "redis_prefix": request.getfixturevalue("redis_prefix")}
    return {**redis, **GENEROUS_LIMITS}


@pytest.fixture
def make_settings(settings_overrides: dict[str, Any]) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        return Settings(**{**settings_overrides, **overrides})

    return make


@pytest.fixture
def open_client(
    make_settings: Callable[..., Settings],
) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """open_client(**settings) -> an async context manager giving a client of a new app."""

    def open_(**overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return app_client(make_settings(**overrides))

    return open_


@pytest.fixture
async def client(
    open_client: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with default settings, on each store in turn."""
    async with open_client() as http:
        yield http


# The store contract tests check what the stores do, not how fast (the outage and fault tests do that): a
# deadline a loaded CI machine keeps (twenty fresh connections to a Redis Cluster at once once missed 0.5 s).
CONTRACT_STORE_TIMEOUT = 2.0


@pytest.fixture
def open_store(store_kind: str, request: pytest.FixtureRequest) -> Callable[..., AbstractAsyncContextManager[Store]]:
    """open_store(**options) -> an async context manager giving a store of the parametrised kind, built with
    those options (max_rotations, say); the Redis ones on a real server."""

    @asynccontextmanager
    async def open_(**options: Any) -> AsyncIterator[Store]:
        if store_kind == "memory":
            yield MemoryStore(**options)
            return
        if store_kind == "redis-cluster":
            url, prefix = request.getfixturevalue("redis_cluster").url, f"test-{uuid.uuid4().hex}"
        else:
            url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        redis_store = RedisStore.from_url(url, prefix=prefix, timeout=CONTRACT_STORE_TIMEOUT, **options)
        try:
            yield redis_store
        finally:
            await redis_store.close()

    return open_


@pytest.fixture
async def store(open_store: Callable[..., AbstractAsyncContextManager[Store]]) -> AsyncIterator[Store]:
    """Each store implementation in turn; the Redis one on a real server."""
    async with open_store() as opened:
        yield opened


@pytest.fixture
def wallet() -> LocalAccount:
    return new_wallet()
