"""Rate limits: parsed and keyed by `limits`, counted through app.stores.limits.RateCounter, answered as our
own 429.

Each limit is a DeclaredLimit: `limits`' RateLimitItem (parsed from its AUTH_RATE_LIMIT_* string), its scope
and its key function. slowapi's enforcement is not used: it is synchronous, and with Redis every check would
be a blocking round trip on the event loop; a Redis that drops packets would stall every request for the
socket timeout (benchmarks/limiter_blocking.py measures it). Its public API is that enforcement (Limiter, its
decorators and middlewares, whose 429 headers it writes from its synchronous storage); its records
(slowapi.wrappers.Limit) are not part of it. The counting goes through RateCounter instead, on the same
asyncio Redis pool as the store, within the request's store deadline; on one Redis server the checks of a
request run inside the store's next script (app.stores.pending_limits): the per-IP hit of the endpoints
declared `per_ip_with_store` (app.api.table) with their first store operation, the per-wallet checks with the
nonce look-up, their spending with the redemption.

    per client IP    AUTH_RATE_LIMIT_IP, on every /auth/ endpoint, before the body is read (on one Redis
                     server, for the endpoints declared per_ip_with_store, with the first store operation:
                     after the body is parsed, before any signature is checked or anything stored); except
                     forward-auth (proxies call it for every request of the API they guard) and
                     introspection calls that present AUTH_INTROSPECT_TOKEN (services, not browsers)
    per wallet       AUTH_RATE_LIMIT_ADDRESS, keyed by the EIP-55 address (case variants share it), twice:
                     sign-ins of the wallet, spent only once the signature checked out, so that a forged
                     request never spends it; and challenges for the wallet asked by one client, so that
                     no client can use up another's
    sign-ins per IP  AUTH_RATE_LIMIT_SIGNIN_IP, keyed like the per-IP limit (IPv6 per /64): the sign-ins from
                     one client whose signature checked out (spent as the wallet's is), so that one client
                     cannot open sessions without end by signing in with wallet after wallet
    nonces per IP    AUTH_RATE_LIMIT_NONCE_IP, open nonces (POST /auth/nonce) asked by one client; each client
                     holds at most app.stores.base.OPEN_NONCES_PER_CLIENT outstanding (its oldest gives way)
    per client IP    AUTH_RATE_LIMIT_RPC_FAILURES_IP, contract-wallet refusals: checked before any RPC call
                     of a sign-in, spent by each one the chain was consulted about and refused, so that one
                     client cannot keep the Ethereum nodes busy with forgeries
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import limits
from limits import RateLimitItem
from starlette.datastructures import Headers
from starlette.types import Scope

from app.api.asgi import NO_PATHS, PathTree, route_path
from app.api.client_ip import TrustedProxies, client_key
from app.api.credentials import presents
from app.config import Settings
from app.errors import RateLimited
from app.observability import metrics
from app.stores.limits import RateCounter
from app.stores.pending_limits import LimitCheck, Verdict

LIMITED_PREFIXES = ("/auth/", "/oidc/")  # the API and the OpenID Connect provider; not the public metadata
_CLIENT_KEY = "web3auth.client"  # where a request's client key is kept in its ASGI scope
_CACHED_CLIENT_KEYS = 4096
_CACHED_FORWARDED_BYTES = 256


@dataclass(frozen=True, slots=True)
class DeclaredLimit:
    """A rate limit: `limits`' item (amount per window), the scope its windows are kept under, and the key
    function that names a window from what the caller passes."""

    limit: RateLimitItem
    scope: str
    key_func: Callable[..., str]


def _declare(value: str, scope: str, key_func: Callable[..., str]) -> DeclaredLimit:
    return DeclaredLimit(limits.parse(value), scope, key_func)


class RateLimits:
    """The limits of one deployment, and how a hit against each is counted."""

    def __init__(
        self,
        settings: Settings,
        *,
        unlimited_paths: PathTree = NO_PATHS,
        introspect_path: str,
        per_ip_with_store: frozenset[str] = frozenset(),
    ) -> None:
        """`per_ip_with_store`: the paths whose per-IP hit may wait for the request's first store operation and
        run in its script (on one Redis server); anything still waiting when the response starts runs then."""
        self.unlimited_paths, self.introspect_path = unlimited_paths, introspect_path
        self.per_ip_with_store = per_ip_with_store
        self.trusted = TrustedProxies(settings.trusted_proxies)
        # A client sends request after request from the same address: its key, parsed once (ipaddress is slow).
        self._key_of = functools.lru_cache(maxsize=_CACHED_CLIENT_KEYS)(self._key)
        self.introspection_credential = settings.introspect_token
        self.per_ip = _declare(settings.rate_limit_ip, "ip", self.client)
        self.per_sign_in = _declare(settings.rate_limit_address, "sign-in", lambda address: address)
        self.per_sign_in_ip = _declare(settings.rate_limit_signin_ip, "sign-in-ip", lambda client: client)
        self.per_nonce = _declare(settings.rate_limit_nonce_ip, "nonce", lambda client: client)
        self.per_rpc_failure = _declare(settings.rate_limit_rpc_failures_ip, "rpc-failures", lambda client: client)
        self.per_challenge = _declare(
            settings.rate_limit_address, "challenge", lambda address, client: f"{address} {client}"
        )

    def client(self, scope: Scope) -> str:
        """The client a request counts against (app.api.client_ip); worked out once per request."""
        known: str | None = scope.get(_CLIENT_KEY)
        if known is None:
            peer = scope.get("client")
            address = peer[0] if peer else None
            forwarded = tuple(value for name, value in scope["headers"] if name == b"x-forwarded-for")
            if sum(map(len, forwarded)) <= _CACHED_FORWARDED_BYTES:  # whatever a client sends stays out of it
                known = self._key_of(address, forwarded)
            else:
                known = self._key(address, forwarded)
            scope[_CLIENT_KEY] = known
        return known

    def _key(self, peer: str | None, forwarded: tuple[bytes, ...]) -> str:
        return client_key(peer, [value.decode("latin-1") for value in forwarded], self.trusted)

    def counts_against_its_client(self, scope: Scope) -> bool:
        path = route_path(scope)
        if not path.startswith(LIMITED_PREFIXES) or path in self.unlimited_paths:
            return False
        return path != self.introspect_path or not self._presents_introspection_credential(scope)

    def _presents_introspection_credential(self, scope: Scope) -> bool:
        if self.introspection_credential is None:
            return False
        return presents(Headers(scope=scope).get("authorization", ""), self.introspection_credential)

    def folds_per_ip(self, scope: Scope) -> bool:
        return route_path(scope) in self.per_ip_with_store

    async def spend(
        self, declared: DeclaredLimit, counter: RateCounter, *key_parts: object, at_once: bool = False
    ) -> None:
        """Count one hit, or raise RateLimited if the window is full: now, or (on one Redis server, unless
        `at_once`) at the store's next operation, before it does anything (app.stores.pending_limits)."""
        await counter.apply(_check(declared, key_parts, counts=True), at_once=at_once)

    async def ensure_available(
        self, declared: DeclaredLimit, counter: RateCounter, *key_parts: object, at_once: bool = False
    ) -> None:
        """Raise RateLimited if a hit would be refused now (or at the store's next operation, as `spend`);
        count nothing."""
        await counter.apply(_check(declared, key_parts, counts=False), at_once=at_once)


