"""RP-Initiated Logout 1.0: which session an end-session request ends, and where the browser goes next.

The id_token_hint is one of our ID tokens (its signature, kid and iss checked; an expired one is accepted, as
§2 asks: the RP often holds nothing fresher); its `sid` names the session and its `aud` the client. A
post_logout_redirect_uri is followed only when the client (the hint's, or the client_id given) registered it,
exactly (§2, §3); otherwise nothing is redirected (LogoutRefused: a 400 page).
"""

from collections.abc import Iterable
from dataclasses import dataclass

import jwt

from app.domain.keys import KeySet
from app.oidc.authorization import with_query
from app.oidc.clients import ClientRegistry, OidcClient
from app.oidc.discovery import ID_TOKEN_ALGORITHMS
from app.oidc.grants import OAuthError, TokenForm

MAX_HINT_LENGTH = 8192


class LogoutRefused(Exception):
    """An end-session request that cannot be trusted with a redirect (or a session)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    session_id: str | None  # the hint's sid: the session to revoke
    redirect_uri: str | None  # where to send the browser: the registered URI, with state


def hinted_claims(keys: KeySet, token: str, issuer: str) -> dict[str, object]:
    """The claims of an ID token this provider signed for `issuer`, expired or not; LogoutRefused otherwise."""
    if len(token) > MAX_HINT_LENGTH:
        raise LogoutRefused("id_token_hint is not an ID token of this provider")
    try:
        header = jwt.get_unverified_header(token)
        key = keys.by_kid.get(str(header.get("kid")))
        if key is None or key.public_jwk is None or key.algorithm not in ID_TOKEN_ALGORITHMS:
            raise LogoutRefused("id_token_hint is not signed by a key of this provider")
        claims: dict[str, object] = jwt.decode(
            token,
            key.public,
            algorithms=[key.algorithm],
            issuer=issuer,
            options={"verify_exp": False, "verify_aud": False, "require": ["iss", "aud", "sub"]},
        )
    except jwt.PyJWTError:
        raise LogoutRefused("id_token_hint is not an ID token of this provider") from None
    return claims


def parse_logout_request(
    params: Iterable[tuple[str, str]], registry: ClientRegistry, keys: KeySet, issuer: str
) -> LogoutRequest:
    form = TokenForm.from_pairs(params)
    try:
        hint, client_id = form.get("id_token_hint"), form.get("client_id")
        redirect, state = form.get("post_logout_redirect_uri"), form.get("state")
    except OAuthError as exc:
        raise LogoutRefused(exc.description) from None
    client: OidcClient | None = None
    session_id: str | None = None
    if hint is not None:
        claims = hinted_claims(keys, hint, issuer)
        audience = claims["aud"]
        client = registry.get(audience) if isinstance(audience, str) else None
        if client is None:
            raise LogoutRefused("id_token_hint was issued to no client of this provider")
        if client_id is not None and client_id != client.client_id:
            raise LogoutRefused("client_id is not the id_token_hint's audience")
        sid = claims.get("sid")
        session_id = sid if isinstance(sid, str) else None
    elif client_id is not None:
        client = registry.get(client_id)
        if client is None:
            raise LogoutRefused("unknown client_id")
    if redirect is None:
        return LogoutRequest(session_id, None)
    if client is None:
        raise LogoutRefused("post_logout_redirect_uri needs id_token_hint or client_id")
    if redirect not in client.post_logout_redirect_uris:
        raise LogoutRefused("post_logout_redirect_uri is not one this client registered (compared exactly)")
    return LogoutRequest(session_id, with_query(redirect, [("state", state)]) if state is not None else redirect)
