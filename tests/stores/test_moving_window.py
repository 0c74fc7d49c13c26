"""The in-process moving window against limits' own MemoryStorage, on one clock the test moves: the same
verdicts and window stats for the same hits, and idle keys swept."""

import random
import time

import pytest
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.stores.moving_window import InProcessMovingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.mark.parametrize("seed", range(5))
async def test_the_same_verdicts_as_limits_memory_storage(clock: Clock, seed: int) -> None:
    draw = random.Random(seed)
    ours, reference = InProcessMovingWindow(), MemoryStorage()
    limiters = [MovingWindowRateLimiter(ours), MovingWindowRateLimiter(reference)]
    limits = [RateLimitItemPerSecond(amount, window) for amount, window in [(1, 1), (3, 2), (5, 10)]]
    try:
        for _ in range(600):
            clock.now += draw.choice([0.0, 0.01, 0.1, 0.4, 1.0, 2.5])
            item, key = draw.choice(limits), draw.choice(["a", "b", "c"])
            action = draw.choice(["hit", "hit", "test", "stats"])
            if action == "hit":
                outcomes = [await limiter.hit(item, key) for limiter in limiters]
            elif action == "test":
                outcomes = [await limiter.test(item, key) for limiter in limiters]
                # the O(1) test the rate counter uses in this process decides the same
                assert ours.admits(item.key_for(key), item.amount, item.get_expiry()) == outcomes[1]
            else:
                outcomes = [tuple(await limiter.get_window_stats(item, key)) for limiter in limiters]
                if outcomes[0][1] == item.amount:  # an empty window: limits reports a reset time in the past
                    outcomes = [stats[1] for stats in outcomes]  # (a stale hit's); only `remaining` matters
            assert outcomes[0] == outcomes[1], (action, item, key, clock.now)
    finally:
        if reference.timer is not None:
            reference.timer.cancel()


async def test_idle_keys_are_swept_as_hits_come(clock: Clock) -> None:
    storage = InProcessMovingWindow()
    limiter = MovingWindowRateLimiter(storage)
    item = RateLimitItemPerSecond(2, 1)
    for index in range(1000):
        assert await limiter.hit(item, f"client-{index}")
    assert len(storage) == 1000
    clock.now += 1.5
    for index in range(200):  # steady traffic from a few clients sweeps the idle thousand
        await limiter.hit(item, f"steady-{index % 5}")
    assert len(storage) == 5
