"""The shared store on Redis (redis-py asyncio), for several workers and replicas.

Keys, under AUTH_REDIS_PREFIX:
    <prefix>:challenges:{<address>}   list of the address's outstanding challenges as JSON, newest first (at
                                      most OUTSTANDING_CHALLENGES), kept until the newest expires; each
                                      entry carries its own expires_at
    <prefix>:challenges:{~<tag>}      the same, for the open nonces (POST /auth/nonce) of the client with that
                                      tag (app.stores.base.challenge_key), at most OPEN_NONCES_PER_CLIENT
    <prefix>:session:{<session id>}   hash of the session, until its idle end, never past its absolute end
                                      (or, once revoked, as long as its access tokens can live): its fields
                                      address, chain_id, created_at, expires_at, domain, idle_expires_at
                                      (these two missing from sessions stored before they existed), accounts
                                      and recap (missing before sessions had several accounts), client_id
                                      and scope (an OpenID Connect session's; missing before), current
                                      and previous (refresh-token hashes), rotated_at, rotations and revoked,
                                      plus one field `spent:<mark>` = 1 per spent refresh token (<mark>:
                                      app.stores.base.spent_mark of its hash), so that spending one or
                                      recognising its reuse is O(1) however long the session's history
    <prefix>:sessions                 sorted set of the live sessions' ids, scored by their ends_at: what
                                      AUTH_MAX_SESSIONS counts, trimmed of the ended ones by each sign-in
    <prefix>:code:{<code hash>}       hash of an OpenID Connect authorization code (app.oidc.codes), until
                                      its ttl: its record (JSON) and taken (0, then 1 once taken, kept so
                                      that a second use is recognised)
The braces are Redis Cluster hash tags; every script declares every key it touches. On a cluster every
script touches one key only, so nothing ever crosses slots (see redeem_challenge for the one operation that
needs several keys: one script on a single server, two steps on a cluster, and on a cluster reached through a
plain-Redis proxy once it answers CROSSSLOT).

All the operations of one request share one time budget (AUTH_REDIS_TIMEOUT, default 0.5 s, see
app.stores.deadline); past it, or on any Redis error, an operation raises StoreUnavailable. The pool's own
waits (a free connection, a reply) are bounded by half of it, so a request that started an operation with
little time left still ends within the budget even if a cancellation got lost inside redis-py. Reads are
retried once, within the budget, when a pooled connection turns out dead (as after a Redis restart). Writes never are:
Redis may have run a script whose reply was lost, and running a rotation twice would find its own token
spent and revoke the session. Consuming a nonce is a Lua script: one atomic step, never a read then a
delete. (A primary demoted by a Sentinel failover answers READONLY, which redis-py's sentinel connection
turns into a ConnectionError and a reconnect: a read is retried, on the new primary; a write answers 503.)

Replication is asynchronous: a failover loses the primary's last writes, and a consumed nonce or a spent
refresh token would come back. With `wait_replicas` (AUTH_REDIS_WAIT_REPLICAS, 1 by default on Sentinel) the
scripts that grant something (redeeming a nonce, rotating a refresh token, revoking a session) are sent with
a WAIT in the same pipeline, on the same connection, so that WAIT counts the replicas that have the script's
write; when fewer acknowledge within the time left, the operation raises StoreUnavailable. The write stays
on the primary: the nonce is consumed there, the presented refresh token spent.
"""

import asyncio
import dataclasses
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

from redis.asyncio import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import ClusterCrossSlotError, NoScriptError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError

from app.errors import StoreFull, StoreUnavailable
from app.observability.metrics import metered
from app.stores.base import (
    MAX_ROTATIONS,
    MAX_SESSIONS,
    SPENT_MARK_HEX,
    Challenge,
    Rotation,
    RotationResult,
    Session,
    challenge_cap,
    challenge_key,
    changed_accounts,
    with_accounts,
)
from app.stores.connections import StoreConnection, parse_redis_url, store_connection
from app.stores.deadline import time_left, within_budget
from app.stores.invalidations import InvalidationFollower
from app.stores.session_cache import NOT_CACHED, SessionCache

Result = TypeVar("Result")
logger = logging.getLogger("web3_auth")

