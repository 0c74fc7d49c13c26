"""What the HTTP server allows one connection, before any request reaches the application.

uvicorn's httptools protocol caps nothing: it grows the URL and every header by concatenation, waits for a
request's headers and body as long as the client likes, and accepts connections until the process runs out
of file descriptors. `LimitedHttpToolsProtocol` adds, per connection:

- the request line and each header line at most `max_line_bytes`, the whole head at most `max_head_bytes`:
  past a cap the parser is fed no more; 414 url_too_long or 431 headers_too_large, then close;
- the head within `header_timeout` seconds of the accept (of its first byte, on a kept-alive connection),
  the body within `body_timeout` seconds of the end of the head: else 408 request_timeout and close (just
  the close when the client sent nothing yet, or the application has already answered);
- at most `max_connections` open connections per worker: one more is answered 503 too_many_connections
  at once and closed.

Every cut is logged and counted in web3auth_http_connections_closed_total{reason}. Answers are in the API's
envelope, `{"error": code, "detail": text}`, written straight to the socket.
"""

import asyncio
import json
import logging
import math
import resource
from dataclasses import dataclass
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from app.config import Settings
from app.errors import AuthError, HeadersTooLarge, MalformedRequest, RequestTimeout, TooManyConnections, UrlTooLong
from app.observability.metrics import HTTP_CONNECTIONS_CLOSED

logger = logging.getLogger("web3_auth.http")
# Descriptors a worker keeps for everything but client connections: the Redis pools, the listening socket,
# log files, the RPC clients, and the one a refused connection holds until it is closed.
RESERVED_DESCRIPTORS = 128
REFUSALS_LOGGED_EVERY = 1.0  # seconds: a flood of refused connections is one line a second, with a count


@dataclass(frozen=True)
class HttpLimits:
    max_line_bytes: int
    max_head_bytes: int
    header_timeout: float
    body_timeout: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings, open_files: int | None = None) -> "HttpLimits":
        """The limits AUTH_* asks for, the connection cap lowered to what `open_files` descriptors allow."""
        connections = settings.max_connections
        if open_files is not None and connections > open_files - RESERVED_DESCRIPTORS:
            connections = max(1, open_files - RESERVED_DESCRIPTORS)
            logger.warning(
                "AUTH_MAX_CONNECTIONS is over what the open-files limit allows: lowered",
                extra={"fields": {"max_connections": connections, "open_files_limit": open_files}},
            )
        return cls(
            max_line_bytes=settings.max_header_line_bytes,
            max_head_bytes=settings.max_header_bytes,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            max_connections=connections,
        )


class LimitedConfig(uvicorn.Config):
    """uvicorn's Config serving with LimitedHttpToolsProtocol. Workers get it pickled, limits and all."""

    def __init__(self, app: str, *, limits: HttpLimits, **options: Any) -> None:
        super().__init__(app, http=LimitedHttpToolsProtocol, **options)
        self.http_limits = limits


