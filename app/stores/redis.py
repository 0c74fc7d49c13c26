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
The braces are Redis Cluster hash tags; every script (app/stores/lua/*.lua) declares every key it touches.
On a cluster every script touches one key only, so nothing ever crosses slots (see redeem_challenge for the
one operation that needs several keys: one script on a single server, two steps on a cluster, and on a
cluster reached through a plain-Redis proxy once it answers CROSSSLOT).

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
from app.stores import lua
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
from app.stores.pending_limits import LimitCheck, take
from app.stores.redis_limits import LIMITS_ONLY, folded, operation_reply, window_arguments, window_keys
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

_SAVE = lua.script("save_challenge")
_CONSUME = lua.script("consume_challenge")
_OPEN = lua.script("open_session")
_RESERVE = lua.script("count_in", "reserve_session")
# Where every key lives on one server: the ceiling, consuming and opening in one step
_REDEEM = lua.script("count_in") + f"local function consume()\n{_CONSUME}end\n" + lua.source("redeem_challenge")

# The field of a session's hash that marks a refresh-token hash as spent: one per spent token, in the
# session's own key (same slot, same TTL, revoked with it), rather than one list rewritten at every rotation
# and scanned by every forged refresh.
SPENT_FIELD_PREFIX = "spent:"
_FAMILY_FUNCTIONS = (
    f"local spent_mark_hex, spent_field_prefix = {SPENT_MARK_HEX}, '{SPENT_FIELD_PREFIX}'\n"
    + lua.source("session_family")
)
_ROTATE = _FAMILY_FUNCTIONS + lua.source("rotate_refresh")
_REVOKE = _FAMILY_FUNCTIONS + lua.source("revoke_session")
_SET_ACCOUNTS = lua.script("set_accounts")

ACCOUNT_CHANGE_ATTEMPTS = 5  # concurrent changes of one session's accounts: each retries on a fresh read

_SAVE_CODE = lua.script("save_code")
_TAKE_CODE = lua.script("take_code")
_READ_CHALLENGES = lua.script("read_challenges")


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
        # A request's pending rate-limit checks run in the script of its next operation (app.stores.redis_limits),
        # where every key lives on one server: not on a cluster, nor behind a proxy that answered CROSSSLOT.
        self.folds_limits = not isinstance(client, RedisCluster)
        self._limits_only = client.register_script(LIMITS_ONLY)
        self._save_after_limits = client.register_script(folded(_SAVE))
        self._read_after_limits = client.register_script(folded(_READ_CHALLENGES))
        self._redeem_after_limits = client.register_script(folded(_REDEEM))
        self._consume_after_limits = client.register_script(folded(_CONSUME))
        self._rotate_after_limits = client.register_script(folded(_ROTATE))
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

    async def _after_limits(
        self,
        script: AsyncScript,
        keys: list[str],
        arguments: list[Any],
        plain: Callable[[], Awaitable[Result]],
        *,
        acknowledged: tuple[Callable[[Any], bool], str] | None = None,
    ) -> Result | Any:
        """The request's pending rate-limit checks, then an operation: `script` (the operation's script after
        them, app.stores.redis_limits) with the operation's keys and arguments, in one round trip where the
        store folds limits; else the checks one by one, then `plain`. A refusal raises, running nothing after
        it. `acknowledged`: (granted, refusal) as for _write_acknowledged, for a script that grants something."""
        checks = take()
        if not checks:
            return await plain()
        if self.folds_limits:
            all_keys, all_arguments = (
                [*window_keys(self._prefix, checks), *keys],
                [*window_arguments(checks), *arguments],
            )
            try:
                if acknowledged is None:
                    reply = await self._run(lambda: script(keys=all_keys, args=all_arguments))
                else:
                    granted, refusal = acknowledged

                    def limits_passed_and_granted(reply: Any) -> bool:
                        return int(reply[0]) == 0 and granted(reply[1] if len(reply) > 1 else None)

                    reply = await self._write_acknowledged(
                        script, all_keys, all_arguments, limits_passed_and_granted, refusal
                    )
                return operation_reply(reply, checks)
            except StoreUnavailable as error:
                if not isinstance(error.__cause__, ClusterCrossSlotError):
                    raise
                self._fold_no_more()  # the script never ran
        await self._settle(checks)
        return await plain()

    def _fold_no_more(self) -> None:
        self.folds_limits = False
        logger.warning("Redis answered CROSSSLOT (a cluster behind a proxy?): rate limits now take their own steps")

    async def _settle(self, checks: list[LimitCheck]) -> None:
        """Run rate-limit checks on their own: in one script where the store folds limits, else one by one
        (each window in its own slot)."""
        groups = [checks] if self.folds_limits else [[check] for check in checks]
        for group in groups:
            if not group:
                continue
            keys, arguments = window_keys(self._prefix, group), window_arguments(group)
            try:
                reply = await self._run(lambda: self._limits_only(keys=keys, args=arguments))  # noqa: B023
            except StoreUnavailable as error:
                if not isinstance(error.__cause__, ClusterCrossSlotError):
                    raise
                self._fold_no_more()
                await self._settle(checks[checks.index(group[0]) :])
                return
            operation_reply(reply, group)

    async def _settle_pending(self) -> None:
        """Before an operation that runs no rate-limit checks of its own: the pending ones, in order."""
        checks = take()
        if checks:
            await self._settle(checks)

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
        await self._after_limits(
            self._save_after_limits,
            [key],
            arguments,
            lambda: self._run(lambda: self._save(keys=[key], args=arguments)),
        )

    @metered
    async def find_challenge(self, address: str, nonce: str) -> Challenge | None:
        return next((c for c in await self._read_challenges(challenge_key(address, nonce)) if c.nonce == nonce), None)

    @metered
    async def outstanding_challenges(self, address: str) -> list[Challenge]:
        return await self._read_challenges(address)

    async def _read_challenges(self, key_of: str) -> list[Challenge]:  # unmetered: the callers are metered
        key = self._challenges_key(key_of)
        entries = await self._after_limits(
            self._read_after_limits,
            [key],
            [],
            lambda: self._run(lambda: self._redis.lrange(key, 0, -1), retry_if_dropped=True),
        )
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
                redeemed = await self._after_limits(
                    self._redeem_after_limits,
                    keys,
                    arguments,
                    lambda: self._write_acknowledged(
                        redeem, keys, arguments, lambda reply: reply == 1, NOT_REPLICATED_SIGN_IN
                    ),
                    acknowledged=(lambda reply: reply == 1, NOT_REPLICATED_SIGN_IN),
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
        await self._settle_pending()
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
        key, arguments = self._challenges_key(challenge_key(address, nonce)), [nonce, time.time()]
        consumed = await self._after_limits(
            self._consume_after_limits,
            [key],
            arguments,
            lambda: self._write_acknowledged(
                self._consume, [key], arguments, lambda reply: reply == 1, NOT_REPLICATED_SIGN_IN
            ),
            acknowledged=(lambda reply: reply == 1, NOT_REPLICATED_SIGN_IN),
        )
        return bool(consumed)

    @metered
    async def count_sessions(self) -> int:
        await self._settle_pending()
        key, now = self._live_sessions_key(), time.time()
        return int(await self._run(lambda: self._redis.zcount(key, f"({now}", "+inf"), retry_if_dropped=True))

    @metered
    async def find_session(self, session_id: str) -> Session | None:
        await self._settle_pending()
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
        await self._settle_pending()
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

        def granted(reply: Any) -> bool:
            return bool(reply[0] in granting)

        reply = await self._after_limits(
            self._rotate_after_limits,
            keys,
            arguments,
            lambda: self._write_acknowledged(self._rotate, keys, arguments, granted, NOT_REPLICATED_REFRESH),
            acknowledged=(granted, NOT_REPLICATED_REFRESH),
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
        await self._settle_pending()
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
        await self._settle_pending()
        key, arguments = self._code_key(code_hash), [record, str(max(1, ttl))]
        # Saving again is harmless (the code is not handed out yet), so a dropped connection may be retried.
        await self._run(lambda: self._save_code(keys=[key], args=arguments), retry_if_dropped=True)

    @metered
    async def take_code(self, code_hash: str) -> tuple[str, bool] | None:
        await self._settle_pending()
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
