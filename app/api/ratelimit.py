"""Rate limits: declared with slowapi, counted through `limits`' asyncio storage, answered as our own 429.

slowapi's `Limit` is the declaration (the limit, its key function, its scope). slowapi's enforcement is not
used: it is synchronous, and with Redis every check would be a blocking round trip on the event loop; a Redis
that drops packets would stall every request for the socket timeout (benchmarks/limiter_blocking.py measures
it). The counting goes through app.stores.limits.RateCounter instead, on the same asyncio Redis pool as the
store, within the request's store deadline.

    per client IP    AUTH_RATE_LIMIT_IP, on every /auth/ endpoint, before the body is read; except
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

import limits
from slowapi.wrappers import Limit
from starlette.datastructures import Headers
from starlette.types import Scope

from app.api.asgi import NO_PATHS, PathTree, route_path
from app.api.client_ip import TrustedProxies, client_key
from app.api.credentials import presents
from app.config import Settings
from app.errors import RateLimited
from app.observability import metrics
from app.stores.limits import RateCounter, Verdict

LIMITED_PREFIXES = ("/auth/", "/oidc/")  # the API and the OpenID Connect provider; not the public metadata
_CLIENT_KEY = "web3auth.client"  # where a request's client key is kept in its ASGI scope


def _declare(value: str, scope: str, key_func: object) -> Limit:
    return Limit(
        limit=limits.parse(value),
        key_func=key_func,  # type: ignore[arg-type]
        scope=scope,
        per_method=False,
        methods=None,
        error_message=None,
        exempt_when=None,
        cost=1,
        override_defaults=False,
    )


class RateLimits:
    """The limits of one deployment, and how a hit against each is counted."""

    def __init__(self, settings: Settings, *, unlimited_paths: PathTree = NO_PATHS, introspect_path: str) -> None:
        self.unlimited_paths, self.introspect_path = unlimited_paths, introspect_path
        self.trusted = TrustedProxies(settings.trusted_proxies)
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
            forwarded = Headers(scope=scope).getlist("x-forwarded-for")
            known = scope[_CLIENT_KEY] = client_key(peer[0] if peer else None, forwarded, self.trusted)
        return known

    def counts_against_its_client(self, scope: Scope) -> bool:
        path = route_path(scope)
        if not path.startswith(LIMITED_PREFIXES) or path in self.unlimited_paths:
            return False
        return path != self.introspect_path or not self._presents_introspection_credential(scope)

    def _presents_introspection_credential(self, scope: Scope) -> bool:
        if self.introspection_credential is None:
            return False
        return presents(Headers(scope=scope).get("authorization", ""), self.introspection_credential)

    async def spend(self, declared: Limit, counter: RateCounter, *key_parts: object) -> None:
        """Count one hit, or raise RateLimited if the window is full."""
        key = declared.key_func(*key_parts)
        _raise_if_refused(declared, key, await counter.hit(declared.limit, declared.scope, key))

    async def ensure_available(self, declared: Limit, counter: RateCounter, *key_parts: object) -> None:
        """Raise RateLimited if a hit would be refused now; count nothing."""
        key = declared.key_func(*key_parts)
        _raise_if_refused(declared, key, await counter.check(declared.limit, declared.scope, key))


def _raise_if_refused(declared: Limit, key: str, verdict: Verdict) -> None:
    if verdict.allowed:
        return
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

    async def ensure_available(self) -> None:
        await self._limits.ensure_available(self._limits.per_rpc_failure, self._counter, self._client)

    async def spend(self) -> None:
        await self._limits.spend(self._limits.per_rpc_failure, self._counter, self._client)


def rate_limits_of(scope: Scope) -> RateLimits:
    """The application's rate limits (app.main builds them with the app)."""
    rate_limits: RateLimits = scope["app"].state.rate_limits
    return rate_limits