def raise_open_files_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (workers inherit it); the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft if soft != resource.RLIM_INFINITY else wanted
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):  # macOS caps the soft limit below an unlimited hard one
        return soft
    return wanted


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; the protocol answers with `error`."""


def _answer(error: AuthError, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    body = json.dumps({"error": error.code, "detail": error.detail}).encode()
    headers = [
        *default_headers,
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *((name.lower().encode(), value.encode()) for name, value in error.headers.items()),
        (b"connection", b"close"),
    ]
    return (
        b"".join([STATUS_LINE[error.status], *(name + b": " + value + b"\r\n" for name, value in headers), b"\r\n"])
        + body
    )


class _RefusalLog:
    """One line a second at most about refused connections, saying how many since the last one."""

    def __init__(self) -> None:
        self.refused = 0
        self.logged_at = -math.inf

    def note(self, now: float, cap: int) -> None:
        HTTP_CONNECTIONS_CLOSED.labels("too_many_connections").inc()
        self.refused += 1
        if now - self.logged_at >= REFUSALS_LOGGED_EVERY:
            logger.warning(
                "connection refused: the worker is at its connection cap",
                extra={"fields": {"reason": "too_many_connections", "refused": self.refused, "max_connections": cap}},
            )
            self.refused = 0
            self.logged_at = now


_refusals = _RefusalLog()


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if not isinstance(config, LimitedConfig):
            raise TypeError("LimitedHttpToolsProtocol is served with a LimitedConfig")
        self.limits = config.http_limits
        self.refused = False
        self.in_head = True  # between a message's start (or the accept) and the end of its headers
        self.head_begun = False  # ...and a byte of it has arrived
        self.head_bytes = 0
        self.awaiting_body = False
        self.head_timer: asyncio.TimerHandle | None = None
        self.body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self.transport = transport
            self.refused = True
            _refusals.note(self.loop.time(), self.limits.max_connections)
            transport.write(_answer(TooManyConnections(), self.server_state.default_headers))
            transport.close()
            return
        super().connection_made(transport)
        self.head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused or self.parser is None:
            return
        self._unset_keepalive_if_required()
        rest: bytes | memoryview = data
        while rest:
            piece = rest
            if self.in_head:
                room = self.limits.max_head_bytes - self.head_bytes
                if len(rest) > room:
                    piece = memoryview(rest)[:room]
                self.head_bytes += len(piece)
            rest = rest[len(piece) :]
            if not self._feed(piece):
                return
            if self.in_head and self.head_bytes >= self.limits.max_head_bytes:
                self._refuse(HeadersTooLarge(f"the request's headers are over {self.limits.max_head_bytes} bytes"))
                return
        if self.in_head and self.head_timer is None:
            self.head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)
        if self.awaiting_body and self.body_timer is None:
            self.body_timer = self.loop.call_later(self.limits.body_timeout, self._body_timed_out)

    def _feed(self, piece: bytes | memoryview) -> bool:
        """Parse; False once the connection is answered, closed or upgraded."""
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserError as exc:
            refusal = exc.__context__
            if isinstance(refusal, _Refused) and isinstance(refusal.args[0], AuthError):
                self._refuse(refusal.args[0])
            else:
                self.logger.warning("Invalid HTTP request received.")
                self._close_with(MalformedRequest("the request is not valid HTTP/1.1"))
            return False
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return False
        return not self.transport.is_closing()

    # Parser callbacks
    def on_message_begin(self) -> None:
        self.in_head = self.head_begun = True
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > self.limits.max_line_bytes:
            raise _Refused(UrlTooLong(f"the request line is over {self.limits.max_line_bytes} bytes"))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) + len(value) > self.limits.max_line_bytes:
            raise _Refused(HeadersTooLarge(f"a header line is over {self.limits.max_line_bytes} bytes"))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head = self.head_begun = False
        self.head_bytes = 0
        self.awaiting_body = True
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.awaiting_body = False
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None
        super().on_message_complete()

    # Timeouts
    def _held_up_by_us(self) -> bool:
        """Reading paused (pipelined requests wait their turn) or a response still being made: the time is
        not the client's to account for."""
        return self.flow.read_paused or (self.cycle is not None and not self.cycle.response_complete)

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self._held_up_by_us():
            self.head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)
            return
        detail = f"the request's headers did not arrive within {self.limits.header_timeout:g} s"
        if self.head_begun:
            self._cut("header_timeout", RequestTimeout(detail), logging.WARNING)
        else:  # an idle connection (a browser's preconnect, say): nothing to answer
            self._cut("header_timeout", None, logging.INFO)

    def _body_timed_out(self) -> None:
        self.body_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:
            self.body_timer = self.loop.call_later(self.limits.body_timeout, self._body_timed_out)
            return
        answered = self.cycle is not None and self.cycle.response_started
        detail = f"the request's body did not arrive within {self.limits.body_timeout:g} s"
        self._cut("body_timeout", None if answered else RequestTimeout(detail), logging.WARNING)

    def _refuse(self, error: AuthError) -> None:
        reason = "url_too_long" if isinstance(error, UrlTooLong) else "header_too_large"
        self._cut(reason, error, logging.WARNING)

    def _cut(self, reason: str, error: AuthError | None, level: int) -> None:
        fields: dict[str, Any] = {
            "reason": reason,
            "client": f"{self.client[0]}:{self.client[1]}" if self.client else None,
        }
        if error is not None:
            fields["status"] = error.status
        logger.log(
            level,
            "connection closed: " + (error.detail if error else "idle past the header timeout"),
            extra={"fields": fields},
        )
        HTTP_CONNECTIONS_CLOSED.labels(reason).inc()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the application's own answer, if it comes, goes nowhere
            self.cycle.message_event.set()
        self._close_with(error)

    def _close_with(self, error: AuthError | None) -> None:
        self._cancel_timers()
        if error is not None:
            self.transport.write(_answer(error, self.server_state.default_headers))
        self.transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self.head_timer, self.body_timer):
            if timer is not None:
                timer.cancel()
        self.head_timer = self.body_timer = None
