"""What the routes need from a request: the lifespan's services, the rate limits, the bearer token."""

from typing import Annotated

from fastapi import Depends, Request

from app.api.credentials import bearer_of
from app.api.ratelimit import RateLimits
from app.errors import MissingToken
from app.lifespan import Services


def services_of(request: Request) -> Services:
    services: Services = request.state.services
    return services


async def get_services(request: Request) -> Services:
    return services_of(request)


def bearer_token(request: Request) -> str | None:
    """The request's bearer token (app.api.credentials), or None."""
    return bearer_of(request.headers.get("authorization", ""))


def required_bearer_token(request: Request) -> str:
    token = bearer_token(request)
    if token is None:
        raise MissingToken()
    return token


def rate_limits_of(request: Request) -> RateLimits:
    rate_limits: RateLimits = request.app.state.rate_limits
    return rate_limits


# The hot endpoints take only `request` and call the functions above: each FastAPI dependency costs
# microseconds per request. The others declare this one.
ServicesDep = Annotated[Services, Depends(get_services)]
