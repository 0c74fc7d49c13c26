"""Liveness and readiness probes."""

from fastapi import Request

from app.api.asgi import services_of
from app.api.handlers import error_responses
from app.api.schemas import Health, Readiness
from app.api.table import Routes
from app.errors import ShuttingDown, StoreUnavailable
from app.lifecycle import draining

routes = Routes(tags=["operations"])


@routes.get("/healthz", summary="200 while the process lives")
async def healthz() -> Health:
    return Health(status="ok")


@routes.get(
    "/readyz",
    summary="200 when the store answers and no stop signal arrived",
    responses=error_responses(StoreUnavailable, ShuttingDown),
)
async def readyz(request: Request) -> Readiness:
    services = services_of(request.scope)
    if draining:
        raise ShuttingDown()
    await services.store.ping()
    store = "redis" if services.settings.redis_url else "memory"
    return Readiness.model_validate({"status": "ready", "store": store, "rpc": services.nodes.status()})
