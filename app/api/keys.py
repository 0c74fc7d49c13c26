"""The public keys that validate our access tokens (RFC 7517 JWK Set)."""

from typing import Any

from fastapi import APIRouter

from app.api.deps import ServicesDep
from app.api.schemas import Jwks

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json", summary="Public keys for validating access tokens", response_model=Jwks)
async def jwks(services: ServicesDep) -> dict[str, Any]:
    return services.keys.jwks()
