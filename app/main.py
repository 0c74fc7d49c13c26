"""The application factory. `app.main:app` is what uvicorn serves, built from the environment on first use."""

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache
from typing import Any

from fastapi import FastAPI

from app import __version__
from app.api import middleware
from app.api.asgi import PathTree
from app.api.handlers import install_error_handlers
from app.api.openapi import install_openapi
from app.api.ratelimit import RateLimits
from app.api.routes import endpoints, forward, frontend, sessions
from app.api.table import install
from app.config import Settings
from app.lifespan import lifespan_for
from app.observability import gc_pauses
from app.observability.logs import configure_logging
from app.stores.base import Store

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]
DESCRIPTION = """Sign-In with Ethereum (EIP-4361): a challenge with a single-use nonce, a signed message traded
for a JWT access token (validated by anyone with the JWKS) and an opaque refresh token.
Every error is `{"error": code, "detail": text}`."""


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The application; `store`, when given, replaces the one AUTH_REDIS_URL names (embedding, tests)."""
    settings = settings or Settings()
    app = FastAPI(
        title="web3-auth",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan_for(settings, store),
        # FastAPI's native OpenTelemetry looks for a configured provider at every request (~8 us of three
        # environment reads); the service's own metrics and logs are app.api.middleware.telemetry's
        telemetry={"tracing": False, "metrics": False, "logs": False},
        redirect_slashes=False,  # Starlette's redirect would build its Location from the Host header
    )
    table = app.state.route_table = endpoints(demo=settings.demo)
    install(app, table)
    install_error_handlers(app)
    install_openapi(app)
    # forward-auth, at /auth/forward and under it (Envoy's ext_authz appends the original path)
    forward_auth = PathTree((forward.FORWARD_PATH,))
    app.state.rate_limits = RateLimits(
        settings,
        # forward-auth answers for every API call a proxy guards; the client module is a static file
        unlimited_paths=forward_auth.including((frontend.CLIENT_PATH,)),
        introspect_path=sessions.INTROSPECT_PATH,
        per_ip_with_store=frozenset(endpoint.path for endpoint in table if endpoint.per_ip_with_store),
    )
    middleware.stack(
        app,
        table,
        rate_limits=app.state.rate_limits,
        cors_origins=settings.cors_origins,
        store_seconds=settings.redis_timeout,
        unread_bodies=forward_auth,
        not_cors=forward_auth,  # it answers proxies
        api_paths=forward_auth.including(app.openapi()["paths"]),
    )
    return app


def create_served_app() -> FastAPI:
    """What `python -m app` serves (in each worker): logging as configured, then the app."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    app.router.lifespan_context = _frozen_once_started(app.router.lifespan_context)
    gc_pauses.install()  # collections' durations at /metrics, from here on
    return app


def _frozen_once_started(lifespan: Lifespan) -> Lifespan:
    """The lifespan, and once it has started, what exists then (the modules, the app, the stores and their
    containers) out of the collector's sight: a full collection walks only what requests created, not the
    stores' dictionaries of every live session and rate window (~70 ns a reference: 10 ms at 150,000)."""

    @asynccontextmanager
    async def frozen(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            gc.collect()
            gc.freeze()
            yield state

    return frozen


@cache
def _app_from_environment() -> FastAPI:
    return create_app()


def __getattr__(name: str) -> FastAPI:
    # `app` is built lazily, so importing this module never reads (or fails on) AUTH_* variables.
    if name == "app":
        return _app_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
