"""The token endpoint's logic (RFC 6749 §2.3.1, §3.2, §4.1.3, §5, §6; RFC 7636 §4.6; OpenID Connect Core 1.0
§3.1.3, §12), UserInfo (Core §5.3) and revocation (RFC 7009), over the session machinery of app.domain.

Sessions and refresh tokens. The authorization's completion runs the whole sign-in and opens the session there
and then (open_code_session): the sign-in's nonce is consumed once, by the same store step as any sign-in, and
the session carries its client_id and granted scope (two Session fields, because a client may refresh and
revoke its own sessions only, RFC 6749 §6 and RFC 7009 §2.1, and UserInfo answers by the scope). Its first
refresh-token hash is initial_refresh_hash(code_hash): a hash no refresh token can have (its preimage is not
one), so the session cannot be refreshed by anyone until its code is redeemed. Redeeming the code rotates that
hash into a fresh refresh token (Store.rotate_refresh: the atomic step of every refresh, reuse detection
included), handed out only when offline_access was granted; without it the token is dropped, and the session
lives until its idle end with no way to refresh it. So the code record holds no token (reading the store
reveals none), no new store operation is needed, and the session exists from the moment the nonce is consumed.

A code is taken once (Store.take_code, atomic): a second take revokes the session of the first (RFC 6749
§4.1.2) and fails; so does a first take whose checks fail (another client's code, a wrong redirect_uri or
code_verifier, an expired code), since its session could never get a token and would only count against
AUTH_MAX_SESSIONS until its idle end.

Errors are OAuthError, rendered as RFC 6749 §5.2's {"error", "error_description"}: invalid_request (a missing
or repeated parameter), invalid_client (401; WWW-Authenticate: Basic when the client used Basic),
invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope; invalid_token (401, RFC 6750) from
UserInfo. A store outage is not an OAuth error: StoreUnavailable passes through (503).
"""

import asyncio
import base64
import binascii
import dataclasses
import hashlib
import hmac
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from app.config import Settings
from app.domain.keys import KeySet
from app.domain.policy import SessionPolicy
from app.domain.sessions import refresh
from app.domain.signin import Grant, grant
from app.domain.tokens import AccessClaims, TokenService, new_refresh_token, read_refresh_token
from app.errors import InvalidGrant, InvalidNonce, InvalidToken, RefreshReused
from app.oidc.clients import ClientRegistry, OidcClient, secret_matches
from app.oidc.codes import AuthorizationCode, code_hash
from app.oidc.id_tokens import caip10_subject, mint_id_token, siwe_claim
from app.stores.base import Rotation, Session, Store

REALM = "web3-auth"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1
MAX_CODE_LENGTH = 256  # ours are 43 characters: anything far longer is not one, and is not hashed


