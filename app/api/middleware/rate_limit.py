"""The per-client limit (AUTH_RATE_LIMIT_IP, app.api.ratelimit), counted before anything reads the body."""

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.asgi import services_of
from app.api.handlers import render
from app.api.ratelimit import RateLimits
from app.errors import AuthError


class PerClientLimit:
    """Pure ASGI: count each request to a limited /auth/ endpoint against its client's budget, before the
    body is read or anything else happens."""

    def __init__(self, app: ASGIApp, rate_limits: RateLimits) -> None:
        self.app = app
        self.rate_limits = rate_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.rate_limits.counts_against_its_client(scope):
            await self.app(scope, receive, send)
            return
        services = services_of(scope)
        try:
            await self.rate_limits.spend(self.rate_limits.per_ip, services.counter, scope)
        except AuthError as error:
            await render(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
