"""Rate limits: declared with slowapi, counted through `limits`' asyncio storage, answered as our own 429.

slowapi's `Limit` is the declaration (the limit, its key function, its scope), but slowapi's enforcement is
synchronous: with Redis, every check would be a blocking round trip on the event loop, and a Redis that
drops packets would stall every request for the socket timeout (benchmarks/limiter_blocking.py measures it).
So the counting goes through app.stores.limits.RateCounter, on the same asyncio Redis pool as the store.

    per client IP     AUTH_RATE_LIMIT_IP, on every /auth/ endpoint a browser calls, before anything is read;
                      not on forward-auth and introspection, which proxies and services call as often as
                      the API they guard is called
    per wallet        AUTH_RATE_LIMIT_ADDRESS, counted separately for challenges (every request) and for
                      sign-ins (only once the signature checked out: a forged request never spends a wallet's
                      budget), both keyed by the EIP-55 address, so case variants share one budget
"""

from collections.abc import Callable

import limits
from slowapi.wrappers import Limit
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.client_ip import TrustedProxies, client_key
from app.api.handlers import render
from app.config import Settings
from app.errors import AuthError, RateLimited
from app.lifespan import Services
from app.stores.limits import RateCounter, Verdict


def _declare(value: str, scope: str, key: Callable[..., str]) -> Limit:
    return Limit(limits.parse(value), key, scope, False, None, None, None, 1, False)


class RateLimits:
    """The limits of one deployment, and how a hit against each is counted."""

    def __init__(self, settings: Settings) -> None:
        self.trusted = TrustedProxies(settings.trusted_proxies)
        self.per_ip = _declare(settings.rate_limit_ip, "ip", self.client)
        self.per_challenge = _declare(settings.rate_limit_address, "challenge", str)
        self.per_sign_in = _declare(settings.rate_limit_address, "sign-in", str)

    def client(self, scope: Scope) -> str:
        peer = scope.get("client")
        return client_key(peer[0] if peer else None, Headers(scope=scope).getlist("x-forwarded-for"), self.trusted)

    async def spend(self, declared: Limit, counter: RateCounter, key: str) -> None:
        """Count one hit, or raise RateLimited if the window is full."""
        _raise_if_refused(declared, key, await counter.hit(declared.limit, declared.scope, key))

    async def ensure_available(self, declared: Limit, counter: RateCounter, key: str) -> None:
        """Raise RateLimited if a hit would be refused now; count nothing."""
        _raise_if_refused(declared, key, await counter.check(declared.limit, declared.scope, key))


def _raise_if_refused(declared: Limit, key: str, verdict: Verdict) -> None:
    if verdict.allowed:
        return
    item = declared.limit
    raise RateLimited(
        f"over the {declared.scope} limit of {item.amount} per {item.get_expiry()} seconds for {key}",
        limit=item.amount,
        window=item.get_expiry(),
        remaining=verdict.remaining,
        reset_at=verdict.reset_at,
        now=verdict.checked_at,
    )


class WalletBudget:
    """A wallet's sign-in budget, as the sign-in use case needs it (app.domain.signin.SignInBudget)."""

    def __init__(self, rate_limits: RateLimits, counter: RateCounter) -> None:
        self._limits = rate_limits
        self._counter = counter

    async def ensure_available(self, address: str) -> None:
        await self._limits.ensure_available(self._limits.per_sign_in, self._counter, address)

    async def spend(self, address: str) -> None:
        await self._limits.spend(self._limits.per_sign_in, self._counter, address)


class PerClientLimit:
    """Pure ASGI: count each request to a browser-facing /auth/ endpoint against its client's budget, before
    the body is read or anything else happens."""

    def __init__(self, app: ASGIApp, rate_limits: RateLimits, exempt: tuple[str, ...]) -> None:
        self.app = app
        self.rate_limits = rate_limits
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/auth/") or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        services: Services = scope["state"]["services"]
        try:
            await self.rate_limits.spend(self.rate_limits.per_ip, services.counter, self.rate_limits.client(scope))
        except AuthError as error:
            await render(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