NOT_REPLICATED_SIGN_IN = (
    "The sign-in could not be confirmed on a Redis replica; its nonce is spent: request a new challenge."
)
NOT_REPLICATED_REFRESH = "The refresh could not be confirmed on a Redis replica; the refresh token presented is spent."
NOT_REPLICATED_ACCOUNTS = "The change of accounts could not be confirmed on a Redis replica; try again shortly."
NOT_REPLICATED_REVOKE = "The logout could not be confirmed on a Redis replica; try again shortly."
NOT_REPLICATED_CODE = "The code could not be confirmed on a Redis replica; it is spent: authorize again."

# KEYS: the address's challenge list. ARGV: the new challenge's JSON, its ttl, the cap, its client, now.
# Drops expired entries, adds the new one, and beyond the cap drops the one app.stores.base.dropped_for
# names (the oldest of the client holding the most), in one step.
_SAVE = """
local now = tonumber(ARGV[5])
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(entry)['expires_at'] <= now then redis.call('LREM', KEYS[1], 1, entry) end
end
redis.call('LPUSH', KEYS[1], ARGV[1])
local older = redis.call('LRANGE', KEYS[1], 1, -1)
if #older >= tonumber(ARGV[3]) then
  local clients, held = {}, {[ARGV[4]] = 1}
  for index, entry in ipairs(older) do
    clients[index] = cjson.decode(entry)['client']
    held[clients[index]] = (held[clients[index]] or 0) + 1
  end
  local most = 0
  for _, count in pairs(held) do most = math.max(most, count) end
  local dropped = nil
  for index = #older, 1, -1 do
    if held[ARGV[4]] == most and clients[index] == ARGV[4] then dropped = older[index]; break end
  end
  if dropped == nil then
    for index = #older, 1, -1 do
      if held[clients[index]] == most then dropped = older[index]; break end
    end
  end
  redis.call('LREM', KEYS[1], -1, dropped)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
"""

# KEYS: the address's challenge list. ARGV: nonce, now. Consumes the outstanding challenge with that nonce
# (1), or does nothing (0).
_CONSUME = """
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local challenge = cjson.decode(entry)
  if challenge['nonce'] == ARGV[1] then
    if challenge['expires_at'] <= tonumber(ARGV[2]) then return 0 end
    redis.call('LREM', KEYS[1], 1, entry)
    return 1
  end
end
return 0
"""

# KEYS: a new session. ARGV: its ttl, then its fields.
_OPEN = """
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
"""

# KEYS: the live sessions. ARGV: now, the ceiling, a new session's id, its ends_at and the seconds to its
# absolute end. Trims the ended ones; then -1 at the ceiling, else the new one counts (1). The set lives as
# long as its longest-lived member may.
_COUNT_IN = """
local function count_in(key, now, ceiling, session_id, ends_at, lifetime)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ceiling) then return -1 end
  redis.call('ZADD', key, ends_at, session_id)
  if redis.call('TTL', key) < tonumber(lifetime) then redis.call('EXPIRE', key, lifetime) end
  return 1
end
"""
_RESERVE = _COUNT_IN + "return count_in(KEYS[1], unpack(ARGV))\n"

# Where every key lives on one server: KEYS: the address's challenges, the new session, the live sessions.
# ARGV: the nonce, the time now, the session's ttl, then the ceiling, its id, its ends_at and the seconds to
# its absolute end (as _RESERVE), then its fields. At the ceiling -1, consuming nothing; else _CONSUME, then
# _OPEN if the nonce was there: one atomic step.
_REDEEM = (
    f"{_COUNT_IN}local function consume(){_CONSUME}end\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[2])\n"
    "if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return -1 end\n"
    "if consume() == 0 then return 0 end\n"
    "redis.call('HSET', KEYS[2], unpack(ARGV, 8))\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[3])\n"
    "return count_in(KEYS[3], ARGV[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7])\n"
)

# The field of a session's hash that marks a refresh-token hash as spent: one per spent token, in the
# session's own key (same slot, same TTL, revoked with it), rather than one list rewritten at every rotation
# and scanned by every forged refresh.
SPENT_FIELD_PREFIX = "spent:"

