"""The service on the Redis deployments people operate: a Redis Cluster (3 masters) and a Sentinel set whose
primary dies, all real processes on loopback."""

import asyncio
import dataclasses
import secrets
import time
import uuid

import httpx
import redis.asyncio
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.domain.tokens import new_id
from app.stores.connections import StoreConnection
from app.stores.redis import RedisStore
from tests.stores.test_store_contract import a_challenge, a_session
from tests.support.app import GENEROUS_LIMITS, app_client, signed_challenge, signed_in
from tests.support.redis_cluster import RedisClusterNodes, running_sentinel


async def full_flow(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    tokens = await signed_in(client, wallet)
    replay = await client.post("/auth/verify", json=await signed_challenge(client, wallet))
    assert replay.status_code == 200
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    reused = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.json()["error"] == "refresh_reused"
    bearer = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert (await client.get("/auth/me", headers=bearer)).status_code == 401  # revoked with the reuse
    fresh = await signed_in(client, wallet)
    bearer = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert (await client.post("/auth/logout", headers=bearer)).status_code == 204
    assert (await client.get("/auth/me", headers=bearer)).status_code == 401


async def test_sign_in_refresh_reuse_and_logout_on_a_redis_cluster(
    redis_cluster: RedisClusterNodes, wallet: LocalAccount
) -> None:
    settings = Settings(redis_url=redis_cluster.url, redis_prefix=f"test-{uuid.uuid4().hex}", **GENEROUS_LIMITS)
    async with app_client(settings) as client:
        assert (await client.get("/readyz")).json()["store"] == "redis"
        await full_flow(client, wallet)


async def test_rate_limits_count_on_a_redis_cluster(redis_cluster: RedisClusterNodes) -> None:
    settings = Settings(redis_url=redis_cluster.url, redis_prefix=f"test-{uuid.uuid4().hex}", rate_limit_ip="3/minute")
    async with app_client(settings) as client:
        statuses = [(await client.get("/auth/me")).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]


async def test_after_a_sentinel_failover_sign_in_works_again_without_a_restart(wallet: LocalAccount) -> None:
    # two replicas: a sign-in waits for one replica to acknowledge it, and the promoted replica needs one
    with running_sentinel(replicas=2) as sentinel:
        settings = Settings(redis_url=sentinel.url, redis_prefix=f"test-{uuid.uuid4().hex}", **GENEROUS_LIMITS)
        assert settings.redis_wait_replicas == 1
        async with app_client(settings) as client:
            await full_flow(client, wallet)
            sentinel.kill_primary()
            sentinel.wait_for_replicas(sentinel.wait_for_failover(), 1)
            deadline = time.monotonic() + 15
            while True:  # the service finds the new primary by itself: no restart, no new client
                response = await client.post("/auth/challenge", json={"address": wallet.address})
                if response.status_code == 200:
                    break
                assert (response.status_code, response.json()["error"]) == (503, "store_unavailable")
                assert time.monotonic() < deadline, "sign-in did not come back after the failover"
                await asyncio.sleep(0.2)
            await full_flow(client, wallet)
            assert (await client.get("/readyz")).status_code == 200


async def test_a_cluster_behind_a_plain_redis_client_falls_back_to_two_step_sign_ins(
    redis_cluster: RedisClusterNodes,
) -> None:
    """A proxy in front of a cluster speaks plain Redis: the one-script redemption crosses slots, is refused
    before it runs (CROSSSLOT), and the store redeems in two single-key steps from then on."""
    node = redis.asyncio.Redis(host="127.0.0.1", port=redis_cluster.ports[0])
    here = [
        range(int(start), int(end) + 1)
        for start, end, master, *_ in await node.execute_command("CLUSTER", "SLOTS")
        if int(master[1]) == redis_cluster.ports[0]
    ]

    async def slot_here(tag: str) -> int | None:
        slot = int(await node.execute_command("CLUSTER", "KEYSLOT", tag))
        return slot if any(slot in served for served in here) else None

    prefix = f"test-{uuid.uuid4().hex}"
    while await slot_here(f"{prefix}:sessions") is None:  # the live-session count on this node too
        prefix = f"test-{uuid.uuid4().hex}"
    store = RedisStore(StoreConnection(node), prefix=prefix, timeout=0.5)
    try:
        while True:  # an address and a session whose keys both live on this node, in different slots
            challenge = a_challenge("0x" + secrets.token_hex(20))
            session = dataclasses.replace(a_session(), address=challenge.address)
            slots = [await slot_here(challenge.address), await slot_here(session.session_id)]
            if None not in slots and slots[0] != slots[1]:
                break
        await store.save_challenge(challenge)
        assert await store.redeem_challenge(challenge.nonce, session, "ab" * 32)
        assert await store.find_challenge(challenge.address, challenge.nonce) is None  # consumed
        assert await store.find_session(session.session_id) == session
        replay = dataclasses.replace(session, session_id=new_id())
        while await slot_here(replay.session_id) is None:
            replay = dataclasses.replace(session, session_id=new_id())
        assert not await store.redeem_challenge(challenge.nonce, replay, "cd" * 32)  # spent stays spent
        assert await store.find_session(replay.session_id) is None
    finally:
        await store.close()
