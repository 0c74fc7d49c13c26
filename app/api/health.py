"""Liveness and readiness probes."""

from fastapi import APIRouter

from app.api.deps import ServicesDep
from app.api.handlers import error_responses
from app.api.schemas import Health, Readiness
from app.errors import StoreUnavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="200 while the process lives")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", summary="200 when the store answers", responses=error_responses(StoreUnavailable))
async def readyz(services: ServicesDep) -> Readiness:
    await services.store.ping()
    store = "redis" if services.settings.redis_url else "memory"
    return Readiness.model_validate({"status": "ready", "store": store, "rpc": services.nodes.status()})
