"""/auth/refresh, /auth/logout and /auth/introspect: the life of a session after sign-in."""

import time
from typing import Annotated

from fastapi import Depends, Form, Request, Response, status

from app.api.asgi import services_of
from app.api.credentials import bearer_token, presents
from app.api.handlers import error_responses
from app.api.openapi import ACCESS_TOKEN_OR_BODY, INTROSPECTION_CALLER, NOT_CACHED, SESSION_LINKS
from app.api.schemas import NO_STORE, Introspection, LogoutRequest, RefreshRequest, TokenResponse, no_store_json
from app.api.table import Routes
from app.domain import sessions
from app.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidToken,
    MalformedRequest,
    MissingToken,
    PayloadTooLarge,
    RateLimited,
    RefreshReused,
    StoreUnavailable,
)

routes = Routes(prefix="/auth", tags=["sessions"])
INTROSPECT_PATH = "/auth/introspect"


@routes.post(
    "/refresh",
    direct=True,
    per_ip_with_store=True,
    response_model=TokenResponse,
    summary="Trade a refresh token for new tokens; the presented one is rotated out",
    responses={
        200: {"description": "New tokens.", "links": SESSION_LINKS, **NOT_CACHED},
        **error_responses(
            InvalidGrant,
            RefreshReused,
            InvalidRequest,
            MalformedRequest,
            PayloadTooLarge,
            RateLimited,
            StoreUnavailable,
        ),
    },
)
async def refresh(body: RefreshRequest, request: Request) -> Response:
    services = services_of(request.scope)
    grant = await sessions.refresh(
        services.store, services.tokens, services.policies.sessions, refresh_token=body.refresh_token, now=time.time()
    )
    return no_store_json(TokenResponse.from_grant(grant))


@routes.post(
    "/logout",
    direct=True,
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the session: with `Authorization: Bearer <access token>`, or a body {refresh_token}",
    responses={
        204: {"description": "The session is revoked.", **NOT_CACHED},
        **error_responses(
            InvalidToken,
            InvalidGrant,
            InvalidRequest,
            MalformedRequest,
            PayloadTooLarge,
            RateLimited,
            StoreUnavailable,
        ),
    },
    openapi_extra=ACCESS_TOKEN_OR_BODY,
)
async def logout(request: Request, body: LogoutRequest | None = None) -> Response:
    services = services_of(request.scope)
    access_token = bearer_token(request)
    if access_token is not None:
        await sessions.log_out(
            services.store, services.tokens, services.policies.sessions, access_token=access_token, now=time.time()
        )
    elif body is not None:
        await sessions.log_out_with_refresh_token(
            services.store, services.policies.sessions, refresh_token=body.refresh_token
        )
    else:
        raise MissingToken('send `Authorization: Bearer <access token>` or a body {"refresh_token": ...}')
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers=NO_STORE)


async def introspection_caller(request: Request) -> None:
    """When AUTH_INTROSPECT_TOKEN is set, callers must present it as a bearer credential (RFC 7662 §2.1)."""
    expected = services_of(request.scope).settings.introspect_token
    if expected is None:
        return
    if not presents(request.headers.get("authorization", ""), expected):
        raise InvalidClient()


@routes.post(
    "/introspect",
    response_model=Introspection,
    summary="RFC 7662 token introspection: is this access token active?",
    dependencies=[Depends(introspection_caller)],
    responses={
        200: {"description": "Whether the token is active, and its claims when it is.", **NOT_CACHED},
        **error_responses(
            InvalidClient, InvalidRequest, MalformedRequest, PayloadTooLarge, RateLimited, StoreUnavailable
        ),
    },
    openapi_extra=INTROSPECTION_CALLER,
)
async def introspect(
    token: Annotated[str, Form(max_length=8192)],
    request: Request,
    token_type_hint: Annotated[str | None, Form(max_length=64)] = None,  # noqa: ARG001
) -> Response:
    # token_type_hint is accepted and not needed: only access tokens can be active here (RFC 7662 §2.1).
    services = services_of(request.scope)
    claims = await sessions.introspect(services.store, services.tokens, token=token, now=time.time())
    if claims is None:
        return no_store_json(Introspection(active=False), exclude_none=True)
    answer = Introspection(
        active=True,
        sub=claims.subject,
        chain_id=claims.chain_id,
        sid=claims.session_id,
        domain=claims.domain,
        accounts=list(claims.accounts),
        recap=claims.recap,
        exp=claims.expires_at,
        iat=claims.issued_at,
        iss=services.settings.issuer,
        aud=claims.audience,
        token_type="Bearer",
    )
    return no_store_json(answer, exclude_none=True)
