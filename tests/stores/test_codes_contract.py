"""OpenID Connect authorization codes in the store: taken once, a second use recognised, gone after their ttl.
The same contract on the memory store, a real Redis server and a Redis Cluster."""

import asyncio
import time
import uuid

import pytest
import redis

from app.errors import StoreUnavailable
from app.oidc.codes import CODE_TTL, AuthorizationCode, new_code
from app.stores.base import Store
from app.stores.redis import NOT_REPLICATED_CODE, RedisStore


def a_record(client_id: str = "grafana") -> str:
    now = int(time.time())
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    return AuthorizationCode(
        client_id=client_id,
        redirect_uri="https://grafana.example.com/login/generic_oauth",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        nonce="n-0S6_WzA2Mj",
        scope=("openid", "profile"),
        session_id=uuid.uuid4().hex,
        address=address,
        chain_id=1,
        accounts=(f"eip155:1:{address}",),
        auth_time=now,
        siwe_message="example.com wants you to sign in with your Ethereum account: ...",
        siwe_signature="0x" + "ab" * 65,
        expires_at=now + CODE_TTL,
    ).to_json()


async def test_a_code_is_taken_once_and_every_later_take_is_recognised_as_a_second_use(store: Store) -> None:
    _, code_hash = new_code()
    record = a_record()
    await store.save_code(code_hash, record, CODE_TTL)
    assert await store.take_code(code_hash) == (record, False)
    assert await store.take_code(code_hash) == (record, True)
    assert await store.take_code(code_hash) == (record, True)


async def test_codes_are_kept_apart(store: Store) -> None:
    (_, first), (_, second) = new_code(), new_code()
    await store.save_code(first, a_record("grafana"), CODE_TTL)
    await store.save_code(second, a_record("vault"), CODE_TTL)
    taken = [await store.take_code(code_hash) for code_hash in (first, second)]
    assert [(AuthorizationCode.from_json(t[0]).client_id, t[1]) for t in taken if t] == [
        ("grafana", False),
        ("vault", False),
    ]


async def test_of_twenty_concurrent_takes_exactly_one_is_the_first(store: Store) -> None:
    _, code_hash = new_code()
    record = a_record()
    await store.save_code(code_hash, record, CODE_TTL)
    takes = await asyncio.gather(*(store.take_code(code_hash) for _ in range(20)))
    assert sorted(takes, key=lambda take: take is not None and take[1]) == [(record, False)] + [(record, True)] * 19


async def test_an_unknown_code_is_none_and_taking_it_leaves_nothing(store: Store) -> None:
    _, code_hash = new_code()
    assert await store.take_code(code_hash) is None
    assert await store.take_code(code_hash) is None
    await store.save_code(code_hash, a_record(), CODE_TTL)  # a take of nothing did not mark it taken
    taken = await store.take_code(code_hash)
    assert taken is not None
    assert taken[1] is False


async def test_a_code_is_gone_after_its_ttl_taken_or_not(store: Store) -> None:
    (_, untouched), (_, taken) = new_code(), new_code()
    await store.save_code(untouched, a_record(), 1)
    await store.save_code(taken, a_record(), 1)
    assert await store.take_code(taken) is not None
    await asyncio.sleep(1.2)
    assert await store.take_code(untouched) is None
    assert await store.take_code(taken) is None


async def test_on_redis_a_code_is_one_key_with_its_ttl_holding_no_code(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore.from_url(redis_url, prefix=redis_prefix, timeout=2.0)
    inspector = redis.Redis.from_url(redis_url)
    try:
        code, code_hash = new_code()
        await store.save_code(code_hash, a_record(), CODE_TTL)
        await store.take_code(code_hash)
        keys = [key.decode() for key in inspector.scan_iter(match=f"{redis_prefix}:code:*")]
        assert keys == [f"{redis_prefix}:code:{{{code_hash}}}"]
        assert CODE_TTL - 5 <= inspector.ttl(keys[0]) <= CODE_TTL  # taking it kept its ttl
        assert code.encode() not in (inspector.dump(keys[0]) or b"")
    finally:
        inspector.close()
        await store.close()


async def test_waiting_for_a_replica_that_is_not_there_refuses_a_first_take_and_keeps_the_code_spent(
    redis_url: str,
) -> None:
    """The shared Redis has no replica: the first take's WAIT gets no acknowledgement within its bound."""
    store = RedisStore.from_url(redis_url, prefix=f"test-{uuid.uuid4().hex}", timeout=0.5, wait_replicas=1)
    try:
        _, code_hash = new_code()
        record = a_record()
        await store.save_code(code_hash, record, CODE_TTL)
        with pytest.raises(StoreUnavailable) as refused:
            await store.take_code(code_hash)
        assert refused.value.detail == NOT_REPLICATED_CODE
        # a later take grants nothing (it is a second use): answered without waiting for a replica
        assert await store.take_code(code_hash) == (record, True)
        _, unknown = new_code()
        assert await store.take_code(unknown) is None
    finally:
        await store.close()
