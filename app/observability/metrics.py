"""Prometheus metrics (prometheus-client), served at GET /metrics.

With several uvicorn workers, `python -m app` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before
any worker starts, and every worker writes its samples there; /metrics then adds them up across workers
(prometheus-client's multiprocess mode). Gauges say how they combine: a node is healthy when every live
worker sees it healthy (livemin), and its breaker shows the worst state any worker sees (livemax).
"""

import functools
import os
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from app.errors import AuthError, StoreFull

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter(
    "web3auth_http_requests", "HTTP requests answered, by route template and status.", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "web3auth_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
HTTP_CONNECTIONS_CLOSED = Counter(
    "web3auth_http_connections_closed",
    "Connections the HTTP server cut or refused before a request was whole (app.http_limits), by reason: "
    "header_timeout, header_too_large, url_too_long, body_timeout, too_many_connections.",
    ["reason"],
)
SIGN_INS = Counter("web3auth_sign_ins", "POST /auth/verify outcomes: ok, or the error code answered.", ["outcome"])
TOKENS = Counter(
    "web3auth_tokens",
    "Token events: issued (sign-in), refreshed, revoked (logout), reuse_detected (session revoked).",
    ["event"],
)
RATE_LIMITED = Counter("web3auth_rate_limited", "Requests refused by a rate limit, by limit.", ["limit"])
STORE_SECONDS = Histogram(
    "web3auth_store_operation_duration_seconds",
    "Store and rate-counter operations, by operation.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
STORE_ERRORS = Counter(
    "web3auth_store_errors", "Store operations that failed (answered 503), by operation.", ["operation"]
)
SESSION_CACHE_READS = Counter(
    "web3auth_session_cache_reads",
    "Session checks on Redis (me, forward-auth, introspection), by outcome: hit (answered from this process's "
    "copy), miss (read from Redis), untrusted (read from Redis: the invalidation stream is down or unconfirmed, "
    "and always on a Redis Cluster).",
    ["outcome"],
)
# Read from the store at each scrape (every worker sees the same store: the scraped worker's figure is the one)
SESSIONS_LIVE = Gauge(
    "web3auth_sessions_live",
    "Live sessions in the store (neither revoked nor past their idle or absolute end), as of the last scrape.",
    multiprocess_mode="livemostrecent",
)
SESSIONS_MAX = Gauge(
    "web3auth_sessions_max",
    "AUTH_MAX_SESSIONS: at this many live sessions a sign-in is answered 503 store_full.",
    multiprocess_mode="livemax",
)
RPC_CALLS = Counter(
    "web3auth_rpc_calls",
    "Ethereum JSON-RPC requests, by chain, node and outcome (ok, execution_failed, node_failure).",
    ["chain", "node", "outcome"],
)
RPC_NODE_HEALTHY = Gauge(
    "web3auth_rpc_node_healthy",
    "1 when the node is on its chain and its breaker closed.",
    ["chain", "node"],
    multiprocess_mode="livemin",
)
RPC_BREAKER_STATE = Gauge(
    "web3auth_rpc_breaker_state",
    "The node's circuit breaker: 0 closed, 1 half-open, 2 open.",
    ["chain", "node"],
    multiprocess_mode="livemax",
)

P = ParamSpec("P")
R = TypeVar("R")


def metered(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Time a store operation (named after the method) and count its failures."""
    operation = method.__name__
    seconds = functools.cache(lambda: STORE_SECONDS.labels(operation))  # a child per label set, made once

    @functools.wraps(method)
    async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        except AuthError as error:
            if error.status >= 500 and not isinstance(error, StoreFull):  # a full store answered: no failure
                STORE_ERRORS.labels(operation).inc()
            raise
        finally:
            seconds().observe(time.perf_counter() - started)

    return timed


def exposition() -> tuple[bytes, str]:
    """The metrics page and its content type: this process's, or every worker's in multiprocess mode."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def forget_this_worker() -> None:
    """At a worker's exit in multiprocess mode: drop its live gauges, or a replaced worker's last node health
    and breaker state would go on counting in every scrape."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]  # prometheus-client has no hints here