# Shared by the scripts below: revoke (and keep no longer than `keep` seconds), and the spent field of a hash.
_FAMILY_FUNCTIONS = (
    f"local spent_mark_hex, spent_field_prefix = {SPENT_MARK_HEX}, '{SPENT_FIELD_PREFIX}'\n"
    + """
local function revoke(key, keep)
  redis.call('HSET', key, 'revoked', '1')
  local ttl = redis.call('TTL', key)
  if ttl < 0 or ttl > keep then redis.call('EXPIRE', key, keep) end
end
local function spent_field(hash)
  return spent_field_prefix .. string.sub(hash, 1, spent_mark_hex)
end
local function is_spent(key, hash)
  return hash ~= '' and redis.call('HEXISTS', key, spent_field(hash)) == 1
end
"""
)

# KEYS: session. ARGV: presented hash, new hash, now, grace, keep_revoked, max_rotations, idle_ttl.
# The state machine of app.stores.base, in one atomic step; a rotation moves the idle end (and the key's TTL).
_ROTATE = (
    _FAMILY_FUNCTIONS
    + """
local f = redis.call('HMGET', KEYS[1], 'current', 'previous', 'rotated_at', 'revoked', 'expires_at', 'address',
                     'chain_id', 'created_at', 'rotations', 'domain', 'idle_expires_at', 'accounts', 'recap',
                     'client_id', 'scope')
local presented, now, grace = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local expires_at, idle_end = tonumber(f[5]), tonumber(f[11])
if idle_end == 0 then idle_end = nil end  -- a session opened without an idle end (Session.idle_expires_at)
if not f[1] or f[4] == '1' or now >= expires_at or (idle_end and now >= idle_end) then return {'invalid'} end
local new_idle_end = math.min(now + tonumber(ARGV[7]), expires_at)
local session = {f[6], f[7], f[8], f[5], f[10] or '', new_idle_end, f[12] or '', f[13] or '', f[14] or '',
                 f[15] or ''}
local function move_idle_end()
  redis.call('HSET', KEYS[1], 'idle_expires_at', new_idle_end)
  redis.call('EXPIRE', KEYS[1], math.max(1, new_idle_end - now))
end
local is_current = presented == f[1]
local in_grace = presented == f[2] and grace > 0 and now - tonumber(f[3]) <= grace
local rotations = tonumber(f[9]) or 0
if (is_current or in_grace) and rotations >= tonumber(ARGV[6]) then
  revoke(KEYS[1], tonumber(ARGV[5]))
  return {'exhausted'}
end
if is_current then
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'previous', presented, 'rotated_at', now,
             spent_field(presented), '1', 'rotations', rotations + 1)
  move_idle_end()
  return {'rotated', unpack(session)}
end
if in_grace then
  -- the token this sibling replaces was issued but (presumably) never received: presenting it later is reuse
  redis.call('HSET', KEYS[1], 'current', ARGV[2], spent_field(f[1]), '1', 'rotations', rotations + 1)
  move_idle_end()
  return {'grace', unpack(session)}
end
if is_spent(KEYS[1], presented) then
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
local f = redis.call('HMGET', KEYS[1], 'current', 'revoked')
if not f[1] then return 0 end
if f[2] == '1' then return 1 end
local hash = ARGV[2]
if hash ~= '' and hash ~= f[1] and not is_spent(KEYS[1], hash) then return 0 end
revoke(KEYS[1], tonumber(ARGV[1]))
return 1
"""
)

# KEYS: session. ARGV: its accounts as read, its new accounts, now, its new chain_id. Sets them if the session is
# still open with the accounts read (1); 0 when it is not open, -1 when its accounts changed meanwhile.
_SET_ACCOUNTS = """
local f = redis.call('HMGET', KEYS[1], 'revoked', 'expires_at', 'idle_expires_at', 'accounts')
local now, idle_end = tonumber(ARGV[3]), tonumber(f[3] or '0')
if not f[2] or f[1] == '1' or now >= tonumber(f[2]) or (idle_end > 0 and now >= idle_end) then return 0 end
if (f[4] or '') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'accounts', ARGV[2], 'chain_id', ARGV[4])
return 1
"""

ACCOUNT_CHANGE_ATTEMPTS = 5  # concurrent changes of one session's accounts: each retries on a fresh read

# KEYS: an authorization code. ARGV: its record, its ttl.
_SAVE_CODE = """
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'taken', '0')
redis.call('EXPIRE', KEYS[1], ARGV[2])
"""

# KEYS: an authorization code. Its record and whether it had been taken before ({record, 0|1}), marking it
# taken; nil when there is none.
_TAKE_CODE = """
local f = redis.call('HMGET', KEYS[1], 'record', 'taken')
if not f[1] then return false end
if f[2] == '1' then return {f[1], 1} end
redis.call('HSET', KEYS[1], 'taken', '1')
return {f[1], 0}
"""


