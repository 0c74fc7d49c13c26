"""The middleware around every request, each a pure ASGI class of its own module, stacked by `stack`."""

from collections.abc import Iterable

from fastapi import FastAPI

from app.api.asgi import PathTree
from app.api.dispatch import DispatchTable
from app.api.middleware.body_size import BodySizeLimit
from app.api.middleware.cors import install_cors
from app.api.middleware.rate_limit import PerClientLimit
from app.api.middleware.store_deadline import StoreDeadline
from app.api.middleware.telemetry import RequestTelemetry
from app.api.ratelimit import RateLimits
from app.api.table import Endpoint


def stack(
    app: FastAPI,
    endpoints: Iterable[Endpoint],
    *,
    rate_limits: RateLimits,
    cors_origins: list[str],
    store_seconds: float,
    unread_bodies: PathTree,
    not_cors: PathTree,
    api_paths: PathTree,
) -> None:
    """From the outside in, a request meets:
    1. telemetry: its id, its log line and metrics, around everything (a 429 or a 413 is logged too);
    2. CORS (only with AUTH_CORS_ORIGINS; never on `not_cors`): refusals below carry its headers too;
    3. the store deadline: one time budget for every store call of the request;
    4. the per-client limit, before anything reads the body (on one Redis server, for the sign-in endpoints,
       with their first store operation: app.api.middleware.rate_limit);
    5. the body size limit (except on `unread_bodies`, which never read theirs);
    6. the direct endpoints of the route table (app.api.dispatch); then FastAPI's router for the others.
    """
    # Starlette runs the middleware added last first: added here from the inside out.
    app.add_middleware(DispatchTable, endpoints=list(endpoints))
    app.add_middleware(BodySizeLimit, exempt=unread_bodies)
    app.add_middleware(PerClientLimit, rate_limits=rate_limits)
    app.add_middleware(StoreDeadline, seconds=store_seconds)
    install_cors(app, cors_origins, exempt=not_cors)
    app.add_middleware(RequestTelemetry, client_of=rate_limits.client, paths=api_paths)
