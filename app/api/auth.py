"""/auth/challenge, /auth/verify and /auth/me."""

import time

from fastapi import APIRouter, Request, Response

from app.api.deps import rate_limits_of, required_bearer_token, services_of
from app.api.handlers import error_responses
from app.api.json_bodies import BoundedJsonRoute
from app.api.openapi import ACCESS_TOKEN, NOT_CACHED, SESSION_LINKS, SIGN_IN_LINK
from app.api.ratelimit import ClientFailureBudget, WalletBudget
from app.api.schemas import (
    ChallengeRequest,
    ChallengeResponse,
    MeResponse,
    TokenResponse,
    VerifyRequest,
    no_store_json,
)
from app.domain.challenges import issue_challenge, rfc3339
from app.domain.sessions import active_claims
from app.domain.signin import Grant, SignInContext, sign_in, sign_in_with_address
from app.errors import (
    ChainNotAllowed,
    ChainNotOffered,
    DomainNotAllowed,
    DomainNotOffered,
    ExpiredMessage,
    InvalidMessage,
    InvalidNonce,
    InvalidRequest,
    InvalidSignature,
    InvalidToken,
    MalformedRequest,
    NotYetValid,
    PayloadTooLarge,
    RateLimited,
    RpcUnavailable,
    StoreFull,
    StoreUnavailable,
    UriNotAllowed,
    UriNotOffered,
)

router = APIRouter(prefix="/auth", tags=["sign-in"], route_class=BoundedJsonRoute)
ME_PATH = "/auth/me"


@router.post(
    "/challenge",
    response_model=ChallengeResponse,
    summary="Get an EIP-4361 message with a single-use nonce, to be signed by the wallet",
    responses={
        200: {"description": "The message to sign.", "links": SIGN_IN_LINK, **NOT_CACHED},
        **error_responses(
            InvalidRequest,
            MalformedRequest,
            DomainNotOffered,
            ChainNotOffered,
            UriNotOffered,
            PayloadTooLarge,
            RateLimited,
            StoreUnavailable,
        ),
    },
)
async def challenge(body: ChallengeRequest, request: Request) -> Response:
    services, rate_limits = services_of(request), rate_limits_of(request)
    client = rate_limits.client(request.scope)
    await rate_limits.spend(rate_limits.per_challenge, services.counter, body.address, client)
    issued = issue_challenge(
        services.settings,
        address=body.address,
        now=time.time(),
        client=client,
        chain_id=body.chain_id,
        domain=body.domain,
        uri=body.uri,
        statement=body.statement,
        resources=body.resources,
    )
    await services.store.save_challenge(issued.challenge)
    record = issued.challenge
    response = ChallengeResponse(
        message=record.message,
        nonce=record.nonce,
        address=record.address,
        chain_id=record.chain_id,
        domain=record.domain,
        issued_at=issued.issued_at,
        expiration_time=issued.expiration_time,
    )
    return no_store_json(response)


@router.post(
    "/verify",
    response_model=TokenResponse,
    summary="Trade a signed message for an access token and a refresh token",
    responses={
        200: {"description": "Signed in.", "links": SESSION_LINKS, **NOT_CACHED},
        **error_responses(
            InvalidMessage,
            DomainNotAllowed,
            ChainNotAllowed,
            UriNotAllowed,
            ExpiredMessage,
            NotYetValid,
            InvalidNonce,
            InvalidSignature,
            PayloadTooLarge,
            InvalidRequest,
            MalformedRequest,
            RateLimited,
            StoreUnavailable,
            StoreFull,
            RpcUnavailable,
        ),
    },
)
async def verify(body: VerifyRequest, request: Request) -> Response:
    services, rate_limits = services_of(request), rate_limits_of(request)
    client = rate_limits.client(request.scope)
    budget = WalletBudget(rate_limits, services.counter, client)
    failures = ClientFailureBudget(rate_limits, services.counter, client)
    context = SignInContext(services.store, services.tokens, services.settings, budget, services.signatures, failures)
    now = time.time()
    grant: Grant
    if body.message is not None:
        grant = await sign_in(context, message_text=body.message, signature=body.signature, now=now)
    else:
        assert body.address is not None  # the model requires one of the two
        grant = await sign_in_with_address(context, address=body.address, signature=body.signature, now=now)
    return no_store_json(TokenResponse.from_grant(grant))


@router.get(
    "/me",
    response_model=MeResponse,
    summary="Who the bearer of an access token is",
    responses={
        200: {"description": "The token's identity.", **NOT_CACHED},
        **error_responses(InvalidToken, RateLimited, StoreUnavailable),
    },
    openapi_extra=ACCESS_TOKEN,
)
async def me(request: Request) -> Response:
    services = services_of(request)
    claims = await active_claims(services.store, services.tokens, required_bearer_token(request), time.time())
    identity = MeResponse(
        address=claims.subject,
        chain_id=claims.chain_id,
        session_id=claims.session_id,
        domain=claims.domain,
        expires_at=rfc3339(claims.expires_at),
    )
    return no_store_json(identity)