def _challenge_json(challenge: Challenge) -> str:
    return json.dumps(dataclasses.asdict(challenge), separators=(",", ":"))


def _outstanding(entries: list[Any], now: float) -> list[Challenge]:
    challenges = (Challenge(**json.loads(entry)) for entry in entries)
    return [challenge for challenge in challenges if challenge.expires_at > now]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _session(session_id: str, fields: list[Any]) -> Session:
    """A session from its address, chain id, created_at, expires_at, domain, idle_expires_at, accounts, recap,
    client_id and scope, as Redis returns them (missing from a session stored before sessions kept them)."""
    address, chain_id, created_at, expires_at, domain, idle_expires_at, accounts, recap, client_id, scope = (
        "" if value is None else _text(value) for value in fields
    )
    created, expires, idle_end = int(created_at), int(expires_at), int(idle_expires_at or 0)
    return Session(
        session_id, address, int(chain_id), created, expires, domain, idle_end, accounts, recap, client_id, scope
    )


_SESSION_FIELDS = [
    "address", "chain_id", "created_at", "expires_at", "domain", "idle_expires_at", "accounts", "recap",
    "client_id", "scope", "revoked"
]  # fmt: skip


class RedisStore:
    def __init__(
        self,
        connection: StoreConnection,
        *,
        prefix: str,
        timeout: float,
        one_step_redeem: bool | None = None,
        max_rotations: int = MAX_ROTATIONS,
        wait_replicas: int = 0,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        """`one_step_redeem`: redeem a challenge in one script (the default but on a cluster, where it cannot).
        `wait_replicas`: how many replicas must acknowledge a write that grants something (0: none, no WAIT;
        not on a cluster, where a sign-in spans two shards)."""
        if wait_replicas and isinstance(connection.client, RedisCluster):
            raise ValueError("waiting for replicas is not supported on a Redis Cluster")
        self._connection = connection
        self._wait_replicas = wait_replicas
        self.max_rotations = max_rotations
        self.max_sessions = max_sessions
        self._redis = client = connection.client
        self._prefix = prefix
        self._timeout = timeout
        self._save = client.register_script(_SAVE)
        self._consume = client.register_script(_CONSUME)
        self._open = client.register_script(_OPEN)
        self._reserve = client.register_script(_RESERVE)
        # On a single server (or a Sentinel's primary) a sign-in is one round trip; a cluster keeps the
        # challenge list and the session in different slots.
        if one_step_redeem is None:
            one_step_redeem = not isinstance(client, RedisCluster)
        self._redeem = client.register_script(_REDEEM) if one_step_redeem else None
        self._rotate = client.register_script(_ROTATE)
        self._revoke = client.register_script(_REVOKE)
        self._set_accounts = client.register_script(_SET_ACCOUNTS)
        self._save_code = client.register_script(_SAVE_CODE)
        self._take_code = client.register_script(_TAKE_CODE)
        # find_session's copy of the sessions, kept current by Redis (app.stores.invalidations)
        self.sessions = SessionCache()
        self.invalidations = InvalidationFollower(
            client, self.sessions, key_prefix=self._session_key("")[:-1], timeout=timeout
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str,
        timeout: float,
        one_step_redeem: bool | None = None,
        max_rotations: int = MAX_ROTATIONS,
        wait_replicas: int = 0,
        max_sessions: int = MAX_SESSIONS,
    ) -> Self:
        connection = store_connection(parse_redis_url(url), timeout)
        return cls(
            connection,
            prefix=prefix,
            timeout=timeout,
            one_step_redeem=one_step_redeem,
            max_rotations=max_rotations,
            wait_replicas=wait_replicas,
            max_sessions=max_sessions,
        )

    async def _run(self, operation: Callable[[], Awaitable[Result]], *, retry_if_dropped: bool = False) -> Result:
        """One store operation within the request's deadline; Redis failures become StoreUnavailable."""
        async with within_budget(self._timeout, (RedisError, OSError), "the store"):
            try:
                result = await operation()
            except RedisConnectionError:
                if not retry_if_dropped:
                    raise
                result = await operation()
        return result

    async def _write_acknowledged(
        self,
        script: AsyncScript,
        keys: list[str],
        arguments: list[Any],
        granted: Callable[[Any], bool],
        refusal: str,
        *,
        retry_if_dropped: bool = False,
    ) -> Any:
        """Run a write script; with wait_replicas, WAIT for them in the same round trip, and raise
        StoreUnavailable(refusal) when the reply `granted` something that fewer replicas acknowledged."""
        if not self._wait_replicas:
            return await self._run(lambda: script(keys=keys, args=arguments), retry_if_dropped=retry_if_dropped)
        # WAIT's own timeout (0 would block for ever) within the reply's bound (half the timeout, see above)
        # and what is left of the budget, leaving room for the script and the round trip.
        wait_ms = max(1, int(min(time_left(self._timeout), self._timeout / 2) * 500))

        async def script_then_wait() -> tuple[Any, Any]:
            pipeline = self._redis.pipeline(transaction=False)
            pipeline.evalsha(script.sha, len(keys), *keys, *arguments)
            pipeline.wait(self._wait_replicas, wait_ms)
            reply, acknowledged = await pipeline.execute(raise_on_error=False)
            if isinstance(reply, NoScriptError):  # not run: a restarted or new primary; load it and send again
                await self._redis.script_load(script.script)
                return await script_then_wait()
            for outcome in (reply, acknowledged):
                if isinstance(outcome, Exception):
                    raise outcome
            return reply, acknowledged

        reply, acknowledged = await self._run(script_then_wait, retry_if_dropped=retry_if_dropped)
        if granted(reply) and int(acknowledged) < self._wait_replicas:
            logger.warning(
                "Redis: %s of %s replica(s) acknowledged a write within %s ms: refused",
                acknowledged,
                self._wait_replicas,
                wait_ms,
                extra={"fields": {"replicas_acknowledged": int(acknowledged), "replicas_wanted": self._wait_replicas}},
            )
            raise StoreUnavailable(refusal)
        return reply

    def _session_key(self, session_id: str) -> str:
        return f"{self._prefix}:session:{{{session_id}}}"

    def _live_sessions_key(self) -> str:
        return f"{self._prefix}:sessions"

    def _challenges_key(self, address: str) -> str:
        return f"{self._prefix}:challenges:{{{address}}}"

    @metered
    async def save_challenge(self, challenge: Challenge) -> None:
        now = time.time()
        ttl = max(1, math.ceil(challenge.expires_at - now))
        arguments: list[str | int | float] = [
            _challenge_json(challenge),
            ttl,
            challenge_cap(challenge),
            challenge.client,
            now,
        ]
        key = self._challenges_key(challenge_key(challenge.address, challenge.nonce))
        await self._run(lambda: self._save(keys=[key], args=arguments))

    @metered
    async def find_challenge(self, address: str, nonce: str) -> Challenge | None:
        return next((c for c in await self._read_challenges(challenge_key(address, nonce)) if c.nonce == nonce), None)

    @metered
    async def outstanding_challenges(self, address: str) -> list[Challenge]:
        return await self._read_challenges(address)

    async def _read_challenges(self, key_of: str) -> list[Challenge]:  # unmetered: the callers are metered
        key = self._challenges_key(key_of)
        entries = await self._run(lambda: self._redis.lrange(key, 0, -1), retry_if_dropped=True)
        return _outstanding(entries, time.time())

    @metered
    async def redeem_challenge(self, nonce: str, session: Session, refresh_hash: str) -> bool:
        """Consume the nonce and open the session: one script where both keys live on one server. On Redis
        Cluster (a challenge list and a session hash live in different slots), two steps, each on one key:
        the session is written first, unreachable until tokens name it; consuming the nonce commits the
        sign-in. If the nonce is gone, the session is deleted again; if Redis fails in between, the orphan
        session expires unused. A consumed nonce therefore always has its session. On a cluster the session
        counts against the ceiling from a first step (_RESERVE) on, before anything else: concurrent sign-ins
        cannot overshoot it, and a sign-in that fails after it counts until its idle end."""
        session_key = self._session_key(session.session_id)
        fields: list[Any] = [
            "address", session.address,
            "chain_id", session.chain_id,
            "created_at", session.created_at,
            "expires_at", session.expires_at,
            "current", refresh_hash,
            "previous", "",
            "rotated_at", session.created_at,
            "rotations", 0,
            "revoked", "0",
            "domain", session.domain,
            "idle_expires_at", session.idle_expires_at,
            "accounts", session.accounts,
            "recap", session.recap,
            "client_id", session.client_id,
            "scope", session.scope,
        ]  # fmt: skip
        ttl = session.ends_at - session.created_at
        challenges_key = self._challenges_key(challenge_key(session.address, nonce))
        live_key = self._live_sessions_key()
        lifetime = max(1, session.expires_at - int(time.time()))
        counted: list[Any] = [self.max_sessions, session.session_id, session.ends_at, lifetime]
        if self._redeem is not None:
            redeem, keys = self._redeem, [challenges_key, session_key, live_key]
            try:
                arguments = [nonce, time.time(), ttl, *counted, *fields]
                redeemed = await self._write_acknowledged(
                    redeem, keys, arguments, lambda reply: reply == 1, NOT_REPLICATED_SIGN_IN
                )
                if redeemed == -1:
                    raise StoreFull()
                return bool(redeemed)
            except StoreUnavailable as error:
                if not isinstance(error.__cause__, ClusterCrossSlotError):
                    raise
                # A cluster behind a proxy that speaks plain Redis: the script never ran. Two steps from now on.
                self._redeem = None
                logger.warning("Redis answered CROSSSLOT (a cluster behind a proxy?): sign-ins now take two steps")
        if await self._run(lambda: self._reserve(keys=[live_key], args=[time.time(), *counted])) == -1:
            raise StoreFull()
        await self._run(lambda: self._open(keys=[session_key], args=[ttl, *fields]))
        consume_arguments: list[str | float] = [nonce, time.time()]
        if await self._run(lambda: self._consume(keys=[challenges_key], args=consume_arguments)):
            return True
        await self._run(lambda: self._redis.delete(session_key))
        await self._run(lambda: self._redis.zrem(live_key, session.session_id))
        return False

    @metered
    async def consume_challenge(self, address: str, nonce: str) -> bool:
        key = self._challenges_key(challenge_key(address, nonce))
        consumed = await self._write_acknowledged(
            self._consume, [key], [nonce, time.time()], lambda reply: reply == 1, NOT_REPLICATED_SIGN_IN
        )
        return bool(consumed)

    @metered
    async def count_sessions(self) -> int:
        key, now = self._live_sessions_key(), time.time()
        return int(await self._run(lambda: self._redis.zcount(key, f"({now}", "+inf"), retry_if_dropped=True))

    @metered
    async def find_session(self, session_id: str) -> Session | None:
        session = self.sessions.get(session_id)
        if session is NOT_CACHED:
            self.invalidations.ensure_running()
            reading = self.sessions.reading(session_id)
            key = self._session_key(session_id)
            fields = await self._run(lambda: self._redis.hmget(key, _SESSION_FIELDS), retry_if_dropped=True)
            gone = fields[0] is None or fields[-1] in (b"1", "1")  # missing or revoked
            session = None if gone else _session(session_id, fields[:-1])
            self.sessions.keep(reading, session_id, session)
        return session if session is not None and time.time() < session.ends_at else None

    @metered
    async def change_accounts(
        self, session_id: str, *, add: tuple[str, ...] = (), remove: str | None = None
    ) -> Session | None:
        key = self._session_key(session_id)
        for _ in range(ACCOUNT_CHANGE_ATTEMPTS):
            fields = await self._run(lambda: self._redis.hmget(key, _SESSION_FIELDS), retry_if_dropped=True)
            if fields[0] is None or fields[-1] in (b"1", "1"):
                return None
            session = _session(session_id, fields[:-1])
            accounts = changed_accounts(session.account_ids, add, remove)
            if not accounts:
                return session
            changed = with_accounts(session, accounts)
            arguments: list[Any] = [session.accounts, changed.accounts, time.time(), changed.chain_id]
            outcome = await self._write_acknowledged(
                self._set_accounts, [key], arguments, lambda reply: reply == 1, NOT_REPLICATED_ACCOUNTS
            )
            self.sessions.forget(session_id)  # this process reads its own writes (others: by invalidation)
            if outcome == 1:
                return changed
            if outcome == 0:
                return None
        raise StoreUnavailable("the session's accounts kept changing under concurrent requests: try again")

    @metered
    async def rotate_refresh(
        self,
        session_id: str,
        presented_hash: str,
        new_hash: str,
        *,
        now: int,
        grace: int,
        keep_revoked: int,
        idle_ttl: int,
    ) -> RotationResult:
        arguments: list[str | int] = [
            presented_hash, new_hash, now, grace, keep_revoked, self.max_rotations, idle_ttl
        ]  # fmt: skip
        keys, granting = [self._session_key(session_id)], (b"rotated", b"grace", "rotated", "grace")
        reply = await self._write_acknowledged(
            self._rotate, keys, arguments, lambda reply: reply[0] in granting, NOT_REPLICATED_REFRESH
        )
        self.sessions.forget(session_id)
        outcome = Rotation(_text(reply[0]))
        session = _session(session_id, reply[1:]) if len(reply) > 1 else None
        if session is not None:  # ROTATED, GRACE
            await self._count_until_its_end(session)
        elif outcome in (Rotation.REUSED, Rotation.EXHAUSTED):  # revoked
            await self._count_no_more(session_id)
        return RotationResult(outcome, session)

    # The live-session count follows a refresh or a revocation one command after its script, which touches the
    # session's key alone (a cluster keeps the count in another slot). Should Redis fail in between, the count
    # is off for that one session until its previous end, and the refresh or revocation stands: its answer
    # must reach the client (a rotated refresh token it never receives would be reuse on its retry).
    async def _count_until_its_end(self, session: Session) -> None:
        key, member = self._live_sessions_key(), {session.session_id: session.ends_at}
        # XX: a session revoked meanwhile does not come back
        await self._count_quietly(lambda: self._redis.zadd(key, member, xx=True))

    async def _count_no_more(self, session_id: str) -> None:
        key = self._live_sessions_key()
        await self._count_quietly(lambda: self._redis.zrem(key, session_id))

    async def _count_quietly(self, update: Callable[[], Awaitable[Any]]) -> None:
        try:
            await self._run(update, retry_if_dropped=True)
        except StoreUnavailable:
            logger.warning("the live-session count was not updated after a refresh or a revocation (Redis failed)")

    @metered
    async def revoke_session(self, session_id: str, *, keep_revoked: int, refresh_hash: str | None = None) -> bool:
        key, arguments = self._session_key(session_id), [str(keep_revoked), refresh_hash or ""]
        # Revoking twice is harmless, so a dropped connection may be retried.
        revoked = bool(
            await self._write_acknowledged(
                self._revoke, [key], arguments, bool, NOT_REPLICATED_REVOKE, retry_if_dropped=True
            )
        )
        self.sessions.forget(session_id)
        if revoked:
            await self._count_no_more(session_id)
        return revoked

    @metered
    async def ping(self) -> None:
        await self._run(self._redis.ping, retry_if_dropped=True)

    async def eviction_policy(self) -> str | None:
        """Redis's maxmemory-policy, or None when it cannot be read (managed services often refuse CONFIG)."""
        try:
            async with asyncio.timeout(self._timeout):
                policy = await self._redis.config_get("maxmemory-policy")
        except (RedisError, OSError, TimeoutError):
            return None
        value = policy.get("maxmemory-policy") if isinstance(policy, dict) else None
        return _text(value) if value is not None else None

    async def close(self) -> None:
        await self.invalidations.close()
        await self._connection.close()

    # OpenID Connect authorization codes
    def _code_key(self, code_hash: str) -> str:
        return f"{self._prefix}:code:{{{code_hash}}}"

    @metered
    async def save_code(self, code_hash: str, record: str, ttl: int) -> None:
        key, arguments = self._code_key(code_hash), [record, str(max(1, ttl))]
        # Saving again is harmless (the code is not handed out yet), so a dropped connection may be retried.
        await self._run(lambda: self._save_code(keys=[key], args=arguments), retry_if_dropped=True)

    @metered
    async def take_code(self, code_hash: str) -> tuple[str, bool] | None:
        # Never retried: a take whose reply was lost has marked the code taken, and a retry would see it as
        # a second use (which revokes the session). A first take grants tokens: with wait_replicas, a replica
        # must have it, or a failover would let the code be used once more.
        reply = await self._write_acknowledged(
            self._take_code,
            [self._code_key(code_hash)],
            [],
            lambda reply: bool(reply) and int(reply[1]) == 0,
            NOT_REPLICATED_CODE,
        )
        if not reply:
            return None
        return _text(reply[0]), int(reply[1]) == 1
