"""/auth/challenge, /auth/nonce, /auth/verify, /auth/accounts and /auth/me."""

import time
from typing import Annotated

from fastapi import Depends, Request, Response

from app.api.asgi import services_of
from app.api.credentials import required_bearer_token
from app.api.handlers import error_responses
from app.api.openapi import ACCESS_TOKEN, NOT_CACHED, SESSION_LINKS, SIGN_IN_LINK
from app.api.ratelimit import ClientFailureBudget, WalletBudget, rate_limits_of
from app.api.schemas import (
    AccountsRequest,
    AccountsResponse,
    ChallengeRequest,
    ChallengeResponse,
    MeResponse,
    NonceRequest,
    NonceResponse,
    TokenResponse,
    VerifyRequest,
    no_store_json,
)
from app.api.table import Routes
from app.domain.cacao import cacao_message
from app.domain.challenges import issue_challenge, issue_nonce, rfc3339
from app.domain.sessions import active_claims
from app.domain.signin import (
    Grant,
    SignInContext,
    add_accounts,
    remove_account,
    sign_in_batch,
    sign_in_with_address,
)
from app.errors import (
    ChainNotAllowed,
    ChainNotOffered,
    DomainNotAllowed,
    DomainNotOffered,
    ExpiredMessage,
    InvalidBatch,
    InvalidMessage,
    InvalidNonce,
    InvalidRequest,
    InvalidSignature,
    InvalidToken,
    LastAccount,
    MalformedRequest,
    NotYetValid,
    PayloadTooLarge,
    RateLimited,
    RpcUnavailable,
    StoreFull,
    StoreUnavailable,
    UnknownAccount,
    UriNotAllowed,
    UriNotOffered,
)

ACCOUNTS_CHANGED = {"description": "The session's accounts now, and an access token that carries them.", **NOT_CACHED}
# a dependency, so that a request without the token is 401 whatever its body (which is read after)
BearerToken = Annotated[str, Depends(required_bearer_token)]
routes = Routes(prefix="/auth", tags=["sign-in"])
# What a request carrying signed messages may be answered (/auth/verify, /auth/accounts)
SIGNED_MESSAGE_ERRORS = (
    InvalidMessage,
    DomainNotAllowed,
    ChainNotAllowed,
    UriNotAllowed,
    ExpiredMessage,
    NotYetValid,
    InvalidNonce,
    InvalidSignature,
    InvalidBatch,
    PayloadTooLarge,
    InvalidRequest,
    MalformedRequest,
    RateLimited,
    StoreUnavailable,
)


