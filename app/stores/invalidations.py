"""Redis client-side caching in broadcast mode, keeping app.stores.session_cache current.

One connection of its own (RESP2), to the primary: it asks Redis to track every key under the session
prefix (CLIENT TRACKING on BCAST PREFIX), redirects the invalidation messages to itself and subscribes to
them (__redis__:invalidate). Tracking and stream are one connection, so they live and die together. Redis
then names every session key that changes, whoever wrote it (any replica, any script, no change to them),
expires or evicts it, and sends no name at all when a database is flushed (the copy is then emptied).
Redis sends a write's invalidation before the writer's reply; another replica's revocation reaches this
process's copy after one network hop, as its reply reaches that replica.

The stream is trusted only while its heartbeat answers: a PING every HEARTBEAT seconds on that connection,
whose PONG comes after every invalidation sent before it. Each PONG extends the copy's trust to LEASE
seconds after its PING left; a PING unanswered within the store's timeout counts as a lost stream (a
frozen server, a cut cable that no error reports). A lost stream (an error, a closed connection: a Redis
restart, CLIENT KILL, a failover) empties the copy at once, and it serves nothing until a new connection
tracks and subscribes again (retried every RETRY_DELAYS second at most). Until then, and always on a Redis
Cluster (whose every primary would need a stream of its own, and re-subscribing as slots move), every
session check is a round trip.
"""

import asyncio
import contextlib
import logging
import time
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

from app.stores.session_cache import SessionCache

logger = logging.getLogger("web3_auth")

CHANNEL = "__redis__:invalidate"
CLIENT_NAME = "web3auth-session-invalidations"  # as CLIENT LIST shows it
HEARTBEAT = 0.25  # seconds between PINGs
LEASE = 2 * HEARTBEAT  # seconds the copy is served after a PING that came back was sent
RETRY_DELAYS = (0.05, 0.1, 0.25, 0.5, 1.0)  # seconds before each new attempt to follow; the last repeats


class StreamLost(RedisError):
    """The stream cannot be trusted: its heartbeat went unanswered, or the server is not a primary."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class InvalidationFollower:
    def __init__(self, client: Redis | RedisCluster, cache: SessionCache, *, key_prefix: str, timeout: float) -> None:
        """`key_prefix`: the session keys' prefix up to the session id (which is followed by one closing
        character, the hash tag's brace)."""
        self._client = client
        self._cache = cache
        self._key_prefix = key_prefix
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._connection: AbstractConnection | None = None  # the stream's, while there is one
        self._closed = False
        self._waiting: list[asyncio.Future[None]] = []  # caught_up() callers, for the next PING

    def ensure_running(self) -> None:
        """Start following, once (a no-op on a Redis Cluster, and after close)."""
        if self._task is None and not self._closed and isinstance(self._client, Redis):
            self._task = asyncio.get_running_loop().create_task(self._follow(self._client))

    async def caught_up(self) -> None:
        """Return once a heartbeat sent after this call has come back on a live stream: every invalidation
        Redis sent before then has been applied. Waits (for ever: the caller bounds it) while it is down."""
        self.ensure_running()
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        await waiter

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            # redis-py's sends (asyncio.wait_for on Python 3.11) can swallow a cancellation: closing the
            # connection also ends a read in progress, and the loops stop once they see _closed
            if self._connection is not None:
                await self._connection.disconnect(nowait=True)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._cache.lose()

    async def _follow(self, client: Redis) -> None:
        failures = 0
        while not self._closed:
            pool = client.connection_pool
            options = {**pool.connection_kwargs, "protocol": 2, "client_name": CLIENT_NAME}
            connection = self._connection = pool.connection_class(**options)
            try:
                await self._subscribe(connection)
                if failures:
                    logger.info("Redis: session invalidations followed again; session checks read the local copy")
                failures = 0
                await self._listen(connection)
            except Exception as error:  # Redis's errors, and any other: the copy is off until it follows again
                if not failures and not self._closed:
                    logger.warning(
                        "Redis: session invalidations not followed (%s): every session check reads Redis",
                        type(error).__name__,
                    )
                failures += 1
            finally:
                self._cache.lose()
                await connection.disconnect(nowait=True)
            await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1])

    async def _subscribe(self, connection: AbstractConnection) -> None:
        async with asyncio.timeout(self._timeout):
            await connection.connect()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            role = await self._ask(connection, "ROLE")
            if _text(role[0]) != "master":  # a Sentinel that has not caught up with a failover
                raise StreamLost("the server is not a primary")
            client_id = await self._ask(connection, "CLIENT", "ID")
            await self._ask(
                connection, "CLIENT", "TRACKING", "on", "REDIRECT", client_id, "BCAST", "PREFIX", self._key_prefix
            )
            await self._ask(connection, "SUBSCRIBE", CHANNEL)
            self._cache.follow(time.monotonic() + LEASE)

    @staticmethod
    async def _ask(connection: AbstractConnection, *command: str | int) -> Any:
        await connection.send_command(*command, check_health=False)  # a health check would read our messages
        return await connection.read_response()

    async def _listen(self, connection: AbstractConnection) -> None:
        """Apply invalidations and send heartbeats until the stream fails."""
        ping_due = time.monotonic()
        ping_sent: float | None = None
        answering: list[asyncio.Future[None]] = []
        try:
            while not self._closed:
                now = time.monotonic()
                if ping_sent is None and (now >= ping_due or self._waiting):
                    answering, self._waiting = self._waiting, []
                    await connection.send_command("PING", check_health=False)
                    ping_sent = now
                if ping_sent is not None and now - ping_sent >= self._timeout:
                    raise StreamLost("the heartbeat went unanswered")
                wait = ping_due - now if ping_sent is None else ping_sent + self._timeout - now
                message = await connection.read_response(timeout=max(wait, 0.001))
                if message is None:  # nothing within `wait`
                    continue
                kind = _text(message[0])
                if kind == "message":
                    self._invalidate(message[2])
                elif kind == "pong" and ping_sent is not None:
                    self._cache.confirm(ping_sent + LEASE)
                    for waiter in answering:
                        if not waiter.done():
                            waiter.set_result(None)
                    answering, ping_sent, ping_due = [], None, time.monotonic() + HEARTBEAT
        finally:
            self._waiting = answering + self._waiting  # answered by the next stream's first heartbeat

    def _invalidate(self, keys: list[bytes | str] | None) -> None:
        if keys is None:  # FLUSHDB, FLUSHALL
            self._cache.forget_all()
            return
        start = len(self._key_prefix)
        for key in keys:
            self._cache.forget(_text(key)[start:-1])
