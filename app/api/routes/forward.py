"""/auth/forward: forward-auth for nginx auth_request, Traefik ForwardAuth and Envoy ext_authz (HTTP).

Any method, and the body is never read. A valid access token of an open session -> 200 with the identity
in X-Auth-* headers; anything else -> 401 with `WWW-Authenticate: Bearer error="invalid_token"`; a store
outage -> 503, which proxies turn into a denial (fail closed). Nothing here may be cached.
"""

import time
from collections.abc import Callable

from fastapi import Request, Response

from app.api.asgi import services_of
from app.api.credentials import bearer_token
from app.api.handlers import error_responses
from app.api.openapi import ACCESS_TOKEN, documented_headers
from app.api.schemas import NO_STORE, NO_STORE_DOCS
from app.api.table import Routes
from app.domain.sessions import active_claims
from app.domain.tokens import AccessClaims
from app.errors import InvalidToken, StoreUnavailable

routes = Routes(prefix="/auth", tags=["forward-auth"])
FORWARD_PATH = "/auth/forward"
IDENTITY_HEADERS: dict[str, tuple[str, Callable[[AccessClaims], str]]] = {
    "X-Auth-Address": ("the EIP-55 address the token was issued to", lambda claims: claims.subject),
    "X-Auth-Chain-Id": ("the EIP-155 chain id of the sign-in", lambda claims: str(claims.chain_id)),
    "X-Auth-Session": ("the session id", lambda claims: claims.session_id),
    "X-Auth-Domain": ("the domain (of AUTH_DOMAINS) the sign-in was for", lambda claims: claims.domain),
    "X-Auth-Accounts": (
        "the session's CAIP-10 accounts, comma-separated (eip155:<chain id>:<address>)",
        lambda claims: ",".join(claims.accounts),
    ),
}


def _identity(claims: AccessClaims) -> dict[str, str]:
    return {name: value(claims) for name, (_, value) in IDENTITY_HEADERS.items()}


_ALLOWED_HEADER_DOCS = {**{name: text for name, (text, _) in IDENTITY_HEADERS.items()}, **NO_STORE_DOCS}


async def forward(request: Request) -> Response:
    token = bearer_token(request)
    if token is None:
        raise InvalidToken("send the access token as `Authorization: Bearer <token>`")
    services = services_of(request.scope)
    claims = await active_claims(services.store, services.tokens, token, time.time())
    return Response(status_code=200, headers={**_identity(claims), **NO_STORE})


routes.add(
    "/forward",
    forward,
    methods=None,  # any method: WebDAV's and a client's own verbs too (OpenAPI documents those it has)
    subtree=True,
    direct=True,
    operation_id="forward_auth",
    summary="Forward-auth: 200 with the identity in X-Auth-* headers for a valid access token, else 401",
    description=(
        "Every path under /auth/forward/ is answered the same way (Envoy's HTTP ext_authz appends the "
        "original path to its path_prefix). The body is never read."
    ),
    response_class=Response,
    openapi_extra=ACCESS_TOKEN,
    responses={
        200: {
            "description": "The token is valid; empty body.",
            "headers": documented_headers(_ALLOWED_HEADER_DOCS, required=_ALLOWED_HEADER_DOCS),
            "content": None,
        },
        **error_responses(InvalidToken, StoreUnavailable),
    },
)
