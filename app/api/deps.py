"""Dependencies the routes declare, read from the lifespan's state."""

from typing import Annotated

from fastapi import Depends, Request

from app.errors import MissingToken
from app.lifespan import Services


async def get_services(request: Request) -> Services:
    services: Services = request.state.services
    return services


async def get_bearer_token(request: Request) -> str:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1); the scheme is case-insensitive."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise MissingToken()
    return token


ServicesDep = Annotated[Services, Depends(get_services)]
BearerDep = Annotated[str, Depends(get_bearer_token)]
