"""Every failure the service reports, as one exception tree.

Each class carries its HTTP status and the stable machine-readable `code` that clients see as
``{"error": code, "detail": text}``. One exception handler renders them all (see app.api.handlers).

    AuthError
    ├── InvalidRequest          422 invalid_request       the body or query does not fit the schema
    │   └── MalformedRequest    400 invalid_request       ...or cannot even be read (a bad header, bad framing)
    ├── PayloadTooLarge         413 payload_too_large     a request body over the size limit
    ├── RequestTimeout          408 request_timeout       headers or body not sent in time (the HTTP server)
    ├── UrlTooLong              414 url_too_long          a request line over the HTTP server's cap
    ├── HeadersTooLarge         431 headers_too_large     a header line, or all of them, over the server's cap
    ├── InvalidMessage          400 invalid_message       not an EIP-4361 message, by its ABNF (or its ReCap, EIP-5573)
    ├── InvalidBatch            400 invalid_batch         messages of one sign-in with several nonces, addresses...
    ├── LastAccount             400 last_account          removing the one account a session has (sign out instead)
    ├── DomainNotAllowed        401 domain_not_allowed    the message names a domain/scheme we do not serve
    │   └── DomainNotOffered    400 domain_not_allowed    ...asked for when requesting a challenge
    ├── ChainNotAllowed         401 chain_not_allowed     the message names a chain we do not accept
    │   └── ChainNotOffered     400 chain_not_allowed     ...asked for when requesting a challenge
    ├── UriNotAllowed           401 uri_not_allowed       the message's URI is not on its domain nor in AUTH_URIS
    │   └── UriNotOffered       400 uri_not_allowed       ...asked for when requesting a challenge
    ├── ExpiredMessage          401 expired_message       past its Expiration Time, or that is too far after Issued At
    ├── NotYetValid             401 not_yet_valid         before its Not Before, or issued in the future
    ├── InvalidNonce            401 invalid_nonce         nonce unknown, expired, used, or bound elsewhere
    ├── InvalidSignature        401 invalid_signature     the signature is not the address's
    ├── InvalidToken            401 invalid_token         a bearer token that is not valid
    │   └── MissingToken        401 invalid_token         ...or no bearer token at all
    ├── InvalidGrant            401 invalid_grant         a refresh token that is unknown, expired or revoked
    ├── RefreshReused           401 refresh_reused        a rotated refresh token again: the session is revoked
    ├── InvalidClient           401 invalid_client        introspection without the caller credential
    ├── RateLimited             429 rate_limited          over a per-IP or per-wallet limit; Retry-After says when
    ├── NotFound                404 not_found             no such route
    ├── UnknownAccount          404 unknown_account       not an account of the token's session
    ├── MethodNotAllowed        405 method_not_allowed    the route exists, the method does not
    ├── StoreUnavailable        503 store_unavailable     the nonce/session store did not answer
    ├── StoreFull               503 store_full            the store holds AUTH_MAX_SESSIONS live sessions
    ├── RpcUnavailable          503 rpc_unavailable       no Ethereum node answered (contract wallets only)
    ├── ShuttingDown            503 shutting_down         /readyz once a stop signal arrived
    ├── TooManyConnections      503 too_many_connections  a worker at its connection cap (the HTTP server)
    └── InternalError           500 internal_error        a bug: never raised on purpose

This module is a leaf: it imports nothing from the application.
"""

import math
from typing import ClassVar


def shown(value: object, limit: int = 40) -> str:
    """A value quoted for an error detail, cut short: details stay small whatever the input."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


class AuthError(Exception):
    """Base class: a failure with an HTTP status, a stable code and a human-readable detail."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_detail: ClassVar[str] = "Internal error."
    header_docs: ClassVar[dict[str, str]] = {}  # the headers it always carries, for the OpenAPI schema

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        super().__init__(self.detail)


class InvalidRequest(AuthError):
    status = 422
    code = "invalid_request"
    default_detail = "The request does not match the schema."


class MalformedRequest(InvalidRequest):
    status = 400


class PayloadTooLarge(AuthError):
    status = 413
    code = "payload_too_large"
    default_detail = "The request body is too large."


class RequestTimeout(AuthError):
    status = 408
    code = "request_timeout"
    default_detail = "The request was not sent in time."


class UrlTooLong(AuthError):
    status = 414
    code = "url_too_long"
    default_detail = "The request line is too long."


class HeadersTooLarge(AuthError):
    status = 431
    code = "headers_too_large"
    default_detail = "The request headers are too large."


class InvalidMessage(AuthError):
    status = 400
    code = "invalid_message"
    default_detail = "The message is not a valid EIP-4361 message."


class InvalidBatch(AuthError):
    status = 400
    code = "invalid_batch"
    default_detail = "The messages of one sign-in must share one nonce and one address, one message per chain."


class LastAccount(AuthError):
    status = 400
    code = "last_account"
    default_detail = "This is the session's only account: sign out instead (POST /auth/logout)."


class DomainNotAllowed(AuthError):
    status = 401
    code = "domain_not_allowed"
    default_detail = "The message's domain is not one this service signs in for."


class DomainNotOffered(DomainNotAllowed):
    status = 400


class ChainNotAllowed(AuthError):
    status = 401
    code = "chain_not_allowed"
    default_detail = "The message's chain id is not accepted here."


class ChainNotOffered(ChainNotAllowed):
    status = 400


class UriNotAllowed(AuthError):
    status = 401
    code = "uri_not_allowed"
    default_detail = "The message's URI is neither on its domain nor admitted by AUTH_URIS."


class UriNotOffered(UriNotAllowed):
    status = 400


