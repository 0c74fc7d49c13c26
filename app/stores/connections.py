"""AUTH_REDIS_URL, in its three forms, turned into redis-py clients (for the store) and `limits` storages
(for the rate counters):

    redis://[user:password@]host:port[/db]     one server (also rediss:// for TLS, unix:///path)
    redis+cluster://[user:password@]host:port,host:port,...
                                               Redis Cluster: any of its nodes; the rest is discovered
    redis+sentinel://[user:password@]host:port,host:port,.../service-name
                                               Sentinel: the sentinels and the monitored service's name;
                                               the credentials are the Redis servers', not the sentinels'

Every client is bounded by the request's store time budget: its waits take at most half of AUTH_REDIS_TIMEOUT,
and it never retries on its own (app.stores.redis decides what may be retried). With Sentinel, a new
connection asks the sentinels where the primary is, so after a failover the service finds the new primary by
itself; a connection still talking to a demoted primary gets READONLY, which redis-py turns into a
ConnectionError and a reconnect.
"""

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from limits.aio.storage import RedisClusterStorage, RedisSentinelStorage, RedisStorage, Storage
from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

from app.config import CLUSTER_SCHEME, SENTINEL_SCHEME

MAX_CONNECTIONS = 64
SCHEMES = ("redis", "rediss", "unix", CLUSTER_SCHEME, SENTINEL_SCHEME)


@dataclass(frozen=True)
class RedisTarget:
    kind: Literal["server", "cluster", "sentinel"]
    url: str
    nodes: tuple[tuple[str, int], ...] = ()  # cluster nodes, or sentinels
    service: str = ""  # the sentinel service
    username: str | None = None
    password: str | None = None


def parse_redis_url(url: str) -> RedisTarget:
    """Raises ValueError, never echoing the URL (it may hold a password)."""
    scheme = url.partition("://")[0]
    if scheme not in SCHEMES:
        raise ValueError(f"must start with one of {', '.join(f'{known}://' for known in SCHEMES)}")
    if scheme not in (CLUSTER_SCHEME, SENTINEL_SCHEME):
        return RedisTarget("server", url)
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    nodes = tuple(_host_port(entry) for entry in hosts.split(",") if entry.strip())
    if not nodes:
        raise ValueError(f"{scheme}:// needs at least one host:port")
    service = parts.path.strip("/")
    if scheme == SENTINEL_SCHEME and (not service or "/" in service):
        raise ValueError("redis+sentinel:// needs the service name as its path: redis+sentinel://h:p,h:p/name")
    kind: Literal["cluster", "sentinel"] = "cluster" if scheme == CLUSTER_SCHEME else "sentinel"
    return RedisTarget(kind, url, nodes, service, unquote(username) or None, unquote(password) or None)


def _host_port(entry: str) -> tuple[str, int]:
    host, _, port = entry.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("every node must be host:port")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class StoreConnection:
    client: Redis | RedisCluster
    helpers: tuple[Redis, ...] = ()  # the sentinels' own clients

    async def close(self) -> None:
        if isinstance(self.client, Redis):
            await self.client.aclose(close_connection_pool=True)
        else:
            await self.client.aclose()
        for helper in self.helpers:
            await helper.aclose()


def store_connection(target: RedisTarget, timeout: float) -> StoreConnection:
    """The store's client: one bounded pool per process."""
    no_retry = Retry(NoBackoff(), retries=0)
    wait = timeout / 2
    if target.kind == "cluster":
        cluster = RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
            username=target.username,
            password=target.password,
            max_connections=MAX_CONNECTIONS,
            retry=no_retry,
            socket_timeout=wait,
            socket_connect_timeout=wait,
        )
        return StoreConnection(cluster)
    if target.kind == "sentinel":
        sentinels = Sentinel(
            list(target.nodes),
            sentinel_kwargs={"socket_timeout": wait, "socket_connect_timeout": wait},
            socket_timeout=wait,
            socket_connect_timeout=wait,
        )
        primary: Redis = sentinels.master_for(
            target.service,
            username=target.username,
            password=target.password,
            retry=no_retry,
            max_connections=MAX_CONNECTIONS,
        )
        return StoreConnection(primary, tuple(sentinels.sentinels))
    pool = BlockingConnectionPool.from_url(
        target.url,
        max_connections=MAX_CONNECTIONS,
        timeout=wait,
        retry=no_retry,
        socket_timeout=wait,
        socket_connect_timeout=wait,
    )
    return StoreConnection(Redis(connection_pool=pool))


def limits_storage(target: RedisTarget, client: Redis | RedisCluster, *, prefix: str, timeout: float) -> Storage:
    """The rate counters' storage. On one server it shares the store's pool; `limits` builds its own clients
    for a cluster or a sentinel set (it cannot be handed one), with the same bounds."""
    key_prefix = f"{prefix}:limits"
    hosts = ",".join(f"[{host}]:{port}" if ":" in host else f"{host}:{port}" for host, port in target.nodes)
    auth: dict[str, Any] = {}
    if target.username:
        auth["username"] = target.username
    if target.password:
        auth["password"] = target.password
    # limits builds its own redis-py clients for these two, bounded like the store's
    bounds: dict[str, Any] = {"socket_timeout": timeout / 2, "socket_connect_timeout": timeout / 2}
    shared: dict[str, Any] = {"implementation": "redispy", "key_prefix": key_prefix, "wrap_exceptions": True}
    if target.kind == "cluster":
        return RedisClusterStorage(f"async+redis+cluster://{hosts}", **shared, **bounds, **auth)
    if target.kind == "sentinel":
        return RedisSentinelStorage(
            f"async+redis+sentinel://{hosts}/{target.service}",
            use_replicas=False,  # counts are read where they are written: the primary
            sentinel_kwargs=bounds,
            **shared,
            **bounds,
            **auth,
        )
    assert isinstance(client, Redis)
    return RedisStorage(
        target.url,
        **shared,
        connection_pool=client.connection_pool,  # type: ignore[arg-type]  # passed on to redis-py as it is
    )


async def close_limits_storage(storage: Storage) -> None:
    """`limits` offers no way to close what it opened: close its clients through its bridge, where it keeps
    them (a cluster client; a sentinel set's primary and replica clients and the sentinels)."""
    bridge = getattr(storage, "bridge", None)
    clients = [getattr(bridge, name, None) for name in ("storage", "storage_replica")]
    sentinel = getattr(bridge, "sentinel", None)
    clients += list(getattr(sentinel, "sentinels", []))
    for client in clients:
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()
