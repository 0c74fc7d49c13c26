"""The Redis store's local copy of sessions, kept current by Redis's invalidations, on real servers: another
replica's changes are seen, a cached check costs no round trip, and whenever the stream is lost or silent
every check goes to Redis again."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

import pytest
import redis.asyncio

from app.errors import StoreUnavailable
from app.stores.base import Session
from app.stores.redis import RedisStore
from app.stores.session_cache import NOT_CACHED
from tests.conftest import CONTRACT_STORE_TIMEOUT
from tests.stores.test_session_bounds_contract import a_session, opened
from tests.stores.test_session_contract import KEEP, digest
from tests.support.faulty_proxy import ReplyDropper
from tests.support.redis_cluster import RedisClusterNodes
from tests.support.redis_server import RedisServer, running_redis

BOUND = 5.0  # seconds a test waits for the stream to come up, or to be noticed down, before it fails


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A server of this test's own: its command counts and its ACLs are the test's alone."""
    with running_redis() as server:
        yield server


@asynccontextmanager
async def replica(url: str, prefix: str, *, timeout: float = CONTRACT_STORE_TIMEOUT) -> AsyncIterator[RedisStore]:
    """One replica's store (another process's, as far as Redis can tell)."""
    store = RedisStore.from_url(url, prefix=prefix, timeout=timeout)
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def admin(url: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()


async def cached(store: RedisStore, session: Session) -> None:
    """Read the session once the stream is up: from then on its copy is what the store answers."""
    await asyncio.wait_for(store.invalidations.caught_up(), BOUND)
    assert await store.find_session(session.session_id) == session
    assert store.sessions.get(session.session_id) == session


async def seen(store: RedisStore) -> None:
    """Every invalidation Redis has sent this store so far has been applied."""
    await asyncio.wait_for(store.invalidations.caught_up(), BOUND)


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.005)


async def hmget_calls(client: redis.asyncio.Redis) -> int:
    """How many HMGETs (find_session's round trip) the server has run."""
    stats = await client.info("commandstats")
    return int(stats.get("cmdstat_hmget", {}).get("calls", 0))


async def test_a_cached_session_is_answered_without_a_round_trip(private_redis: RedisServer) -> None:
    async with replica(private_redis.url, "cache") as store, admin(private_redis.url) as client:
        session = await opened(store, a_session(idle=600))
        await cached(store, session)
        before = await hmget_calls(client)
        for _ in range(100):
            assert await store.find_session(session.session_id) == session
        assert await hmget_calls(client) == before


async def test_a_revocation_by_another_replica_is_seen_by_the_next_check(redis_url: str, redis_prefix: str) -> None:
    async with replica(redis_url, redis_prefix) as first, replica(redis_url, redis_prefix) as second:
        session = await opened(second, a_session(idle=600))
        await cached(first, session)
        assert await second.revoke_session(session.session_id, keep_revoked=KEEP)
        await seen(first)
        assert await first.find_session(session.session_id) is None


async def test_a_refresh_and_a_change_of_accounts_by_another_replica_are_seen(
    redis_url: str, redis_prefix: str
) -> None:
    async with replica(redis_url, redis_prefix) as first, replica(redis_url, redis_prefix) as second:
        session = await opened(second, a_session(idle=600))
        await cached(first, session)
        now = int(time.time())
        rotation = await second.rotate_refresh(
            session.session_id, digest("r1"), digest("r2"), now=now, grace=0, keep_revoked=KEEP, idle_ttl=60
        )
        assert rotation.session is not None
        assert rotation.session.idle_expires_at != session.idle_expires_at
        await seen(first)
        assert await first.find_session(session.session_id) == rotation.session
        await cached(first, rotation.session)
        changed = await second.change_accounts(session.session_id, add=("eip155:10:" + session.address,))
        assert changed is not None
        assert changed.accounts != rotation.session.accounts
        await seen(first)
        assert await first.find_session(session.session_id) == changed