class ExpiredMessage(AuthError):
    status = 401
    code = "expired_message"
    default_detail = "The message has expired."


class NotYetValid(AuthError):
    status = 401
    code = "not_yet_valid"
    default_detail = "The message is not valid yet."


class InvalidNonce(AuthError):
    status = 401
    code = "invalid_nonce"
    default_detail = "The nonce is unknown, expired, already used, or was issued for another sign-in."


class InvalidSignature(AuthError):
    status = 401
    code = "invalid_signature"
    default_detail = "The signature was not made by the message's address."


class InvalidToken(AuthError):
    status = 401
    code = "invalid_token"
    default_detail = "The access token is malformed, expired or revoked."
    www_authenticate: ClassVar[str] = 'Bearer error="invalid_token"'
    header_docs: ClassVar[dict[str, str]] = {
        "WWW-Authenticate": '`Bearer error="invalid_token"` (RFC 6750 §3.1); `Bearer` alone when the request '
        "carried no token at all (everywhere but /auth/forward).",
    }

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": self.www_authenticate})


class MissingToken(InvalidToken):
    """RFC 6750 §3.1: a request without credentials gets a challenge without an error code."""

    default_detail = "Send the access token as `Authorization: Bearer <token>`."
    www_authenticate = "Bearer"


class InvalidGrant(AuthError):
    status = 401
    code = "invalid_grant"
    default_detail = "The refresh token is unknown, expired or revoked."


class RefreshReused(AuthError):
    status = 401
    code = "refresh_reused"
    default_detail = "This refresh token was already used: the whole session has been revoked. Sign in again."


class InvalidClient(AuthError):
    status = 401
    code = "invalid_client"
    default_detail = "Introspection needs the caller credential: Authorization: Bearer <AUTH_INTROSPECT_TOKEN>."
    header_docs: ClassVar[dict[str, str]] = {
        "WWW-Authenticate": '`Bearer realm="introspection"`: send AUTH_INTROSPECT_TOKEN as the bearer credential.',
    }

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="introspection"'})


class RateLimited(AuthError):
    """Over a limit. The headers say which and when to come back: Retry-After, the IETF draft's RateLimit-*
    (seconds until reset) and the X-RateLimit-* that slowapi and most proxies use (reset as a Unix time)."""

    status = 429
    code = "rate_limited"
    default_detail = "Too many requests."
    header_docs: ClassVar[dict[str, str]] = {
        "Retry-After": "Seconds until a request can succeed.",
        "RateLimit-Limit": "Requests the exceeded limit admits per window.",
        "RateLimit-Remaining": "Requests left in the window (0).",
        "RateLimit-Reset": "Seconds until the window admits a request again.",
        "RateLimit-Policy": "The exceeded limit, as `<requests>;w=<window seconds>`.",
        "X-RateLimit-Limit": "As RateLimit-Limit.",
        "X-RateLimit-Remaining": "As RateLimit-Remaining.",
        "X-RateLimit-Reset": "When the window admits a request again, as a Unix time.",
    }

    def __init__(self, detail: str, *, limit: int, window: int, remaining: int, reset_at: float, now: float) -> None:
        retry_after = str(max(1, math.ceil(reset_at - now)))
        headers = {
            "Retry-After": retry_after,
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": retry_after,
            "RateLimit-Policy": f"{limit};w={window}",
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(math.ceil(reset_at)),
        }
        super().__init__(detail, headers=headers)


class NotFound(AuthError):
    status = 404
    code = "not_found"
    default_detail = "Not found."


class OidcOff(NotFound):
    default_detail = "The OpenID Connect provider is off: AUTH_OIDC_CLIENTS_FILE turns it on."


class RedirectUriNotSigned(AuthError):
    status = 401
    code = "redirect_uri_not_signed"
    default_detail = "The signed message must list the authorization's redirect_uri among its Resources."


class AccountsFixed(AuthError):
    status = 400
    code = "accounts_fixed"
    default_detail = (
        "The session was opened for an OpenID Connect client, whose ID tokens name its account: it keeps its accounts."
    )


class UnknownAccount(AuthError):
    status = 404
    code = "unknown_account"
    default_detail = "This session has no such account."


class MethodNotAllowed(AuthError):
    status = 405
    code = "method_not_allowed"
    default_detail = "Method not allowed."


class _TryAgainShortly(AuthError):
    """A 503 that passes: every such answer says when to come back (Retry-After: 1)."""

    status = 503
    header_docs: ClassVar[dict[str, str]] = {"Retry-After": "Seconds to wait before trying again."}

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "1"})


class StoreUnavailable(_TryAgainShortly):
    code = "store_unavailable"
    default_detail = "The session store is unavailable; try again shortly."


class StoreFull(AuthError):
    """At the ceiling of live sessions (AUTH_MAX_SESSIONS). Not a _TryAgainShortly: sessions free up as they
    end, which takes minutes rather than a second, so clients are told to come back later than that."""

    status = 503
    code = "store_full"
    default_detail = "The service holds as many sessions as it may; try again later."
    retry_after = 60
    header_docs: ClassVar[dict[str, str]] = {"Retry-After": f"Seconds to wait before trying again ({retry_after})."}

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(self.retry_after)})


class RpcUnavailable(_TryAgainShortly):
    code = "rpc_unavailable"
    default_detail = "No Ethereum node answered in time; try again shortly."


class ShuttingDown(AuthError):
    status = 503
    code = "shutting_down"
    default_detail = "The process is draining its last requests before it stops."


class TooManyConnections(_TryAgainShortly):
    code = "too_many_connections"
    default_detail = "The server has as many connections open as it takes; try again shortly."


class InternalError(AuthError):
    pass