def _check(declared: DeclaredLimit, key_parts: tuple[object, ...], *, counts: bool) -> LimitCheck:
    key = declared.key_func(*key_parts)
    return LimitCheck(declared.limit, (declared.scope, key), counts, functools.partial(_refuse, declared, key))


def _refuse(declared: DeclaredLimit, key: str, verdict: Verdict) -> NoReturn:
    metrics.RATE_LIMITED.labels(declared.scope).inc()
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
    """The sign-in budgets of a wallet and of the client asking, as the sign-in use case needs them
    (app.domain.signin.SignInBudget): both must have a sign-in left, and a sign-in spends both."""

    def __init__(self, rate_limits: RateLimits, counter: RateCounter, client: str) -> None:
        self._limits = rate_limits
        self._counter = counter
        self._client = client

    async def ensure_available(self, address: str) -> None:
        await self._limits.ensure_available(self._limits.per_sign_in_ip, self._counter, self._client)
        await self._limits.ensure_available(self._limits.per_sign_in, self._counter, address)

    async def spend(self, address: str) -> None:
        await self._limits.spend(self._limits.per_sign_in_ip, self._counter, self._client)
        await self._limits.spend(self._limits.per_sign_in, self._counter, address)


class ClientFailureBudget:
    """A client's budget of contract-wallet refusals (app.domain.signin.FailureBudget)."""

    def __init__(self, rate_limits: RateLimits, counter: RateCounter, client: str) -> None:
        self._limits = rate_limits
        self._counter = counter
        self._client = client

    # at once: checked before an RPC call (which is no store operation), spent before a refusal is answered
    async def ensure_available(self) -> None:
        await self._limits.ensure_available(self._limits.per_rpc_failure, self._counter, self._client, at_once=True)

    async def spend(self) -> None:
        await self._limits.spend(self._limits.per_rpc_failure, self._counter, self._client, at_once=True)


def rate_limits_of(scope: Scope) -> RateLimits:
    """The application's rate limits (app.main builds them with the app)."""
    rate_limits: RateLimits = scope["app"].state.rate_limits
    return rate_limits
