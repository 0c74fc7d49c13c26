"""A real Redis server stopped, frozen and brought back while the service runs."""

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.stores.connections import MAX_CONNECTIONS
from tests.support.app import app_client, signed_challenge, signed_in
from tests.support.process import serving
from tests.support.raw_http import send
from tests.support.redis_server import RedisServer, running_redis
from tests.support.wallets import new_wallet

DEADLINE = 1.0  # seconds: the bound for answering 503 when Redis is gone
HEALTH_BOUND = 0.25  # seconds: what /healthz and the JWKS may take at p95 while a crowd waits on a frozen Redis


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


async def assert_unavailable_fast(client: httpx.AsyncClient, method: str, path: str, **kwargs: object) -> None:
    started = time.monotonic()
    response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]  # json= or nothing
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "store_unavailable"
    assert response.headers["retry-after"] == "1"
    # no cache may keep an outage around: a proxy in front of forward-auth must ask again, not replay a denial
    assert response.headers["cache-control"] == "no-store"
    assert elapsed < DEADLINE, f"{method} {path} took {elapsed:.2f}s"


async def assert_outage_answers(
    client: httpx.AsyncClient, wallet: LocalAccount, pending: dict[str, str], tokens: dict[str, str]
) -> None:
    """Everything that needs the store answers 503 quickly (fails closed); what does not keeps answering."""
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    await assert_unavailable_fast(client, "POST", "/auth/challenge", json={"address": wallet.address})
    await assert_unavailable_fast(client, "POST", "/auth/verify", json=pending)
    await assert_unavailable_fast(client, "POST", "/auth/verify", json={"address": wallet.address, "signature": "0x00"})
    await assert_unavailable_fast(client, "GET", "/auth/me", headers=bearer)
    await assert_unavailable_fast(client, "GET", "/auth/forward", headers=bearer)
    await assert_unavailable_fast(client, "POST", "/auth/introspect", data={"token": tokens["access_token"]})
    await assert_unavailable_fast(client, "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    await assert_unavailable_fast(client, "POST", "/auth/logout", headers=bearer)
    await assert_unavailable_fast(client, "GET", "/readyz")
    started = time.monotonic()
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/.well-known/jwks.json")).status_code == 200
    assert time.monotonic() - started < 0.2


async def test_redis_stopped_mid_run_then_restarted(redis_server: RedisServer, wallet: LocalAccount) -> None:
    async with app_client(Settings(redis_url=redis_server.url)) as client:
        tokens = await signed_in(client, wallet)
        pending = await signed_challenge(client, wallet)
        redis_server.stop()
        await assert_outage_answers(client, wallet, pending, tokens)

        redis_server.start()  # same port, no persistence: the old nonces and sessions are gone
        assert (await client.get("/readyz")).status_code == 200
        response = await client.post("/auth/verify", json=pending)
        assert (response.status_code, response.json()["error"]) == (401, "invalid_nonce")
        await signed_in(client, wallet)


async def test_redis_frozen_then_thawed(redis_server: RedisServer, wallet: LocalAccount) -> None:
    """A server that accepts connections and never answers (a black hole), then recovers with its data,
    and the rate limits count again."""
    async with app_client(Settings(redis_url=redis_server.url, rate_limit_address="3/minute")) as client:
        tokens = await signed_in(client, wallet)
        pending = await signed_challenge(client, wallet)
        redis_server.pause()
        forged = {**pending, "signature": "0x" + "00" * 65}
        unrelated = {"access_token": tokens["access_token"], "refresh_token": "A" * 22 + "." + "B" * 43}
        await assert_outage_answers(client, wallet, forged, unrelated)
        redis_server.resume()
        assert (await client.get("/readyz")).status_code == 200
        response = await client.post("/auth/verify", json=pending)
        assert response.status_code == 200, response.text
        refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        fresh = new_wallet()
        statuses = [
            (await client.post("/auth/challenge", json={"address": fresh.address})).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]


async def test_a_crowd_during_a_black_hole_gets_503s_within_the_deadline_while_health_and_keys_stay_fast(
    redis_server: RedisServer,
) -> None:
    """A real server process on a frozen Redis, under more concurrent auth requests than the Redis pool has
    connections, challenges and sign-ins (both forms) mixed: each answers 503 store_unavailable within the
    deadline, and meanwhile /healthz and the JWKS, which need no store, keep answering fast, even the slowest
    of them (the event loop is never blocked, not even while the crowd's timeouts all fire)."""
    crowd = 3 * MAX_CONNECTIONS
    with serving(AUTH_REDIS_URL=redis_server.url, AUTH_RATE_LIMIT_IP="10000/minute") as base_url:
        wallets = [new_wallet() for _ in range(4)]
        sign_ins: list[dict[str, str]] = []
        async with httpx.AsyncClient(base_url=base_url) as http:
            for wallet in wallets:  # real messages, which pass every check that needs no store
                sign_ins.append(await signed_challenge(http, wallet))
                sign_ins.append({"address": wallet.address, "signature": sign_ins[-1]["signature"]})
        requests = [
            ("/auth/challenge", {"address": f"0x{index:040x}"}) if index % 3 == 0 else
            ("/auth/verify", sign_ins[index % len(sign_ins)])
            for index in range(crowd)
        ]  # fmt: skip
        redis_server.pause()
        try:

            async def poll_health(until: float) -> list[float]:
                latencies = []
                while time.monotonic() < until:
                    for path in ("/healthz", "/.well-known/jwks.json"):
                        answer = await send(base_url, "GET", path)
                        assert answer.status == 200
                        latencies.append(answer.seconds)
                    await asyncio.sleep(0.01)
                return latencies

            polling = asyncio.create_task(poll_health(time.monotonic() + 1.5))
            await asyncio.sleep(0.1)
            answers = await asyncio.gather(*(send(base_url, "POST", path, body) for path, body in requests))
            latencies = sorted(await polling)
        finally:
            redis_server.resume()
        for (path, _), answer in zip(requests, answers, strict=True):
            assert answer.status == 503, (path, answer.status, answer.body[:200])
            assert answer.json()["error"] == "store_unavailable", (path, answer.body[:200])
        assert {path for path, _ in requests} == {"/auth/challenge", "/auth/verify"}
        slowest = max(answer.seconds for answer in answers)
        assert slowest < DEADLINE, f"the slowest 503 took {slowest:.2f}s"
        assert len(latencies) >= 10  # enough for a p95 to mean something; its bound below is the check
        # a generous bound for a loaded 2-core machine, yet far below the store's timeout: a blocked loop
        # would hold these requests for the whole AUTH_REDIS_TIMEOUT (0.5 s) or more
        p95 = latencies[int(len(latencies) * 0.95)]
        assert p95 < HEALTH_BOUND, f"/healthz and JWKS took {p95 * 1000:.0f} ms (p95) during the outage"
        assert (await send(base_url, "GET", "/readyz")).status == 200
        assert (await send(base_url, "POST", "/auth/challenge", {"address": "0x" + "ab" * 20})).status == 200
