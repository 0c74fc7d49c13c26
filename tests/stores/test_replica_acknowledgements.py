"""No replay after a Sentinel failover: a sign-in (and a refresh) answers only once a replica has its write
(AUTH_REDIS_WAIT_REPLICAS). Real primary, replicas and sentinels on loopback; replication lag is made
deterministic by relaying each replica's link through a ReplicationLink the test holds, then cuts."""

import asyncio
import time
import uuid

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from app.config import Settings
from app.errors import StoreUnavailable
from app.stores.redis import NOT_REPLICATED_SIGN_IN, RedisStore
from tests.stores.test_store_contract import a_challenge, a_session
from tests.support.app import GENEROUS_LIMITS, app_client, signed_challenge, signed_in
from tests.support.redis_cluster import running_sentinel


def sentinel_settings(url: str) -> Settings:
    return Settings(redis_url=url, redis_prefix=f"test-{uuid.uuid4().hex}", **GENEROUS_LIMITS)


async def until_the_store_answers(client: httpx.AsyncClient, timeout: float = 15) -> None:
    """Ask for challenges (a write no replica needs to acknowledge) until the service has found the new primary."""
    deadline = time.monotonic() + timeout
    address = Account.create().address
    while (response := await client.post("/auth/challenge", json={"address": address})).status_code != 200:
        assert (response.status_code, response.json()["error"]) == (503, "store_unavailable"), response.text
        assert time.monotonic() < deadline, "the store did not come back after the failover"
        await asyncio.sleep(0.2)


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("error", "")


async def test_a_signed_message_signs_in_at_most_once_across_a_failover(wallet: LocalAccount) -> None:
    with running_sentinel(replicas=2, relayed=True) as sentinel:
        async with app_client(sentinel_settings(sentinel.url)) as client:
            # signed in before the failover: the replicas have the consumed nonce
            confirmed = await signed_challenge(client, wallet)
            assert (await client.post("/auth/verify", json=confirmed)).status_code == 200
            # from here on the primary's writes reach no replica: it dies with them
            unconfirmed = await signed_challenge(client, wallet)
            sentinel.hold_replication()
            first = await client.post("/auth/verify", json=unconfirmed)
            sentinel.kill_primary()
            sentinel.cut_replication()
            promoted = sentinel.wait_for_failover()
            sentinel.wait_for_replicas(promoted, 1)  # else every sign-in would be a 503, proving nothing
            await until_the_store_answers(client)

            assert error_of(await client.post("/auth/verify", json=confirmed)) == (401, "invalid_nonce")
            # the sign-in the replicas never had answered 503, so it issued nothing: its message may sign in
            # once on the new primary, where its nonce is still outstanding, and once only
            assert error_of(first) == (503, "store_unavailable"), first.text
            replayed = [(await client.post("/auth/verify", json=unconfirmed)).status_code for _ in range(2)]
            assert [first.status_code, *replayed].count(200) <= 1, (first.status_code, replayed)
            await signed_in(client, wallet)  # and sign-ins work on the new primary


async def test_with_no_replica_acknowledging_a_sign_in_or_a_refresh_is_503_and_its_nonce_or_token_spent(
    wallet: LocalAccount,
) -> None:
    with running_sentinel(replicas=1, relayed=True) as sentinel:
        async with app_client(sentinel_settings(sentinel.url)) as client:
            tokens = await signed_in(client, wallet)
            body = await signed_challenge(client, wallet)
            sentinel.hold_replication()

            refused = await client.post("/auth/verify", json=body)
            assert error_of(refused) == (503, "store_unavailable"), refused.text
            assert refused.json()["detail"] == NOT_REPLICATED_SIGN_IN
            assert refused.headers["Retry-After"] == "1"
            assert error_of(await client.post("/auth/verify", json=body)) == (401, "invalid_nonce")

            refresh = {"refresh_token": tokens["refresh_token"]}
            assert error_of(await client.post("/auth/refresh", json=refresh)) == (503, "store_unavailable")
            assert error_of(await client.post("/auth/refresh", json=refresh)) == (401, "refresh_reused")


async def test_a_store_waiting_for_a_replica_that_is_not_there_refuses_and_keeps_the_nonce_spent(
    redis_url: str,
) -> None:
    """The shared Redis has no replica: WAIT gets no acknowledgement within its bound."""
    store = RedisStore.from_url(redis_url, prefix=f"test-{uuid.uuid4().hex}", timeout=0.5, wait_replicas=1)
    try:
        challenge = a_challenge()
        await store.save_challenge(challenge)
        session = a_session(challenge.address)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="request a new challenge"):
            await store.redeem_challenge(challenge.nonce, session, "ab" * 32)
        assert time.monotonic() - started < 1  # within the store's budget, never WAIT's 0 (for ever)
        assert await store.find_challenge(challenge.address, challenge.nonce) is None
    finally:
        await store.close()


def test_one_replica_acknowledges_by_default_on_sentinel_none_elsewhere_and_a_cluster_cannot() -> None:
    assert Settings(redis_url="redis+sentinel://127.0.0.1:26380/x").redis_wait_replicas == 1
    assert Settings(redis_url="redis+sentinel://127.0.0.1:26380/x", redis_wait_replicas=0).redis_wait_replicas == 0
    assert Settings(redis_url="redis://127.0.0.1:6379").redis_wait_replicas == 0
    assert Settings(redis_url="redis://127.0.0.1:6379", redis_wait_replicas=2).redis_wait_replicas == 2
    assert Settings().redis_wait_replicas == 0
    assert Settings(redis_url="redis+cluster://127.0.0.1:7000").redis_wait_replicas == 0
    with pytest.raises(ValidationError, match="not supported with redis\\+cluster"):
        Settings(redis_url="redis+cluster://127.0.0.1:7000", redis_wait_replicas=1)