async def test_a_replicas_own_changes_are_seen_at_once(redis_url: str, redis_prefix: str) -> None:
    """No waiting for the invalidation of its own write."""
    async with replica(redis_url, redis_prefix) as store:
        session = await opened(store, a_session(idle=600))
        await cached(store, session)
        changed = await store.change_accounts(session.session_id, add=("eip155:10:" + session.address,))
        assert await store.find_session(session.session_id) == changed
        assert changed is not None
        await cached(store, changed)
        assert await store.revoke_session(session.session_id, keep_revoked=KEEP)
        assert await store.find_session(session.session_id) is None


async def test_a_read_that_an_invalidation_overtakes_is_not_kept(redis_url: str, redis_prefix: str) -> None:
    """The race: a read runs before another replica's revocation, and its answer arrives after the
    revocation's invalidation. That answer is returned (it was true when read) but not kept."""
    upstream = urlparse(redis_url)
    async with ReplyDropper(upstream.port or 6379).running() as proxy:
        behind = f"redis://127.0.0.1:{proxy.port}{upstream.path}"
        async with replica(behind, redis_prefix) as first, replica(redis_url, redis_prefix) as second:
            session = await opened(second, a_session(idle=600))
            await seen(first)
            assert first.sessions.following
            held = proxy.hold_reply_to(f"{redis_prefix}:session:{{{session.session_id}}}".encode())
            read = asyncio.create_task(first.find_session(session.session_id))
            await asyncio.wait_for(held.seen.wait(), BOUND)  # the HMGET has run; its reply waits in the proxy
            assert await second.revoke_session(session.session_id, keep_revoked=KEEP)
            await seen(first)  # the invalidation is applied while the read is in flight
            held.release.set()
            assert await read == session
            assert first.sessions.get(session.session_id) is NOT_CACHED
            assert await first.find_session(session.session_id) is None


async def test_a_killed_stream_turns_the_copy_off_until_it_follows_again(private_redis: RedisServer) -> None:
    async with replica(private_redis.url, "cache") as first, replica(private_redis.url, "cache") as second:
        async with admin(private_redis.url) as client:
            session = await opened(second, a_session(idle=600))
            await cached(first, session)
            await client.execute_command("ACL", "SETUSER", "default", "-client|tracking")  # no new stream
            assert await client.client_kill_filter(_type="pubsub") == 1
            await until(lambda: not first.sessions.following)
            assert await second.revoke_session(session.session_id, keep_revoked=KEEP)  # unseen by any stream
            before = await hmget_calls(client)
            assert await first.find_session(session.session_id) is None
            assert await first.find_session(session.session_id) is None
            assert await hmget_calls(client) == before + 2  # every check a round trip
            await client.execute_command("ACL", "SETUSER", "default", "+client|tracking")
            await seen(first)  # followed again
            assert await first.find_session(session.session_id) is None
            before = await hmget_calls(client)
            assert await first.find_session(session.session_id) is None
            assert await hmget_calls(client) == before  # the copy is back


async def test_a_frozen_redis_stops_the_copy_within_its_lease_and_the_check_fails_closed(
    private_redis: RedisServer,
) -> None:
    async with replica(private_redis.url, "cache", timeout=0.5) as store:
        session = await opened(store, a_session(idle=600))
        await cached(store, session)
        private_redis.pause()
        try:
            await until(lambda: store.sessions.get(session.session_id) is NOT_CACHED)  # within LEASE
            with pytest.raises(StoreUnavailable):
                await store.find_session(session.session_id)
        finally:
            private_redis.resume()
        await cached(store, session)


async def test_a_flushed_database_empties_the_copy(private_redis: RedisServer) -> None:
    async with replica(private_redis.url, "cache") as store, admin(private_redis.url) as client:
        session = await opened(store, a_session(idle=600))
        await cached(store, session)
        await client.flushall()
        await seen(store)
        assert await store.find_session(session.session_id) is None


async def test_on_a_redis_cluster_every_check_is_a_round_trip(redis_cluster: RedisClusterNodes) -> None:
    async with replica(redis_cluster.url, f"test-cache-{time.time_ns()}") as store:
        session = await opened(store, a_session(idle=600))
        for _ in range(3):
            assert await store.find_session(session.session_id) == session
        assert not store.sessions.following
        assert len(store.sessions) == 0
