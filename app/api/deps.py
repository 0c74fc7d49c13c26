"""Dependencies the routes declare, read from the lifespan's state."""

from typing import Annotated

from fastapi import Depends, Request

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


ServicesDep = Annotated[Services, Depends(get_services)]
BearerDep = Annotated[str, Depends(get_bearer_token)]
