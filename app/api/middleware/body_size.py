"""The request body size limit (pure ASGI, as every middleware here: BaseHTTPMiddleware buffers responses)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import NO_PATHS, PathTree, route_path
from app.api.handlers import render
from app.errors import MalformedRequest, PayloadTooLarge

MAX_BODY_BYTES = 64 * 1024


class BodySizeLimit:
    """Answer 413 payload_too_large to a body over `limit` bytes, before anything parses it.

    A declared Content-Length is checked up front (the HTTP server never delivers more than it declares);
    a body without one (chunked) is read here up to the limit and replayed to the application. The paths
    `exempt` holds never read their body (forward-auth answers whatever a proxy sends along).
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, exempt: PathTree = NO_PATHS) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_path(scope) in self.exempt:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                await render(MalformedRequest("Content-Length must be a number"))(scope, receive, send)
                return
            # a length too long to be a number Python converts (4,300+ digits) is too large anyway
            if len(length) > len(str(self.limit)) or int(length) > self.limit:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await render(PayloadTooLarge(f"the request body is over {self.limit} bytes"))(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
