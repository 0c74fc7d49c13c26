"""The per-client limit (AUTH_RATE_LIMIT_IP, app.api.ratelimit): counted before anything reads the body, or, on
one Redis server, for the sign-in endpoints, with the request's first store operation (in the same script)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.asgi import services_of
from app.api.handlers import render
from app.api.ratelimit import RateLimits
from app.errors import AuthError
from app.stores.limits import RateCounter


class PerClientLimit:
    """Pure ASGI: count each request to a limited endpoint against its client's budget: at once, before the body
    is read, or where the store folds the hit into its next script (RateLimits.folds_per_ip), with that script,
    and at the latest when the response starts or the request fails."""

    def __init__(self, app: ASGIApp, rate_limits: RateLimits) -> None:
        self.app = app
        self.rate_limits = rate_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.rate_limits.counts_against_its_client(scope):
            await self.app(scope, receive, send)
            return
        counter = services_of(scope).counter
        with counter.batch():
            try:
                at_once = not self.rate_limits.folds_per_ip(scope)
                await self.rate_limits.spend(self.rate_limits.per_ip, counter, scope, at_once=at_once)
            except AuthError as error:
                await render(error)(scope, receive, send)
                return
            if not counter.folds_checks:
                await self.app(scope, receive, send)
                return
            try:
                await self.app(scope, receive, _settling_first(counter, scope, receive, send))
            except Exception:
                # A request that failed (a 500) counts against its client all the same; and if it was over its
                # limit, that is its answer. Checks still pending mean that no response has started.
                if not counter.has_pending():
                    raise
                try:
                    await counter.settle()
                except AuthError as error:
                    await render(error)(scope, receive, send)
                    return
                raise


def _settling_first(counter: RateCounter, scope: Scope, receive: Receive, send: Send) -> Send:
    """`send`, running the checks still pending before the response starts: if one refuses, its refusal
    (or a store failure's 503) is sent instead of the response, and the application's messages are dropped."""
    replaced = False

    async def settling_send(message: Message) -> None:
        nonlocal replaced
        if replaced:
            return
        if message["type"] == "http.response.start" and counter.has_pending():
            try:
                await counter.settle()
            except AuthError as error:
                replaced = True
                await render(error)(scope, receive, send)
                return
        await send(message)

    return settling_send