@routes.post(
    "/challenge",
    direct=True,
    per_ip_with_store=True,
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
    services, rate_limits = services_of(request.scope), rate_limits_of(request.scope)
    client = rate_limits.client(request.scope)
    await rate_limits.spend(rate_limits.per_challenge, services.counter, body.address, client)
    issued = issue_challenge(
        services.policies.sign_in,
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


@routes.post(
    "/nonce",
    direct=True,
    per_ip_with_store=True,
    response_model=NonceResponse,
    summary="Get a single-use nonce before the address is known, for a message the client writes (One-Click Auth)",
    responses={
        200: {"description": "The nonce, and what a message carrying it must name.", **NOT_CACHED},
        **error_responses(
            InvalidRequest, MalformedRequest, DomainNotOffered, PayloadTooLarge, RateLimited, StoreUnavailable
        ),
    },
)
async def nonce(body: NonceRequest, request: Request) -> Response:
    services, rate_limits = services_of(request.scope), rate_limits_of(request.scope)
    client = rate_limits.client(request.scope)
    await rate_limits.spend(rate_limits.per_nonce, services.counter, client)
    settings = services.settings
    issued = issue_nonce(services.policies.sign_in, now=time.time(), client=client, domain=body.domain)
    await services.store.save_challenge(issued.challenge)
    response = NonceResponse(
        nonce=issued.challenge.nonce,
        domain=issued.challenge.domain,
        uri=issued.uri,
        statement=settings.statement,
        chain_ids=settings.chain_ids,
        issued_at=issued.issued_at,
        expiration_time=issued.expiration_time,
    )
    return no_store_json(response)


def signed_entries(body: VerifyRequest | AccountsRequest) -> list[tuple[str, str]]:
    """The (text, signature) pairs of a request's signed messages, whichever form it sent them in (not the
    address form of /auth/verify)."""
    if body.message is not None and body.signature is not None:
        return [(body.message, body.signature)]
    if body.messages is not None:
        return [(entry.message, entry.signature) for entry in body.messages]
    assert body.cacaos is not None  # the models require one of the forms
    return [cacao_message(cacao.model_dump(exclude_none=True)) for cacao in body.cacaos]


def sign_in_context(request: Request) -> SignInContext:
    services, rate_limits = services_of(request.scope), rate_limits_of(request.scope)
    client = rate_limits.client(request.scope)
    budget = WalletBudget(rate_limits, services.counter, client)
    failures = ClientFailureBudget(rate_limits, services.counter, client)
    policies = services.policies
    return SignInContext(
        services.store, services.tokens, policies.sign_in, policies.sessions, budget, services.signatures, failures
    )


@routes.post(
    "/verify",
    direct=True,
    per_ip_with_store=True,
    response_model=TokenResponse,
    summary="Trade a signed message for an access token and a refresh token",
    responses={
        200: {"description": "Signed in.", "links": SESSION_LINKS, **NOT_CACHED},
        **error_responses(*SIGNED_MESSAGE_ERRORS, StoreFull, RpcUnavailable),
    },
)
async def verify(body: VerifyRequest, request: Request) -> Response:
    context, now = sign_in_context(request), time.time()
    grant: Grant
    if body.address is not None and body.signature is not None:
        grant = await sign_in_with_address(context, address=body.address, signature=body.signature, now=now)
    else:
        grant = await sign_in_batch(context, signed_entries(body), now=now)
    return no_store_json(TokenResponse.from_grant(grant))


@routes.post(
    "/accounts",
    response_model=AccountsResponse,
    summary="Add chains to the bearer's session: messages of its address signed over a fresh nonce",
    responses={
        200: ACCOUNTS_CHANGED,
        **error_responses(InvalidToken, *SIGNED_MESSAGE_ERRORS, RpcUnavailable),
    },
    openapi_extra=ACCESS_TOKEN,
)
async def add_session_accounts(body: AccountsRequest, request: Request, token: BearerToken) -> Response:
    context, now = sign_in_context(request), time.time()
    claims = await active_claims(context.store, context.tokens, token, now)
    granted = await add_accounts(context, claims.session_id, signed_entries(body), now=now)
    return no_store_json(AccountsResponse.from_grant(granted))


@routes.delete(
    "/accounts/{account}",
    response_model=AccountsResponse,
    summary="Take one account (a chain) out of the bearer's session",
    responses={
        200: ACCOUNTS_CHANGED,
        **error_responses(InvalidToken, UnknownAccount, LastAccount, InvalidRequest, RateLimited, StoreUnavailable),
    },
    openapi_extra=ACCESS_TOKEN,
)
async def remove_session_account(account: str, request: Request, token: BearerToken) -> Response:
    services, now = services_of(request.scope), time.time()
    claims = await active_claims(services.store, services.tokens, token, now)
    granted = await remove_account(services.store, services.tokens, claims.session_id, account, now=now)
    return no_store_json(AccountsResponse.from_grant(granted))


@routes.get(
    "/me",
    direct=True,
    response_model=MeResponse,
    summary="Who the bearer of an access token is",
    responses={
        200: {"description": "The token's identity.", **NOT_CACHED},
        **error_responses(InvalidToken, RateLimited, StoreUnavailable),
    },
    openapi_extra=ACCESS_TOKEN,
)
async def me(request: Request) -> Response:
    services = services_of(request.scope)
    claims = await active_claims(services.store, services.tokens, required_bearer_token(request), time.time())
    identity = MeResponse(
        address=claims.subject,
        chain_id=claims.chain_id,
        session_id=claims.session_id,
        domain=claims.domain,
        accounts=list(claims.accounts),
        recap=claims.recap,
        expires_at=rfc3339(claims.expires_at),
    )
    return no_store_json(identity)
