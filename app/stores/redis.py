"""The shared store on Redis (redis-py asyncio), for several workers and replicas.

Keys, under AUTH_REDIS_PREFIX:
    <prefix>:challenge:<nonce>    JSON of the challenge, with the nonce TTL
    <prefix>:recent:<address>     list of the last RECENT_CHALLENGES nonces issued to that address, newest
                                  first, with the TTL of the newest
    <prefix>:session:<session id> hash of the session, with the session's absolute TTL

Every operation has one deadline (AUTH_REDIS_TIMEOUT, default 0.5 s) covering the connection, the command
and one immediate retry on a dropped connection (a pooled connection that a Redis restart killed); past
it, or on any Redis error, the operation raises StoreUnavailable. Consuming a nonce is a Lua script: one
atomic step, never a read then a delete.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Self

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.errors import StoreUnavailable
from app.stores.base import RECENT_CHALLENGES, Challenge, Session

MAX_CONNECTIONS = 64

# KEYS: challenge, recent-for-address, session. ARGV: nonce, session ttl, then the session's field/value pairs.
_REDEEM = """
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('LREM', KEYS[2], 0, ARGV[1])
redis.call('HSET', KEYS[3], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[3], ARGV[2])
return 1
"""


def _challenge_json(challenge: Challenge) -> str:
    return json.dumps(
        {
            "nonce": challenge.nonce,
            "address": challenge.address,
            "chain_id": challenge.chain_id,
            "domain": challenge.domain,
            "issued_at": challenge.issued_at,
            "message": challenge.message,
        },
        separators=(",", ":"),
    )


def _challenge(raw: bytes | str | None) -> Challenge | None:
    return None if raw is None else Challenge(**json.loads(raw))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisStore:
    def __init__(self, client: Redis, *, prefix: str, timeout: float) -> None:
        self._redis = client
        self._prefix = prefix
        self._timeout = timeout
        self._redeem = client.register_script(_REDEEM)

    @classmethod
    def from_url(cls, url: str, *, prefix: str, timeout: float) -> Self:
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), retries=1),
        )
        return cls(Redis(connection_pool=pool), prefix=prefix, timeout=timeout)

    @asynccontextmanager
    async def _answering(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._timeout):
                yield
        except (RedisError, OSError, TimeoutError) as exc:
            raise StoreUnavailable() from exc

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{name}"

    async def save_challenge(self, challenge: Challenge, ttl: int) -> None:
        encoded = _challenge_json(challenge)
        async with self._answering():
            pipe = self._redis.pipeline(transaction=False)
            recent = self._key("recent", challenge.address)
            pipe.set(self._key("challenge", challenge.nonce), encoded, ex=ttl)
            pipe.lpush(recent, challenge.nonce)
            pipe.ltrim(recent, 0, RECENT_CHALLENGES - 1)
            pipe.expire(recent, ttl)
            await pipe.execute()

    async def find_challenge(self, nonce: str) -> Challenge | None:
        async with self._answering():
            return _challenge(await self._redis.get(self._key("challenge", nonce)))

    async def recent_challenges(self, address: str) -> list[Challenge]:
        async with self._answering():
            nonces = await self._redis.lrange(self._key("recent", address), 0, -1)
            if not nonces:
                return []
            found = await self._redis.mget([self._key("challenge", _text(nonce)) for nonce in nonces])
        return [challenge for raw in found if (challenge := _challenge(raw)) is not None]

    async def redeem_challenge(self, nonce: str, session: Session, ttl: int) -> bool:
        keys = [
            self._key("challenge", nonce),
            self._key("recent", session.address),
            self._key("session", session.session_id),
        ]
        fields: list[Any] = [
            "address", session.address,
            "chain_id", session.chain_id,
            "created_at", session.created_at,
            "expires_at", session.expires_at,
            "refresh_hash", session.refresh_hash,
        ]  # fmt: skip
        async with self._answering():
            return bool(await self._redeem(keys=keys, args=[nonce, ttl, *fields]))

    async def find_session(self, session_id: str) -> Session | None:
        async with self._answering():
            raw = await self._redis.hgetall(self._key("session", session_id))
        if not raw:
            return None
        field = {_text(key): _text(value) for key, value in raw.items()}
        return Session(
            session_id=session_id,
            address=field["address"],
            chain_id=int(field["chain_id"]),
            created_at=int(field["created_at"]),
            expires_at=int(field["expires_at"]),
            refresh_hash=field["refresh_hash"],
        )

    async def ping(self) -> None:
        async with self._answering():
            await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)
