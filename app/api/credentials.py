"""Bearer credentials (RFC 6750 §2.1), read one way wherever they are checked: access tokens, and the
operators' secrets for introspection (AUTH_INTROSPECT_TOKEN) and metrics (AUTH_METRICS_TOKEN)."""

import hmac

from pydantic import SecretStr
from starlette.requests import Request

from app.errors import MissingToken


def bearer_of(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value (the scheme is case-insensitive), or None."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def presents(authorization: str, secret: SecretStr) -> bool:
    """Whether the header carries `secret` as its bearer token; compared in constant time."""
    presented = bearer_of(authorization) or ""
    return hmac.compare_digest(presented.encode(), secret.get_secret_value().encode())


def bearer_token(request: Request) -> str | None:
    """The request's bearer token, or None."""
    return bearer_of(request.headers.get("authorization", ""))


def required_bearer_token(request: Request) -> str:
    token = bearer_token(request)
    if token is None:
        raise MissingToken()
    return token
