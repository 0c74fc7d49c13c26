"""/auth/forward: forward-auth for nginx auth_request, Traefik ForwardAuth and Envoy ext_authz (HTTP).

Any method, and the body is never read. A valid access token of an open session -> 200 with the identity
in X-Auth-* headers; anything else -> 401 with `WWW-Authenticate: Bearer error="invalid_token"`; a store
outage -> 503, which proxies turn into a denial (fail closed).
"""

import time

from fastapi import APIRouter, Request, Response

from app.api.deps import ServicesDep, bearer_token
from app.api.handlers import error_responses
from app.api.schemas import NO_STORE
from app.domain.sessions import active_claims
from app.errors import InvalidToken, StoreUnavailable

router = APIRouter(prefix="/auth", tags=["forward-auth"])
FORWARD_PATH = "/auth/forward"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def forward(request: Request, services: ServicesDep) -> Response:
    token = bearer_token(request)
    if token is None:
        raise InvalidToken("send the access token as `Authorization: Bearer <token>`")
    claims = await active_claims(services.store, services.tokens, token, time.time())
    headers = {
        "X-Auth-Address": claims.subject,
        "X-Auth-Chain-Id": str(claims.chain_id),
        "X-Auth-Session": claims.session_id,
        **NO_STORE,
    }
    return Response(status_code=200, headers=headers)


_IDENTITY_HEADERS = {
    "X-Auth-Address": "The EIP-55 address the token was issued to.",
    "X-Auth-Chain-Id": "The EIP-155 chain id of the sign-in.",
    "X-Auth-Session": "The session id.",
}
for method in METHODS:  # one operation per method, so each has its own operationId
    router.add_api_route(
        "/forward",
        forward,
        methods=[method],
        operation_id=f"forward_auth_{method.lower()}",
        summary="Forward-auth: 200 with the identity in X-Auth-* headers for a valid access token, else 401",
        response_class=Response,
        responses={
            200: {
                "description": "The token is valid; empty body.",
                "headers": {
                    name: {"description": text, "schema": {"type": "string"}}
                    for name, text in _IDENTITY_HEADERS.items()
                },
                "content": None,
            },
            **error_responses(InvalidToken, StoreUnavailable),
        },
    )
