"""The Redis Cluster and Sentinel harness (tests/support/redis_cluster.py), proved with redis-py alone: real
processes on loopback, no mocks. Timings go to the log and to the test report's user properties."""

import asyncio
import logging
import time
from collections.abc import Callable

import pytest
import redis
import redis.asyncio
import redis.exceptions
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

from tests.support.redis_cluster import SentinelSetup, running_cluster, running_sentinel

logger = logging.getLogger(__name__)

RecordProperty = Callable[[str, object], None]
FAILOVER_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.ReadOnlyError)
TWO_KEYS = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[2])"


def report(record_property: RecordProperty, name: str, value: object) -> None:
    record_property(name, value)
    logger.info("%s: %s", name, value)


async def test_cluster_spreads_keys_over_every_master_and_refuses_cross_slot_scripts(
    record_property: RecordProperty,
) -> None:
    started = time.monotonic()
    with running_cluster() as cluster:
        report(record_property, "cluster_startup_seconds", round(time.monotonic() - started, 2))
        assert cluster.url == "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in cluster.ports)
        nodes = [ClusterNode(host, port) for host, port in cluster.startup_nodes]
        client = redis.asyncio.RedisCluster(startup_nodes=nodes, decode_responses=True, socket_timeout=1)
        try:
            for number in range(100):
                await client.set(f"harness:{number}", str(number))
            assert [await client.get(f"harness:{number}") for number in range(100)] == [str(n) for n in range(100)]
            for url in cluster.node_urls:
                with redis.Redis.from_url(url, socket_timeout=1) as node:
                    assert int(node.dbsize()) > 0, f"no key on {url}"

            assert await client.eval(TWO_KEYS, 2, "{x}:a", "{x}:b", "same-slot") is None
            assert await client.get("{x}:a") == "same-slot"
            # redis-py refuses keys of different slots itself; sent to a node anyway, the node answers CROSSSLOT,
            # which redis-py raises as ClusterCrossSlotError (a ResponseError whose text lacks the word CROSSSLOT)
            with pytest.raises(redis.exceptions.RedisClusterException, match="same key slot"):
                await client.eval(TWO_KEYS, 2, "a", "b", "cross")
            node = client.get_node_from_key("a")
            with pytest.raises(redis.exceptions.ClusterCrossSlotError, match="don't hash to the same slot") as raised:
                await client.execute_command("EVAL", TWO_KEYS, 2, "a", "b", "cross", target_nodes=node)
            assert isinstance(raised.value, redis.exceptions.ResponseError)
        finally:
            await client.aclose()


async def promoted_when(setup: SentinelSetup) -> tuple[int, float]:
    """The promoted primary's port, and the time (monotonic) at which the harness saw the promotion."""
    port = await asyncio.to_thread(setup.wait_for_failover, 20)
    return port, time.monotonic()


async def write_until_it_succeeds(client: redis.asyncio.Redis, since: float, bound: float) -> dict[str, str]:
    """SET through `client` every 0.1 s until it succeeds, for at most `bound` seconds after `since`. Returns,
    per exception seen (class and message), when it was first and last raised and the longest failing call."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    longest: dict[str, float] = {}
    while True:
        call_started = time.monotonic()
        try:
            await client.set("harness:after", "2")
            break
        except FAILOVER_ERRORS as error:
            now = time.monotonic()
            name = f"{type(error).__module__}.{type(error).__qualname__}({error})"
            first.setdefault(name, now - since)
            last[name] = now - since
            longest[name] = max(longest.get(name, 0.0), now - call_started)
            assert now - since < bound, first
            await asyncio.sleep(0.1)
    return {name: f"{first[name]:.2f}-{last[name]:.2f} s, calls <= {longest[name]:.2f} s" for name in first}


async def test_sentinel_master_client_writes_again_after_the_primary_is_killed(
    record_property: RecordProperty,
) -> None:
    """The same master_for client, writing all along, writes again once a sentinel has promoted the replica."""
    started = time.monotonic()
    with running_sentinel(sentinels=2) as setup:
        report(record_property, "sentinel_startup_seconds", round(time.monotonic() - started, 2))
        sentinels = ",".join(f"127.0.0.1:{port}" for port in setup.sentinel_ports)
        assert setup.url == f"redis+sentinel://{sentinels}/web3auth"
        sentinel = Sentinel(setup.sentinel_nodes, socket_timeout=0.5)  # type: ignore[no-untyped-call]
        primary = sentinel.master_for(setup.service_name, socket_timeout=0.5, decode_responses=True)
        try:
            await primary.set("harness:before", "1")
            assert await primary.wait(1, 2000) == 1  # on the replica too: it survives the failover

            killed = await asyncio.to_thread(setup.kill_primary)
            killed_at = time.monotonic()
            promotion = asyncio.create_task(promoted_when(setup))
            errors = await write_until_it_succeeds(primary, since=killed_at, bound=20)
            written_at = time.monotonic()
            promoted, promoted_at = await promotion
            assert promoted == setup.replica_port != killed
            assert setup.current_primary_port() == promoted
            assert await primary.get("harness:before") == "1"
            with redis.Redis(port=promoted, socket_timeout=0.5, decode_responses=True) as node:
                assert node.get("harness:after") == "2"
        finally:
            await primary.aclose()
            for client in sentinel.sentinels:
                await client.aclose()
        report(record_property, "failover_kill_to_promotion_seconds", round(promoted_at - killed_at, 2))
        report(record_property, "failover_promotion_to_first_write_seconds", round(written_at - promoted_at, 2))
        report(record_property, "failover_errors_while_writing", errors)
        assert written_at - promoted_at < 15


async def test_sentinel_master_client_turns_readonly_into_connection_error() -> None:
    """A write on a replica raises ReadOnlyError; a master_for client still connected to a demoted primary
    raises ConnectionError instead (and disconnects, so that the next connection asks the sentinels again)."""
    with running_sentinel() as setup:
        replica = redis.asyncio.Redis(port=setup.replica_port, socket_timeout=0.5)
        sentinel = Sentinel(setup.sentinel_nodes, socket_timeout=0.5)  # type: ignore[no-untyped-call]
        no_retry = Retry(NoBackoff(), 0)
        primary = sentinel.master_for(setup.service_name, socket_timeout=0.5, retry=no_retry)
        try:
            with pytest.raises(redis.exceptions.ReadOnlyError):
                await replica.set("harness:key", "1")
            await primary.set("harness:key", "1")
            # demote the primary behind the sentinels' back: they still name it, and it answers READONLY
            await replica.replicaof("NO", "ONE")
            with redis.Redis(port=setup.primary_port, socket_timeout=0.5) as old_primary:
                old_primary.replicaof("127.0.0.1", setup.replica_port)
            with pytest.raises(redis.exceptions.ConnectionError, match="previous master is now a slave") as raised:
                await primary.set("harness:key", "2")
            assert not isinstance(raised.value, redis.exceptions.ReadOnlyError)
        finally:
            for client in [replica, primary, *sentinel.sentinels]:
                await client.aclose()
