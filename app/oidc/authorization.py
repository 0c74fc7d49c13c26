"""The authorization request (OpenID Connect Core 3.1.2.1-3.1.2.2, RFC 6749 §4.1.1, PKCE: RFC 7636 §4.3) and
the authorization responses (RFC 6749 §4.1.2 and §4.1.2.1, OpenID Connect Core 3.1.2.5-3.1.2.6), each with
the issuer's `iss` (RFC 9207).

A request fails in one of two ways. When its client_id or redirect_uri cannot be trusted (missing, unknown,
given twice, or a redirect_uri that is not, character for character, one the client registered), nothing may
be redirected (RFC 6749 §4.1.2.1): UnsafeRedirect, which the endpoint answers with a 400 page. Anything else
is an AuthorizationError, redirected to that registered redirect_uri (error_redirect).

Parameters sent without a value are treated as omitted, unknown parameters are ignored, and a known one
given twice is invalid_request (RFC 6749 §3.1). To see a parameter given twice, pass every occurrence: an
iterable of (name, value) pairs, or an object with `multi_items()` (starlette's QueryParams and FormData); a
plain Mapping cannot hold two.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import urlencode

from app.oidc.clients import ClientRegistry, OidcClient

AuthorizationErrorCode = Literal[
    "invalid_request",
    "unsupported_response_type",
    "invalid_scope",
    "login_required",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
]

RESPONSE_TYPE = "code"  # the authorization code flow only
RESPONSE_MODE: Literal["query"] = "query"
CODE_CHALLENGE_METHOD: Literal["S256"] = "S256"  # `plain` (OAuth's default when the method is omitted) is refused
MAX_STATE = 1024
MAX_NONCE = 512
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
# RFC 7636 §4.2: code-challenge = 43*128unreserved
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_MAX_AGE = re.compile(r"[0-9]{1,10}")
# RFC 6749 §4.1.2.1: error_description holds %x20-21 / %x23-5B / %x5D-7E only
_NOT_IN_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
# OpenID Connect Core 3.1.2.6: request objects and registration by parameter are not supported
_UNSUPPORTED: dict[str, AuthorizationErrorCode] = {
    "request": "request_not_supported",
    "request_uri": "request_uri_not_supported",
    "registration": "registration_not_supported",
}
# The parameters RFC 6749 §4.1.1, RFC 7636 §4.3 and OpenID Connect Core 3.1.2.1 define: these may not be given
# twice; others are ignored.
KNOWN_PARAMETERS = frozenset(
    {
        "response_type", "client_id", "redirect_uri", "scope", "state", "response_mode", "nonce", "display",
        "prompt", "max_age", "ui_locales", "id_token_hint", "login_hint", "acr_values", "claims_locales",
        "claims", "code_challenge", "code_challenge_method", *_UNSUPPORTED,
    }
)  # fmt: skip


@runtime_checkable
class MultiItems(Protocol):
    """Parameters that may hold a name more than once (starlette's QueryParams, FormData)."""

    def multi_items(self) -> Iterable[tuple[str, object]]: ...


Parameters = MultiItems | Mapping[str, str] | Iterable[tuple[str, str]]


class UnsafeRedirect(Exception):
    """The client or its redirect_uri cannot be trusted: answer a 400 page, redirect nowhere."""

    def __init__(self, detail: str, *, error: str = "invalid_request") -> None:
        super().__init__(detail)
        self.detail = detail
        self.error = error  # invalid_client for a client_id that is missing or unknown


class AuthorizationError(Exception):
    """A request to answer with an error at its (registered) redirect_uri: see error_redirect."""

    def __init__(self, error: AuthorizationErrorCode, description: str, redirect_uri: str, state: str | None) -> None:
        super().__init__(f"{error}: {description}")
        self.error: AuthorizationErrorCode = error
        self.description = _NOT_IN_DESCRIPTION.sub("?", description)
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A valid authorization request, for the sign-in page and, once signed, the code."""

    client: OidcClient
    redirect_uri: str  # exactly as registered
    scope: tuple[str, ...]  # contains "openid"; each allowed for the client; in the order asked, once each
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: Literal["S256"] | None  # S256 whenever code_challenge is given
    prompt: tuple[str, ...] = ()  # login, consent, select_account: every authorization is a fresh signature
    response_mode: Literal["query"] = RESPONSE_MODE
    max_age: int | None = None  # accepted as is: auth_time is always the signature's time


def parse_authorization_request(params: Parameters, registry: ClientRegistry) -> AuthorizationRequest:
    """The request these parameters make; raises UnsafeRedirect or AuthorizationError (see above)."""
    given = _occurrences(params)
    client_id = _trusted(given, "client_id", error="invalid_client")
    client = registry.get(client_id) if client_id is not None else None
    if client is None:
        raise UnsafeRedirect(
            "client_id is missing" if client_id is None else "unknown client_id", error="invalid_client"
        )
    redirect_uri = _trusted(given, "redirect_uri")
    if redirect_uri is None:
        raise UnsafeRedirect("redirect_uri is required")
    if redirect_uri not in client.redirect_uris:
        raise UnsafeRedirect("redirect_uri is not one this client registered (they are compared exactly)")

    states = given.get("state", [])
    state = states[0] if len(states) == 1 and isinstance(states[0], str) and len(states[0]) <= MAX_STATE else None

    def failure(error: AuthorizationErrorCode, description: str) -> AuthorizationError:
        return AuthorizationError(error, description, redirect_uri, state)

    if len(states) == 1 and state is None:  # not echoed: it could make the redirect too long to follow
        too_long = isinstance(states[0], str)
        raise failure(
            "invalid_request", f"state is longer than {MAX_STATE} characters" if too_long else "state is not text"
        )
    repeated = sorted(name for name, values in given.items() if len(values) > 1)
    if repeated:
        raise failure("invalid_request", f"given more than once: {', '.join(repeated)}")
    values: dict[str, str] = {}
    for name, (value,) in given.items():
        if not isinstance(value, str):
            raise failure("invalid_request", f"{name} is not text")
        values[name] = value

    response_type = values.get("response_type")
    if response_type is None:
        raise failure("invalid_request", "response_type is required")
    if response_type != RESPONSE_TYPE:
        raise failure("unsupported_response_type", "only response_type=code is supported")
    for name, error in _UNSUPPORTED.items():
        if name in values:
            raise failure(error, f"the {name} parameter is not supported")
    if values.get("response_mode", RESPONSE_MODE) != RESPONSE_MODE:
        raise failure("invalid_request", "only response_mode=query is supported")

    scope = tuple(dict.fromkeys(token for token in values.get("scope", "").split(" ") if token))
    if "openid" not in scope:
        raise failure("invalid_scope", "scope must contain openid")
    refused = [token for token in scope if token not in client.scopes]
    if refused:
        raise failure("invalid_scope", f"scope not allowed for this client: {' '.join(refused)}")

    code_challenge, method = values.get("code_challenge"), values.get("code_challenge_method")
    if code_challenge is None:
        if method is not None:
            raise failure("invalid_request", "code_challenge_method without code_challenge")
        if client.token_endpoint_auth_method == "none":
            raise failure("invalid_request", "code_challenge is required for a public client (PKCE, S256)")
    else:
        if method is None:
            raise failure("invalid_request", "code_challenge_method is required: only S256 is supported")
        if method != CODE_CHALLENGE_METHOD:
            raise failure("invalid_request", "code_challenge_method not supported: only S256")
        if not _CODE_CHALLENGE.fullmatch(code_challenge):
            raise failure("invalid_request", "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")

    nonce = values.get("nonce")
    if nonce is not None and len(nonce) > MAX_NONCE:
        raise failure("invalid_request", f"nonce is longer than {MAX_NONCE} characters")
    max_age = values.get("max_age")
    if max_age is not None and not _MAX_AGE.fullmatch(max_age):
        raise failure("invalid_request", "max_age must be a number of seconds")

    prompt = tuple(dict.fromkeys(token for token in values.get("prompt", "").split(" ") if token))
    unknown = [token for token in prompt if token not in PROMPTS]
    if unknown:
        raise failure("invalid_request", f"prompt value not supported: {' '.join(unknown)}")
    if "none" in prompt:
        if len(prompt) > 1:
            raise failure("invalid_request", "prompt=none cannot be combined with other values")
        raise failure("login_required", "every sign-in is a wallet signature: prompt=none cannot be honoured")

    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scope=scope,
        state=state,
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=CODE_CHALLENGE_METHOD if code_challenge is not None else None,
        prompt=prompt,
        max_age=int(max_age) if max_age is not None else None,
    )


def error_redirect(error: AuthorizationError, issuer: str) -> str:
    """Where to send the browser for this error (RFC 6749 §4.1.2.1): its redirect_uri with error,
    error_description, the request's state (when it had one) and iss."""
    params = [("error", error.error), ("error_description", error.description)]
    if error.state is not None:
        params.append(("state", error.state))
    return with_query(error.redirect_uri, [*params, ("iss", issuer)])


def code_redirect(request: AuthorizationRequest, code: str, issuer: str) -> str:
    """Where to send the browser with a code (RFC 6749 §4.1.2): the redirect_uri with code, state and iss."""
    params = [("code", code)]
    if request.state is not None:
        params.append(("state", request.state))
    return with_query(request.redirect_uri, [*params, ("iss", issuer)])


def with_query(uri: str, params: list[tuple[str, str]]) -> str:
    """`uri` with `params` (form-encoded, RFC 6749 Appendix B) added to its query, which it keeps
    (RFC 6749 §3.1.2); before a fragment, should it have one."""
    base, hash_mark, fragment = uri.partition("#")
    query = urlencode(params)
    if "?" not in base:
        base += "?"
    elif not base.endswith(("?", "&")):
        base += "&"
    return f"{base}{query}{hash_mark}{fragment}"


def _occurrences(params: Parameters) -> dict[str, list[object]]:
    """Every value given for each known parameter, empty ones left out (RFC 6749 §3.1)."""
    pairs: Iterable[tuple[str, object]]
    if isinstance(params, MultiItems):
        pairs = params.multi_items()
    elif isinstance(params, Mapping):
        pairs = params.items()
    else:
        pairs = params
    given: dict[str, list[object]] = {}
    for name, value in pairs:
        if name in KNOWN_PARAMETERS and value != "":
            given.setdefault(name, []).append(value)
    return given


def _trusted(given: Mapping[str, list[object]], name: str, *, error: str = "invalid_request") -> str | None:
    """The one value of a parameter that decides where a response may go; UnsafeRedirect when there is more
    than one, or it is not text."""
    values = given.get(name, [])
    if len(values) > 1:
        raise UnsafeRedirect(f"{name} is given more than once", error=error)
    if not values:
        return None
    if not isinstance(values[0], str):
        raise UnsafeRedirect(f"{name} is not text", error=error)
    return values[0]
