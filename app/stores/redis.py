"""The shared store on Redis (redis-py asyncio), for several workers and replicas.

Keys, under AUTH_REDIS_PREFIX:
    <prefix>:challenge:{<address>}:<nonce>  JSON of the challenge, with the nonce TTL
    <prefix>:outstanding:{<address>}        list of the address's outstanding nonces, newest first (at most
                                            OUTSTANDING_CHALLENGES), with the TTL of the newest
    <prefix>:session:{<session id>}         hash of the session and its refresh-token hashes, until the
                                            session's absolute end (or, once revoked, as long as its access
                                            tokens can live)
The braces are Redis Cluster hash tags: an address's keys share a slot, and so do a session's.

Every operation has one deadline (AUTH_REDIS_TIMEOUT, default 0.5 s) covering the connection and the
command; past it, or on any Redis error, the operation raises StoreUnavailable. Reads are retried once,
within that deadline, when a pooled connection turns out dead (as after a Redis restart). Writes never are:
Redis may have run a script whose reply was lost, and running a rotation twice would find its own token
spent and revoke the session. Consuming a nonce is a Lua script: one atomic step, never a read then a
delete.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from app.errors import StoreUnavailable
from app.stores.base import OUTSTANDING_CHALLENGES, SPENT_KEPT, Challenge, Rotation, RotationResult, Session

MAX_CONNECTIONS = 64
Result = TypeVar("Result")

# KEYS: the address's outstanding list. ARGV: nonce, challenge JSON, ttl, cap, the address's challenge-key prefix.
# Saves the challenge and drops the address's oldest ones beyond the cap, in one step.
_SAVE = """
local prefix = ARGV[5]
redis.call('SET', prefix .. ARGV[1], ARGV[2], 'EX', ARGV[3])
redis.call('LPUSH', KEYS[1], ARGV[1])
for _, dropped in ipairs(redis.call('LRANGE', KEYS[1], ARGV[4], -1)) do
  redis.call('DEL', prefix .. dropped)
end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
"""

# KEYS: challenge, outstanding-for-address, session. ARGV: nonce, session ttl, then the session's field/value pairs.
_REDEEM = """
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('LREM', KEYS[2], 0, ARGV[1])
redis.call('HSET', KEYS[3], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[3], ARGV[2])
return 1
"""

# Shared by the scripts below: revoke (and keep no longer than `keep` seconds), test and update the spent list.
_FAMILY_FUNCTIONS = """
local function revoke(key, keep)
  redis.call('HSET', key, 'revoked', '1')
  local ttl = redis.call('TTL', key)
  if ttl < 0 or ttl > keep then redis.call('EXPIRE', key, keep) end
end
local function is_spent(spent, hash)
  return string.find(' ' .. spent .. ' ', ' ' .. hash .. ' ', 1, true) ~= nil
end
local function spend(spent, hash, kept)  -- `hash` first, then at most kept - 1 of the older ones
  local list, count = hash, 1
  for older in string.gmatch(spent, '%S+') do
    if count >= kept then break end
    list, count = list .. ' ' .. older, count + 1
  end
  return list
end
"""

# KEYS: session. ARGV: presented hash, new hash, now, grace, keep_revoked, spent_kept.
# The state machine of app.stores.base, in one atomic step.
_ROTATE = (
    _FAMILY_FUNCTIONS
    + """
local f = redis.call('HMGET', KEYS[1], 'current', 'previous', 'rotated_at', 'revoked', 'spent', 'expires_at',
                     'address', 'chain_id', 'created_at')
local presented, now, grace = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
if not f[1] or f[4] == '1' or now >= tonumber(f[6]) then return {'invalid'} end
local session = {f[7], f[8], f[9], f[6]}
if presented == f[1] then
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'previous', presented, 'rotated_at', now,
             'spent', spend(f[5], presented, tonumber(ARGV[6])))
  return {'rotated', unpack(session)}
end
if presented == f[2] and grace > 0 and now - tonumber(f[3]) <= grace then
  -- the token this sibling replaces was issued but (presumably) never received: presenting it later is reuse
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'spent', spend(f[5], f[1], tonumber(ARGV[6])))
  return {'grace', unpack(session)}
end
if is_spent(f[5], presented) then
  revoke(KEYS[1], tonumber(ARGV[5]))
  return {'reused'}
end
return {'invalid'}
"""
)

# KEYS: session. ARGV: keep_revoked, and a refresh hash that must belong to the session ('' for none).
_REVOKE = (
    _FAMILY_FUNCTIONS
    + """
