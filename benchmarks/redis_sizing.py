"""Redis sizing: the bytes one session, one challenge and one rate-limit key take on a real Redis server.

    .venv/bin/python benchmarks/redis_sizing.py [--redis-url redis://127.0.0.1:6379/0] [--count 10000]

Writes --count of each through the real RedisStore and rate counter (under a prefix of its own, deleted at
the end): challenges for as many addresses (the message the service issues), sessions opened by redeeming
them (each also a member of the live-sessions set), sessions refreshed a day's worth of times (96, every
15 minutes: each refresh keeps one spent-token field), and per-IP rate-limit windows holding one hit and
holding a whole hourly sign-in budget. For each it prints the bytes per item by MEMORY USAGE (the key's
value, exact: SAMPLES 0) and by the growth of INFO used_memory (also the key's name, its TTL entry and
the keyspace's own overhead; noisy on a server others write to), then what the defaults imply.
"""

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import limits
import redis
import redis.asyncio

from app.config import Settings
from app.domain.addresses import normalize_address
from app.domain.challenges import issue_challenge
from app.domain.tokens import new_id, new_refresh_token
from app.policies import Policies
from app.stores.base import Session
from app.stores.connections import limits_storage, parse_redis_url
from app.stores.limits import RateCounter
from app.stores.redis import RedisStore

REFRESHES_A_DAY = 96  # a client refreshing every AUTH_ACCESS_TTL (15 minutes) for a day


@dataclass
class Figure:
    name: str
    by_key: float  # bytes per item, MEMORY USAGE
    by_server: float  # bytes per item, INFO used_memory growth


def an_address(index: int) -> str:
    return normalize_address("0x" + f"{index:040x}")


class Sizer:
    def __init__(self, url: str, count: int) -> None:
        self.url, self.count, self.prefix = url, count, f"sizing-{uuid.uuid4().hex}"
        self.offset = 0
        self.settings = Settings(redis_url=url, redis_prefix=self.prefix)
        self.sign_in = Policies.from_settings(self.settings).sign_in
        self.store = RedisStore.from_url(url, prefix=self.prefix, timeout=5.0)
        self.inspector = redis.asyncio.Redis.from_url(url)
        self.counter = RateCounter(
            limits_storage(parse_redis_url(url), self.inspector, prefix=self.prefix, timeout=5.0), 5.0
        )

    async def used_memory(self) -> int:
        return int((await self.inspector.info("memory"))["used_memory"])

    async def key_bytes(self, pattern: str) -> int:
        total = 0
        async for key in self.inspector.scan_iter(match=f"{self.prefix}:{pattern}", count=1000):
            total += int(await self.inspector.memory_usage(key, samples=0) or 0)
        return total

    async def measure(
        self, name: str, pattern: str, write: Callable[[int], Awaitable[None]], *, count: int | None = None
    ) -> Figure:
        """Bytes per item of `count` (--count) items written by `write(index)`, in the keys `pattern` matches."""
        count = count or self.count
        before_keys, before = await self.key_bytes(pattern), await self.used_memory()
        for index in range(self.offset, self.offset + count):  # new addresses, IPs, sessions each time
            await write(index)
        self.offset += count
        after_keys, after = await self.key_bytes(pattern), await self.used_memory()
        return Figure(name, (after_keys - before_keys) / count, (after - before) / count)

    async def challenge(self, index: int) -> str:
        issued = issue_challenge(self.sign_in, address=an_address(index), now=time.time(), client="198.51.100.1")
        await self.store.save_challenge(issued.challenge)
        return issued.challenge.nonce

    async def session(self, index: int, refreshes: int = 0) -> None:
        nonce = await self.challenge(index)
        now = int(time.time())
        expires_at = now + self.settings.refresh_ttl
        session_id = new_id()
        session = Session(
            session_id, an_address(index), 1, now, expires_at, self.settings.domains[0], now + self.settings.idle_ttl
        )
        refresh_hash = new_refresh_token(session_id)[1]
        assert await self.store.redeem_challenge(nonce, session, refresh_hash)
        for _ in range(refreshes):
            new_hash = new_refresh_token(session_id)[1]
            await self.store.rotate_refresh(
                session_id, refresh_hash, new_hash, now=now, grace=0, keep_revoked=960, idle_ttl=86400
            )
            refresh_hash = new_hash

    async def run(self) -> list[Figure]:
        per_ip, sign_ins = limits.parse(self.settings.rate_limit_ip), limits.parse(self.settings.rate_limit_signin_ip)

        async def one_hit(index: int) -> None:
            await self.counter.hit(per_ip, "ip", f"203.0.{index // 256 % 256}.{index % 256}")

        try:
            figures = [
                await self.measure("challenge (address list of one)", "challenges:*", self.challenge),
                await self.measure("session, just signed in", "session*", self.session),
                await self.measure(
                    f"session refreshed {REFRESHES_A_DAY} times",
                    "session*",
                    lambda i: self.session(i, REFRESHES_A_DAY),
                    count=max(1, self.count // 10),
                ),
                await self.measure("rate key, one hit (per-IP window)", "limits:*", one_hit),
            ]

            async def budget_spent(index: int) -> None:
                for _ in range(sign_ins.amount):
                    await self.counter.hit(sign_ins, "sign-in-ip", f"198.18.{index // 256 % 256}.{index % 256}")

            spent = f"rate key, {sign_ins.amount} hits (a spent sign-in budget)"
            count = max(1, self.count // sign_ins.amount)
            figures.append(await self.measure(spent, "limits:*", budget_spent, count=count))
            return figures
        finally:
            async for key in self.inspector.scan_iter(match=f"{self.prefix}:*", count=1000):
                await self.inspector.delete(key)
            await self.store.close()
            await self.inspector.aclose()


def report(figures: list[Figure], settings: Settings) -> None:
    print(f"{'item':45} {'MEMORY USAGE':>13} {'used_memory':>12}  (bytes per item)")
    for figure in figures:
        print(f"{figure.name:45} {figure.by_key:13.0f} {figure.by_server:12.0f}")
    session = next(f for f in figures if f.name.startswith("session, just")).by_server
    refreshed = next(f for f in figures if f.name.startswith("session refreshed")).by_server
    sign_ins = limits.parse(settings.rate_limit_signin_ip)
    one_ip_a_day = sign_ins.amount * 86400 // sign_ins.get_expiry()
    print()
    print(
        f"one IP at its sign-in budget ({settings.rate_limit_signin_ip}) for a day (AUTH_SESSION_IDLE_TTL): "
        f"{one_ip_a_day} live sessions, {one_ip_a_day * session / 2**20:.1f} MiB"
    )
    print(
        f"AUTH_MAX_SESSIONS ({settings.max_sessions}) sessions: {settings.max_sessions * session / 2**30:.2f} GiB "
        f"just signed in, {settings.max_sessions * refreshed / 2**30:.2f} GiB refreshed for a day"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--count", type=int, default=10_000, help="items of each kind (default 10000)")
    arguments = parser.parse_args()
    sizer = Sizer(arguments.redis_url, arguments.count)
    figures = asyncio.run(sizer.run())
    server = redis.Redis.from_url(arguments.redis_url)
    print(f"Redis {server.info('server')['redis_version']}, {arguments.count} items of each kind")
    server.close()
    report(figures, sizer.settings)


if __name__ == "__main__":
    main()
