"""CORS for the frontends listed in AUTH_CORS_ORIGINS: Starlette's middleware, with exact origins only.

Credentials (cookies) are never allowed: web3-auth sets none, tokens travel in the Authorization header.
A refused preflight is answered in the error envelope, like every other refusal.

Paths in `exempt`, and every path under them, never see CORS: forward-auth answers proxies, not pages, and a
proxy that forwards the original method (Envoy ext_authz over HTTP, which also appends the original path to
its prefix) would otherwise get the 200 of an `OPTIONS` shaped like a preflight, without a token, and let
the request through.
"""

from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.asgi import NO_PATHS, PathTree, route_path
from app.api.handlers import render
from app.errors import MalformedRequest, shown

ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")
# What browsers let a page read of an answer: the request id, and when to come back after a 429 or 503.
EXPOSED_HEADERS = (
    "X-Request-ID",
    "Retry-After",
    "WWW-Authenticate",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
)
PREFLIGHT_MAX_AGE = 600


class ExactOriginCors(CORSMiddleware):
    def __init__(self, app: ASGIApp, /, exempt: PathTree = NO_PATHS, **options: Any) -> None:
        super().__init__(app, **options)
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if route_path(scope) in self.exempt:
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        origin = request_headers["origin"]
        detail = f"CORS preflight refused ({refused}): allowed origins are AUTH_CORS_ORIGINS, methods GET and POST"
        error = render(MalformedRequest(f"{detail}; the origin was {shown(origin, 100)}"))
        error.headers.update({k: v for k, v in response.headers.items() if k.lower().startswith("vary")})
        return error


def install_cors(app: FastAPI, origins: list[str], exempt: PathTree = NO_PATHS) -> None:
    """Answer preflights and add CORS headers for `origins`, on every path but those `exempt` holds; nothing at
    all when there are no origins."""
    if origins:
        app.add_middleware(
            ExactOriginCors,
            exempt=exempt,
            allow_origins=origins,
            allow_methods=("GET", "POST"),
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=False,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE,
        )
