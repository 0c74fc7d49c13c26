"""The challenge cap, property-based: for generated sequences of saves to one address, the memory store, the
Redis store (its _SAVE Lua script) and the Redis Cluster store keep exactly the same outstanding challenges,
newest first, after every save, and so does a plain model that applies app.stores.base.dropped_for directly
(so a misunderstanding the two stores share, of where the cap applies or of expiry, is caught too). The
model's own choices are checked against what dropped_for's docstring promises.

Expiry without sleeping: both stores read the wall clock through their module's `time`, which each example
replaces with a clock of its own that the sequence moves forward (time.monotonic stays the real one). Every
saved challenge lives at least MIN_TTL seconds from its save, so no key (a Redis TTL, the memory store's
deadline) runs out in real time during an example: challenges expire only by the clock that is moved, at
exactly the instants the sequence says (a challenge whose expires_at equals `now` is no longer outstanding).
What this leaves out: both stores keep an address's challenges only as long as its newest one lives (the
memory store to the instant, Redis to the whole second above), which the service, saving every challenge with
the same nonce_ttl of at least 10 s, never makes shorter than an older one's.
"""

import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from unittest.mock import patch

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import app.stores.memory as memory_module
import app.stores.redis as redis_module
from app.stores import MemoryStore, RedisStore
from app.stores.base import OUTSTANDING_CHALLENGES, Challenge, Store, dropped_for
from tests.support.redis_cluster import RedisClusterNodes

ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
# More clients than the cap; rate-limit keys are IPs, plus a few odd strings that must count as the same client
# in Lua (decoded from the stored JSON) as in Python (the script's argument).
CLIENTS = [
    "198.51.100.1",
    "198.51.100.2",
    "203.0.113.7",
    "2001:db8::1",
    "192.0.2.10",
    "192.0.2.11",
    "192.0.2.12",
    "192.0.2.13",
    "192.0.2.14",
    "clïent-ü",
    'quote"and\\backslash',
    "10.0.0.1",
]
MIN_TTL = 30
TTLS = [MIN_TTL, MIN_TTL + 1, 45, 60, 600]  # seconds from the save
GAPS = [0, 0, 1, 14, 15, 29, 30, 31, 60]  # seconds the clock moves before a burst: expiry exactly at, just after
MAX_SAVES = 40
STORE_TIMEOUT = 5.0  # not what is tested here; generous so a loaded machine does not fail the example


@dataclass(frozen=True)
class Burst:
    gap: int  # seconds the clock moves first
    pattern: tuple[str, ...]  # clients, saved in this order...
    repeat: int  # ...this many times over, all at the same instant (ties in issued_at and expires_at too)
    ttl: int


@st.composite
def save_sequences(draw: st.DrawFn) -> list[tuple[int, str, int]]:
    """(gap, client, ttl) per save: floods from one client, round robins (ties in what clients hold), more
    clients than the cap, challenges expiring between bursts."""
    clients = CLIENTS[: draw(st.integers(1, len(CLIENTS)))]
    bursts = draw(
        st.lists(
            st.builds(
                Burst,
                gap=st.sampled_from(GAPS),
                pattern=st.one_of(
                    st.lists(st.sampled_from(clients), min_size=1, max_size=4).map(tuple),
                    st.lists(st.sampled_from(clients), min_size=1, max_size=2).map(tuple),
                    st.permutations(clients).map(tuple),  # up to every client once: more clients than the cap
                ),
                repeat=st.integers(1, 10),
                ttl=st.sampled_from(TTLS),
            ),
            min_size=1,
            max_size=10,
        )
    )
    saves = []
    for burst in bursts:
        for index in range(burst.repeat * len(burst.pattern)):
            gap = burst.gap if index == 0 else 0
            saves.append((gap, burst.pattern[index % len(burst.pattern)], burst.ttl))
    return saves[:MAX_SAVES]


class Clock:
    """Stands in for the `time` module of the stores: a wall clock that only the test moves."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()


def check_documented_choice(client: str, older: list[Challenge], dropped: Challenge) -> None:
    """What dropped_for's docstring promises, stated independently of how it computes it."""
    held = Counter(challenge.client for challenge in older)
    held[client] += 1
    most = max(held.values())
    assert dropped in older
    assert held[dropped.client] == most  # the client holding the most, counting the new one
    assert dropped == [c for c in older if c.client == dropped.client][-1]  # its oldest
    if held[client] == most and any(c.client == client for c in older):
        assert dropped.client == client  # that client itself on a tie
    if most == 1:
        assert dropped == older[-1]  # else the oldest of all


