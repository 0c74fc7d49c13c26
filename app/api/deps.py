"""Dependencies the routes declare, read from the lifespan's state."""

from typing import Annotated

from fastapi import Depends, Request

from app.api.ratelimit import RateLimits, WalletBudget
from app.errors import MissingToken
from app.lifespan import Services


async def get_services(request: Request) -> Services:
    services: Services = request.state.services
    return services


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1; the scheme is
    case-insensitive), or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def get_bearer_token(request: Request) -> str:
    token = bearer_token(request)
    if token is None:
        raise MissingToken()
    return token


async def get_rate_limits(request: Request) -> RateLimits:
    rate_limits: RateLimits = request.app.state.rate_limits
    return rate_limits


async def get_wallet_budget(request: Request) -> WalletBudget:
    services: Services = request.state.services
    return WalletBudget(request.app.state.rate_limits, services.counter)


ServicesDep = Annotated[Services, Depends(get_services)]
RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]
WalletBudgetDep = Annotated[WalletBudget, Depends(get_wallet_budget)]
BearerDep = Annotated[str, Depends(get_bearer_token)]
