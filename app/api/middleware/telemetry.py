"""Per request: an id (X-Request-ID if the client sent a sane one, else a new one; echoed back), one log line,
and the HTTP and business metrics, all from one pure ASGI middleware that wraps everything else.

The outcome of a request is the error code it was answered with (app.observability.outcomes), or `ok`.
"""

import functools
import itertools
import logging
import os
import re
import secrets
import time
from collections.abc import Callable

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import PathTree, route_path
from app.observability import metrics
from app.observability.outcomes import RequestRecord, current_request

logger = logging.getLogger("web3_auth.access")
REQUEST_ID = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
UNMATCHED = "unmatched"  # the route label of a request no route matched: paths must not become labels
# Forward-auth answers any method, and a client may invent one per request: only these become labels.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


class RequestIds:
    """New request ids: 32 hex digits, a random half drawn once per process and a counter. As unique as
    uuid4's in practice, without a system call per request (uuid4 reads 16 bytes of os.urandom: a third of
    the telemetry's cost); not secrets, only names for log lines."""

    def __init__(self) -> None:
        self._restart()
        os.register_at_fork(after_in_child=self._restart)  # a forked worker must not repeat its parent's

    def _restart(self) -> None:
        self._prefix, self._counter = secrets.token_hex(8), itertools.count()

    def new(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFFFFFF:016x}"


_request_ids = RequestIds()


@functools.lru_cache(maxsize=1024)  # method, route and status take few values: their children, made once
def _request_metrics(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    return metrics.HTTP_REQUESTS.labels(method, route, str(status)), metrics.HTTP_SECONDS.labels(method, route)


@functools.lru_cache(maxsize=256)  # outcomes are the API's error codes: few
def _labelled(metric: Counter, value: str) -> Counter:
    return metric.labels(value)


def _business_events(route: str, outcome: str) -> None:
    if route == "/auth/verify":
        _labelled(metrics.SIGN_INS, outcome).inc()
        if outcome == "ok":
            _labelled(metrics.TOKENS, "issued").inc()
    elif route == "/auth/refresh" and outcome == "ok":
        _labelled(metrics.TOKENS, "refreshed").inc()
    elif route == "/auth/refresh" and outcome == "refresh_reused":
        _labelled(metrics.TOKENS, "reuse_detected").inc()
    elif route == "/auth/logout" and outcome == "ok":
        _labelled(metrics.TOKENS, "revoked").inc()


class RequestTelemetry:
    def __init__(self, app: ASGIApp, client_of: Callable[[Scope], str], paths: PathTree) -> None:
        self.app = app
        self.client_of = client_of
        # the API's paths, each path or tree its own route template; a request refused before routing to a route
        # with parameters (DELETE /auth/accounts/{account}) counts as unmatched: labels stay few whatever the path
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = Headers(scope=scope).get(REQUEST_ID, "")
        record = RequestRecord(offered if _SANE_ID.fullmatch(offered) else _request_ids.new())
        token = current_request.set(record)
        status = 500  # if nothing is sent, an exception escaped: ServerErrorMiddleware answers 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID, record.request_id)
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request.reset(token)
            self._record(scope, record, status, time.perf_counter() - started)

    def _record(self, scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        route = self._route_of(scope)
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
        outcome = record.outcome or ("ok" if status < 400 else "internal_error" if status >= 500 else str(status))
        counted, timed = _request_metrics(method, route, status)
        counted.inc()
        timed.observe(seconds)
        _business_events(route, outcome)
        fields = {
            "request_id": record.request_id,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": self.client_of(scope),
            "outcome": outcome,
        }
        logger.log(logging.WARNING if status >= 500 else logging.INFO, "request", extra={"fields": fields})

    def _route_of(self, scope: Scope) -> str:
        """The template of the route that answered; for a request refused before routing (by a rate limit,
        say), of the route it was meant for."""
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        return self.paths.template(route_path(scope)) or UNMATCHED