local f = redis.call('HMGET', KEYS[1], 'current', 'revoked', 'spent')
if not f[1] then return 0 end
if f[2] == '1' then return 1 end
local hash = ARGV[2]
if hash ~= '' and hash ~= f[1] and not is_spent(f[3], hash) then return 0 end
revoke(KEYS[1], tonumber(ARGV[1]))
return 1
"""
)


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


def connection_pool(url: str, timeout: float) -> BlockingConnectionPool:
    """One pool per process, bounded: a request waits at most `timeout` for a free connection."""
    return BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), retries=0),  # see the module docstring: writes are never re-run
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _session(session_id: str, fields: list[Any]) -> Session:
    """A session from its address, chain id, created_at and expires_at, as Redis returns them."""
    address, chain_id, created_at, expires_at = (_text(value) for value in fields)
    return Session(session_id, address, int(chain_id), int(created_at), int(expires_at))


class RedisStore:
    def __init__(self, client: Redis, *, prefix: str, timeout: float) -> None:
        self._redis = client
        self._prefix = prefix
        self._timeout = timeout
        self._save = client.register_script(_SAVE)
        self._redeem = client.register_script(_REDEEM)
        self._rotate = client.register_script(_ROTATE)
        self._revoke = client.register_script(_REVOKE)

    @classmethod
    def on_pool(cls, pool: BlockingConnectionPool, *, prefix: str, timeout: float) -> Self:
        return cls(Redis(connection_pool=pool), prefix=prefix, timeout=timeout)

    @classmethod
    def from_url(cls, url: str, *, prefix: str, timeout: float) -> Self:
        return cls.on_pool(connection_pool(url, timeout), prefix=prefix, timeout=timeout)

    async def _run(self, operation: Callable[[], Awaitable[Result]], *, retry_if_dropped: bool = False) -> Result:
        """One store operation under the deadline; Redis failures become StoreUnavailable."""
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    return await operation()
                except RedisConnectionError:
                    if not retry_if_dropped:
                        raise
                    return await operation()
        except (RedisError, OSError, TimeoutError) as exc:
            raise StoreUnavailable() from exc

    def _session_key(self, session_id: str) -> str:
        return f"{self._prefix}:session:{{{session_id}}}"

    def _challenge_prefix(self, address: str) -> str:
        return f"{self._prefix}:challenge:{{{address}}}:"

    def _outstanding_key(self, address: str) -> str:
        return f"{self._prefix}:outstanding:{{{address}}}"

    async def save_challenge(self, challenge: Challenge, ttl: int) -> None:
        keys = [self._outstanding_key(challenge.address)]
        arguments: list[str | int] = [
            challenge.nonce,
            _challenge_json(challenge),
            ttl,
            OUTSTANDING_CHALLENGES,
            self._challenge_prefix(challenge.address),
        ]
        await self._run(lambda: self._save(keys=keys, args=arguments))

    async def find_challenge(self, address: str, nonce: str) -> Challenge | None:
        key = self._challenge_prefix(address) + nonce
        return _challenge(await self._run(lambda: self._redis.get(key), retry_if_dropped=True))

    async def outstanding_challenges(self, address: str) -> list[Challenge]:
        async def read() -> list[Any]:
            nonces = await self._redis.lrange(self._outstanding_key(address), 0, -1)
            if not nonces:
                return []
            prefix = self._challenge_prefix(address)
            return list(await self._redis.mget([prefix + _text(nonce) for nonce in nonces]))

        found = await self._run(read, retry_if_dropped=True)
        return [challenge for raw in found if (challenge := _challenge(raw)) is not None]

    async def redeem_challenge(self, nonce: str, session: Session, refresh_hash: str) -> bool:
        keys = [
            self._challenge_prefix(session.address) + nonce,
            self._outstanding_key(session.address),
            self._session_key(session.session_id),
        ]
        fields: list[Any] = [
            "address", session.address,
            "chain_id", session.chain_id,
            "created_at", session.created_at,
            "expires_at", session.expires_at,
            "current", refresh_hash,
            "previous", "",
            "rotated_at", session.created_at,
            "spent", "",
            "revoked", "0",
        ]  # fmt: skip
        ttl = session.expires_at - session.created_at
        return bool(await self._run(lambda: self._redeem(keys=keys, args=[nonce, ttl, *fields])))

    async def find_session(self, session_id: str) -> Session | None:
        names = ["address", "chain_id", "created_at", "expires_at", "revoked"]
        key = self._session_key(session_id)
        fields = await self._run(lambda: self._redis.hmget(key, names), retry_if_dropped=True)
        if fields[0] is None or fields[4] in (b"1", "1"):
            return None
        session = _session(session_id, fields[:4])
        return session if time.time() < session.expires_at else None

    async def rotate_refresh(
        self, session_id: str, presented_hash: str, new_hash: str, *, now: int, grace: int, keep_revoked: int
    ) -> RotationResult:
        arguments: list[str | int] = [presented_hash, new_hash, now, grace, keep_revoked, SPENT_KEPT]
        reply = await self._run(lambda: self._rotate(keys=[self._session_key(session_id)], args=arguments))
        outcome = Rotation(_text(reply[0]))
        return RotationResult(outcome, _session(session_id, reply[1:]) if len(reply) > 1 else None)

    async def revoke_session(self, session_id: str, *, keep_revoked: int, refresh_hash: str | None = None) -> bool:
        key, arguments = self._session_key(session_id), [str(keep_revoked), refresh_hash or ""]
        # Revoking twice is harmless, so a dropped connection may be retried.
        return bool(await self._run(lambda: self._revoke(keys=[key], args=arguments), retry_if_dropped=True))

    async def ping(self) -> None:
        await self._run(self._redis.ping, retry_if_dropped=True)

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)