def drop_kind(client: str, older: list[Challenge]) -> str:
    """Which case of the rule a drop was, for --hypothesis-show-statistics."""
    held = Counter(challenge.client for challenge in older)
    held[client] += 1
    most = max(held.values())
    if most == 1:
        return "drop: every client holds one, the oldest of all goes"
    if held[client] == most:
        tie = "tied" if list(held.values()).count(most) > 1 else "alone"
        return f"drop: the saving client holds the most ({tie}), its own oldest goes"
    tie = "tied" if list(held.values()).count(most) > 1 else "alone"
    return f"drop: another client holds the most ({tie}), its oldest goes"


class Model:
    """The rule as stated: expired challenges are gone; a save beyond the cap drops what dropped_for names."""

    def __init__(self) -> None:
        self.held: list[Challenge] = []  # newest first

    def save(self, challenge: Challenge, now: float) -> None:
        older = [held for held in self.held if held.expires_at > now]
        if len(older) < len(self.held):
            event("expired challenges cleared by a save")
        if len(older) + 1 > OUTSTANDING_CHALLENGES:
            dropped = dropped_for(challenge.client, older)
            check_documented_choice(challenge.client, older, dropped)
            event(drop_kind(challenge.client, older))
            older.remove(dropped)
        self.held = [challenge, *older]
        assert len(self.held) <= OUTSTANDING_CHALLENGES

    def outstanding(self, now: float) -> list[Challenge]:
        return [held for held in self.held if held.expires_at > now]


def disagreement(
    saves: list[tuple[int, str, int]], expected: list[Challenge], found: dict[str, list[Challenge]]
) -> str:
    """The sequence so far and what each side holds, each challenge as `#<save index> <client>`."""

    def held(challenges: list[Challenge]) -> str:
        return ", ".join(f"#{int(c.nonce[5:9])} {c.client}" for c in challenges)

    lines = ["saves so far, as (seconds the clock moved first, client, ttl):", repr(saves), f"model:  {held(expected)}"]
    lines += [f"{kind}: {held(challenges)}" for kind, challenges in found.items()]
    return "\n".join(lines)


@asynccontextmanager
async def redis_store(url: str) -> AsyncIterator[RedisStore]:
    """A Redis store under a key prefix of this example's own; its key is deleted afterwards."""
    store = RedisStore.from_url(url, prefix=f"test-{uuid.uuid4().hex}", timeout=STORE_TIMEOUT)
    key = store._challenges_key(ADDRESS)
    try:
        yield store
    finally:
        try:
            await store._redis.delete(key)
            assert await store._redis.exists(key) == 0
        finally:
            await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(saves=save_sequences())
async def test_memory_redis_cluster_and_the_model_keep_the_same_challenges(
    saves: list[tuple[int, str, int]], redis_url: str, redis_cluster: RedisClusterNodes
) -> None:
    clock = Clock(time.time())
    model, memory = Model(), MemoryStore()
    async with AsyncExitStack() as stack:
        stores: dict[str, Store] = {
            "memory": memory,
            "redis": await stack.enter_async_context(redis_store(redis_url)),
            "redis-cluster": await stack.enter_async_context(redis_store(redis_cluster.url)),
        }
        stack.enter_context(patch.object(memory_module, "time", clock))
        stack.enter_context(patch.object(redis_module, "time", clock))
        for index, (gap, client, ttl) in enumerate(saves):
            clock.now += gap
            nonce = f"nonce{index:04d}x{uuid.uuid4().hex[:8]}"
            challenge = Challenge(
                nonce, ADDRESS, 1, "example.com", clock.now, clock.now + ttl, client, f"message for {nonce}"
            )
            model.save(challenge, clock.now)
            for store in stores.values():
                await store.save_challenge(challenge)
            expected = model.outstanding(clock.now)
            found = {kind: await store.outstanding_challenges(ADDRESS) for kind, store in stores.items()}
            assert all(held == expected for held in found.values()), disagreement(saves[: index + 1], expected, found)
        for kind in ("redis", "redis-cluster"):  # what the script keeps, expired entries included, stays capped
            redis_kept = stores[kind]
            assert isinstance(redis_kept, RedisStore)
            assert await redis_kept._redis.llen(redis_kept._challenges_key(ADDRESS)) <= OUTSTANDING_CHALLENGES
