"""Rate-limit checks run inside the Redis store's scripts (app.stores.redis_limits) count the same windows as
`limits`' own Redis storage, the same way: a window filled through one is full for the other, and a refusal
says the same remaining hits and reset time. A refused check runs nothing of the operation after it."""

from typing import NoReturn

import limits
import pytest
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.stores.connections import close_limits_storage
from app.stores.pending_limits import LimitCheck, Verdict, pending_batch, queued
from app.stores.redis import RedisStore
from tests.stores.test_store_contract import a_challenge

PER_MINUTE = limits.parse("3/minute")


class Refused(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict)
        self.verdict = verdict


def refuse(verdict: Verdict) -> NoReturn:
    raise Refused(verdict)


def a_hit(key: str, *, counts: bool = True) -> LimitCheck:
    return LimitCheck(PER_MINUTE, ("test", key), counts, refuse)


async def test_folded_checks_and_limits_storage_count_one_window(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore.from_url(redis_url, prefix=redis_prefix, timeout=2)
    storage = RedisStorage(f"async+{redis_url}", key_prefix=f"{redis_prefix}:limits", implementation="redispy")
    strategy = MovingWindowRateLimiter(storage)
    try:
        assert await strategy.hit(PER_MINUTE, "test", "client")
        assert await strategy.hit(PER_MINUTE, "test", "client")
        with pending_batch():
            assert queued(a_hit("client"))  # the third: allowed, and the challenge saved
            challenge = a_challenge()
            await store.save_challenge(challenge)
        assert await store.find_challenge(challenge.address, challenge.nonce) == challenge
        assert not await strategy.test(PER_MINUTE, "test", "client")  # full for limits too
        for counts in (False, True):  # a check, then a hit: both refused, the challenge not saved
            refused = a_challenge()
            with pending_batch():
                assert queued(a_hit("client", counts=counts))
                with pytest.raises(Refused) as raised:
                    await store.save_challenge(refused)
            assert await store.find_challenge(refused.address, refused.nonce) is None
            stats = await strategy.get_window_stats(PER_MINUTE, "test", "client")
            assert raised.value.verdict.remaining == stats.remaining == 0
            assert raised.value.verdict.reset_at == pytest.approx(stats.reset_time, abs=1e-3)
        assert not await strategy.hit(PER_MINUTE, "test", "client")  # the refusals counted nothing
    finally:
        await store.close()
        await close_limits_storage(storage)


async def test_a_refused_check_stops_the_later_ones_and_the_operation(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore.from_url(redis_url, prefix=redis_prefix, timeout=2)
    storage = RedisStorage(f"async+{redis_url}", key_prefix=f"{redis_prefix}:limits", implementation="redispy")
    strategy = MovingWindowRateLimiter(storage)
    try:
        for _ in range(3):
            assert await strategy.hit(PER_MINUTE, "test", "full")
        with pending_batch():
            queued(a_hit("first"))  # counted: it came before the refusal
            queued(a_hit("full"))
            queued(a_hit("after"))  # never run
            with pytest.raises(Refused):
                await store.save_challenge(a_challenge())
        assert (await strategy.get_window_stats(PER_MINUTE, "test", "first")).remaining == 2
        assert (await strategy.get_window_stats(PER_MINUTE, "test", "after")).remaining == 3
    finally:
        await store.close()
        await close_limits_storage(storage)
