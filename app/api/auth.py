"""/auth/challenge, /auth/verify and /auth/me."""

import time

from fastapi import APIRouter, Request, Response

from app.api.deps import BearerDep, RateLimitsDep, ServicesDep, WalletBudgetDep
from app.api.handlers import error_responses
from app.api.openapi import ACCESS_TOKEN, SESSION_LINKS, SIGN_IN_LINK
from app.api.schemas import NO_STORE, ChallengeRequest, ChallengeResponse, MeResponse, TokenResponse, VerifyRequest
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
    StoreUnavailable,
)

router = APIRouter(prefix="/auth", tags=["sign-in"])


@router.post(
    "/challenge",
    summary="Get an EIP-4361 message with a single-use nonce, to be signed by the wallet",
    responses={
        200: {"description": "The message to sign.", "links": SIGN_IN_LINK},
        **error_responses(
            InvalidRequest,
            MalformedRequest,
            DomainNotOffered,
            ChainNotOffered,
            PayloadTooLarge,
            RateLimited,
            StoreUnavailable,
        ),
    },
)
async def challenge(
    body: ChallengeRequest, request: Request, services: ServicesDep, rate_limits: RateLimitsDep, response: Response
) -> ChallengeResponse:
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
    response.headers.update(NO_STORE)
    record = issued.challenge
    return ChallengeResponse(
        message=record.message,
        nonce=record.nonce,
        address=record.address,
        chain_id=record.chain_id,
        domain=record.domain,
        issued_at=issued.issued_at,
        expiration_time=issued.expiration_time,
    )


@router.post(
    "/verify",
    summary="Trade a signed message for an access token and a refresh token",
    responses={
        200: {"description": "Signed in.", "links": SESSION_LINKS},
        **error_responses(
            InvalidMessage,
            DomainNotAllowed,
            ChainNotAllowed,
            ExpiredMessage,
            NotYetValid,
            InvalidNonce,
            InvalidSignature,
            PayloadTooLarge,
            InvalidRequest,
            MalformedRequest,
            RateLimited,
            StoreUnavailable,
            RpcUnavailable,
        ),
    },
)
async def verify(
    body: VerifyRequest, services: ServicesDep, budget: WalletBudgetDep, response: Response
) -> TokenResponse:
    context = SignInContext(services.store, services.tokens, services.settings, budget, services.signatures)
    now = time.time()
    grant: Grant
    if body.message is not None:
        grant = await sign_in(context, message_text=body.message, signature=body.signature, now=now)
    else:
        assert body.address is not None  # the model requires one of the two
        grant = await sign_in_with_address(context, address=body.address, signature=body.signature, now=now)
    response.headers.update(NO_STORE)
    return TokenResponse.from_grant(grant)


@router.get(
    "/me",
    summary="Who the bearer of an access token is",
    responses=error_responses(InvalidToken, RateLimited, StoreUnavailable),
    openapi_extra=ACCESS_TOKEN,
)
async def me(token: BearerDep, services: ServicesDep, response: Response) -> MeResponse:
    claims = await active_claims(services.store, services.tokens, token, time.time())
    response.headers.update(NO_STORE)
    return MeResponse(
        address=claims.subject,
        chain_id=claims.chain_id,
        session_id=claims.session_id,
        expires_at=rfc3339(claims.expires_at),
    )