class OAuthError(Exception):
    """An OAuth 2.0 error response (RFC 6749 §5.2), with its HTTP status. `www_authenticate`: the response
    carries a WWW-Authenticate challenge (Basic for invalid_client, Bearer for invalid_token)."""

    def __init__(self, error: str, description: str, status: int = 400, www_authenticate: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.www_authenticate = www_authenticate

    @property
    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    @property
    def headers(self) -> dict[str, str]:
        if not self.www_authenticate:
            return {}
        if self.error == "invalid_client":
            return {"WWW-Authenticate": f'Basic realm="{REALM}"'}
        return {"WWW-Authenticate": f'Bearer realm="{REALM}", error="{self.error}"'}


def invalid_client(description: str, *, used_basic: bool) -> OAuthError:
    return OAuthError("invalid_client", description, 401, www_authenticate=used_basic)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


@dataclass(frozen=True, slots=True)
class TokenForm:
    """A form-encoded request's parameters (RFC 6749 §3.2): an empty one counts as omitted (§3.1), a repeated
    one is invalid_request when read."""

    values: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "TokenForm":
        collected: dict[str, list[str]] = {}
        for name, value in pairs:
            if value != "":
                collected.setdefault(name, []).append(value)
        return cls({name: tuple(values) for name, values in collected.items()})

    def get(self, name: str) -> str | None:
        values = self.values.get(name, ())
        if len(values) > 1:
            raise OAuthError("invalid_request", f"the parameter {name} is repeated")
        return values[0] if values else None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise OAuthError("invalid_request", f"the parameter {name} is missing")
        return value


def basic_credentials(authorization_header: str | None) -> tuple[str, str] | None:
    """The client id and secret of an `Authorization: Basic` header (RFC 6749 §2.3.1: each form-urlencoded,
    then joined by a colon, then base64), None without one; invalid_client when it cannot be read."""
    if authorization_header is None:
        return None
    scheme, _, value = authorization_header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise ValueError("no colon")
        return unquote_plus(client_id, errors="strict"), unquote_plus(secret, errors="strict")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        raise invalid_client("the Basic credentials cannot be read", used_basic=True) from None


def authenticate_client(registry: ClientRegistry, *, authorization_header: str | None, form: TokenForm) -> OidcClient:
    """The client making a token (or revocation) request, authenticated by its registered method:
    client_secret_basic (Authorization: Basic), client_secret_post (client_id and client_secret in the form)
    or none (client_id alone, and no secret presented). invalid_client otherwise; invalid_request when it
    uses two methods at once (RFC 6749 §2.3)."""
    basic = basic_credentials(authorization_header)
    used_basic = basic is not None
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    if basic is not None:
        if form_secret is not None:
            raise OAuthError("invalid_request", "the client authenticated twice (Basic and client_secret)")
        client_id, secret = basic
        if form_id is not None and form_id != client_id:
            raise invalid_client("the form's client_id is not the Basic credentials' one", used_basic=True)
        method, presented = "client_secret_basic", secret
    elif form_secret is not None:
        if form_id is None:
            raise invalid_client("client_secret without client_id", used_basic=False)
        client_id, method, presented = form_id, "client_secret_post", form_secret
    elif form_id is not None:
        client_id, method, presented = form_id, "none", ""
    else:
        raise invalid_client("no client authentication", used_basic=False)
    client = registry.get(client_id)
    if client is None:
        raise invalid_client("unknown client", used_basic=used_basic)
    if client.token_endpoint_auth_method != method:
        detail = f"this client authenticates with {client.token_endpoint_auth_method}, not {method}"
        raise invalid_client(detail, used_basic=used_basic)
    if method != "none" and (client.secret_hash is None or not secret_matches(presented, client.secret_hash)):
        raise invalid_client("the client secret is not valid", used_basic=used_basic)
    return client


def initial_refresh_hash(of_code_hash: str) -> str:
    """The first refresh-token hash of a code's session: no refresh token hashes to it (its preimage has a NUL
    and is not a refresh token), and only the code's redemption, which knows the code, rotates it."""
    return hashlib.sha256(b"web3-auth oidc code\x00" + of_code_hash.encode("ascii")).hexdigest()


async def open_code_session(
    store: Store, nonce: str, session: Session, *, client: OidcClient, scope: Collection[str], of_code_hash: str
) -> Session:
    """For the authorization's completion, once every check of the sign-in passed: consume the nonce and open
    `session` (app.domain.signin.new_session) for `client` with `scope`, refreshable only through the code
    whose hash is `of_code_hash` (the caller then saves the code: Store.save_code). InvalidNonce when the
    nonce was used meanwhile, StoreFull at the ceiling."""
    bound = dataclasses.replace(session, client_id=client.client_id, scope=" ".join(scope))
    if not await store.redeem_challenge(nonce, bound, initial_refresh_hash(of_code_hash)):
        raise InvalidNonce("the nonce was used by a concurrent sign-in")
    return bound


def pkce_matches(verifier: str, challenge: str) -> bool:
    """RFC 7636 §4.6, S256: BASE64URL(SHA256(ASCII(verifier))) == challenge, compared in constant time."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=")
    return hmac.compare_digest(computed, challenge.encode("ascii", errors="replace"))


def _check_code(record: AuthorizationCode, client: OidcClient, form: TokenForm, now: float) -> None:
    if record.is_expired(now):
        raise invalid_grant("the code has expired")
    if record.client_id != client.client_id:
        raise invalid_grant("the code was issued to another client")
    if form.require("redirect_uri") != record.redirect_uri:
        raise invalid_grant("redirect_uri is not the authorization request's")
    verifier = form.get("code_verifier")
    if record.code_challenge is None:
        if verifier is not None:
            raise invalid_grant("a code_verifier for a code issued without a code_challenge")
        return
    if verifier is None:
        raise invalid_grant("the code_verifier is missing (the authorization request had a code_challenge)")
    if _VERIFIER.fullmatch(verifier) is None or not pkce_matches(verifier, record.code_challenge):
        raise invalid_grant("the code_verifier does not match the code_challenge")


async def redeem_code(
    store: Store, client: OidcClient, form: TokenForm, now: float, *, sessions: SessionPolicy
) -> AuthorizationCode:
    """Take the form's code for `client` (grant_type authorization_code): its record, once every check passed.
    A code taken before revokes its session; so does one that fails a check (see above)."""
    code = form.require("code")
    if len(code) > MAX_CODE_LENGTH:
        raise invalid_grant("unknown code")
    hashed = code_hash(code)
    taken = await store.take_code(hashed)
    if taken is None:
        raise invalid_grant("unknown or expired code")
    record_json, taken_before = taken
    record = AuthorizationCode.from_json(record_json)
    if taken_before:
        await store.revoke_session(record.session_id, keep_revoked=sessions.keep_revoked)
        raise invalid_grant("the code was used before: the session it opened is revoked")
    try:
        _check_code(record, client, form, now)
    except OAuthError:
        await store.revoke_session(record.session_id, keep_revoked=sessions.keep_revoked)
        raise
    return record


@dataclass(frozen=True, slots=True)
class GrantContext:
    """What the token endpoint works with. `issuer`: the OpenID Provider's issuer identifier (its URL)."""

    store: Store
    tokens: TokenService
    keys: KeySet
    settings: Settings
    sessions: SessionPolicy
    issuer: str


def profile_claims(subject: str, chain_id: int, accounts: Iterable[str]) -> dict[str, Any]:
    """The `profile` scope's claims: preferred_username (the EIP-55 address) and our documented custom claims
    wallet_address, chain_id and accounts (CAIP-10); never `address`, which OpenID reserves for postal ones."""
    return {"preferred_username": subject, "wallet_address": subject, "chain_id": chain_id, "accounts": list(accounts)}


def userinfo_claims(claims: AccessClaims, scope: Collection[str]) -> dict[str, Any]:
    """UserInfo's answer for an access token's claims and the session's granted scope."""
    answer: dict[str, Any] = {"sub": caip10_subject(claims.chain_id, claims.subject)}
    if "profile" in scope:
        answer |= profile_claims(claims.subject, claims.chain_id, claims.accounts)
    return answer


def token_response(granted: Grant, *, id_token: str | None, scope: Collection[str]) -> dict[str, Any]:
    """The token response (RFC 6749 §5.1, Core §3.1.3.3); refresh_token only when offline_access is granted."""
    body: dict[str, Any] = {
        "access_token": granted.access_token,
        "token_type": "Bearer",
        "expires_in": granted.expires_in,
        **({"id_token": id_token} if id_token is not None else {}),
        "scope": " ".join(scope),
    }
    if "offline_access" in scope:
        body["refresh_token"] = granted.refresh_token
    return body


def _granted(session: Session, refresh_token: str, tokens: TokenService, now: float) -> Grant:
    try:
        return grant(session, refresh_token, tokens, now)
    except InvalidGrant as exc:  # a session of a domain no longer served
        raise invalid_grant(exc.detail) from None


async def authorization_code_grant(
    context: GrantContext, client: OidcClient, form: TokenForm, now: float
) -> dict[str, Any]:
    """grant_type=authorization_code: the code redeemed, its session's first refresh token rotated in, and the
    tokens with an ID token (nonce, siwe and profile claims as the authorization granted)."""
    sessions = context.sessions
    record = await redeem_code(context.store, client, form, now, sessions=sessions)
    refresh_token, refresh_hash = new_refresh_token(record.session_id)
    rotated = await context.store.rotate_refresh(
        record.session_id,
        initial_refresh_hash(code_hash(form.require("code"))),
        refresh_hash,
        now=int(now),
        grace=0,
        keep_revoked=sessions.keep_revoked,
        idle_ttl=sessions.idle_ttl,
    )
    if rotated.outcome is not Rotation.ROTATED or rotated.session is None:
        raise invalid_grant("the session of this code has ended")
    granted = _granted(rotated.session, refresh_token, context.tokens, now)
    extra: dict[str, Any] = {}
    if "profile" in record.scope:
        extra |= profile_claims(record.address, record.chain_id, granted.accounts)
    if "siwe" in record.scope:
        extra |= siwe_claim(record.siwe_message, record.siwe_signature)
    id_token = mint_id_token(
        context.keys,
        issuer=context.issuer,
        client=client,
        sub=caip10_subject(record.chain_id, record.address),
        nonce=record.nonce,
        auth_time=record.auth_time,
        now=int(now),
        access_token=granted.access_token,
        ttl=context.settings.access_ttl,
        extra_claims=extra,
        sid=record.session_id,
    )
    return token_response(granted, id_token=id_token, scope=record.scope)


async def client_session(store: Store, client: OidcClient, session_id: str) -> Session | None:
    """The open session, if it was granted to `client`."""
    session = await store.find_session(session_id)
    return session if session is not None and session.client_id == client.client_id else None


async def refresh_token_grant(context: GrantContext, client: OidcClient, form: TokenForm, now: float) -> dict[str, Any]:
    """grant_type=refresh_token, for the client's own sessions: today's rotation with reuse detection
    (app.domain.sessions.refresh). A `scope` may only repeat (part of) the one granted; the response says what
    the session has. The new ID token (Core §12.2) has the first one's sub and auth_time, and no nonce."""
    refresh_token = form.require("refresh_token")
    try:
        session_id, _ = read_refresh_token(refresh_token)
    except InvalidGrant:
        raise invalid_grant("not a refresh token") from None
    session = await client_session(context.store, client, session_id)
    if session is None:
        raise invalid_grant("unknown, expired or revoked refresh token")
    granted_scope = session.scope.split()
    requested = form.get("scope")
    if requested is not None and not set(requested.split()) <= set(granted_scope):
        raise OAuthError("invalid_scope", "a refresh may not ask for more than the authorization granted")
    if "offline_access" not in granted_scope:
        raise invalid_grant("offline_access was not granted")
    try:
        granted = await refresh(context.store, context.tokens, context.sessions, refresh_token=refresh_token, now=now)
    except (InvalidGrant, RefreshReused) as exc:  # RefreshReused: the session is revoked
        raise invalid_grant(exc.detail) from None
    extra = profile_claims(granted.address, granted.chain_id, granted.accounts) if "profile" in granted_scope else {}
    id_token = mint_id_token(
        context.keys,
        issuer=context.issuer,
        client=client,
        sub=caip10_subject(session.chain_id, session.address),
        nonce=None,
        auth_time=session.created_at,
        now=int(now),
        access_token=granted.access_token,
        ttl=context.settings.access_ttl,
        extra_claims=extra,
        sid=session.session_id,
    )
    return token_response(granted, id_token=id_token, scope=granted_scope)


async def token_request(
    context: GrantContext,
    registry: ClientRegistry,
    *,
    authorization_header: str | None,
    form: TokenForm,
    now: float,
) -> dict[str, Any]:
    """POST /oidc/token: the client authenticated, then its grant."""
    # scrypt costs ~33 ms of CPU: off the event loop, which every other request waits on
    client = await asyncio.to_thread(
        authenticate_client, registry, authorization_header=authorization_header, form=form
    )
    grant_type = form.require("grant_type")
    if grant_type == "authorization_code":
        return await authorization_code_grant(context, client, form, now)
    if grant_type == "refresh_token":
        if "offline_access" not in client.scopes:
            raise OAuthError("unauthorized_client", "this client is not registered for offline_access")
        return await refresh_token_grant(context, client, form, now)
    raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")


async def userinfo(store: Store, tokens: TokenService, *, access_token: str, now: float) -> dict[str, Any]:
    """GET|POST /oidc/userinfo (Core §5.3): the claims of a valid access token of an open OpenID Connect
    session, by the scope it was granted; invalid_token (401, RFC 6750 §3.1) otherwise."""
    try:
        claims = tokens.validate_access(access_token, now)
    except InvalidToken as exc:
        raise OAuthError("invalid_token", exc.detail, 401, www_authenticate=True) from None
    session = await store.find_session(claims.session_id)
    if session is None or not session.client_id:
        raise OAuthError("invalid_token", "not an access token of an open OpenID Connect session", 401, True)
    current = dataclasses.replace(claims, accounts=session.account_ids)
    return userinfo_claims(current, session.scope.split())


async def revoke_token(
    store: Store, tokens: TokenService, sessions: SessionPolicy, client: OidcClient, form: TokenForm, now: float
) -> None:
    """POST /oidc/revoke (RFC 7009), for an authenticated client: a refresh token or an access token of its
    own ends its session everywhere, as /auth/logout does. Tokens that are unknown, expired, already revoked
    or not ours are no error (§2.2); a live token of another client is invalid_grant (§2.1). The
    token_type_hint is only a hint (§2.1): both kinds are recognised by their form."""
    token = form.require("token")
    form.get("token_type_hint")  # read for its repetition only
    try:
        session_id, refresh_hash = read_refresh_token(token)
    except InvalidGrant:
        try:
            session_id, refresh_hash = tokens.validate_access(token, now).session_id, None
        except InvalidToken:
            return
    session = await store.find_session(session_id)
    if session is None:
        return
    if session.client_id != client.client_id:
        raise invalid_grant("the token was issued to another client")
    await store.revoke_session(session_id, keep_revoked=sessions.keep_revoked, refresh_hash=refresh_hash)
