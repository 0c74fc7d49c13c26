"""The service on the Redis deployments people operate: a Redis Cluster (3 masters) and a Sentinel set whose
primary dies, all real processes on loopback."""

import asyncio
import time
import uuid

import httpx
from eth_account.signers.local import LocalAccount

from app.config import Settings
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
    with running_sentinel() as sentinel:
        settings = Settings(redis_url=sentinel.url, redis_prefix=f"test-{uuid.uuid4().hex}", **GENEROUS_LIMITS)
        async with app_client(settings) as client:
            await full_flow(client, wallet)
            sentinel.kill_primary()
            sentinel.wait_for_failover()
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
