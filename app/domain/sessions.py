"""Living sessions: refresh with rotation and reuse detection (RFC 9700 §4.14.2), logout, and whether an
access token is still active for the services that ask (me, introspection, forward-auth).

A session ends at its absolute end (AUTH_REFRESH_TTL after sign-in) or when it was not refreshed for
AUTH_SESSION_IDLE_TTL, whichever comes first (each refresh moves the idle end on); its store record goes then.
A session is revoked by logout, by the reuse of a rotated refresh token, or by one rotation too many
(app.stores.base.MAX_ROTATIONS); its record then stays as long as its access tokens can live
(AUTH_ACCESS_TTL + AUTH_CLOCK_SKEW), so every check refuses them until they expire on their own.
"""

import dataclasses

from app.domain.policy import SessionPolicy
from app.domain.signin import Grant, grant
from app.domain.tokens import AccessClaims, TokenService, new_refresh_token, read_refresh_token
from app.errors import InvalidGrant, InvalidToken, RefreshReused
from app.stores.base import Rotation, Store


async def refresh(
    store: Store, tokens: TokenService, policy: SessionPolicy, *, refresh_token: str, now: float
) -> Grant:
    """Trade a refresh token for a new access token and a new refresh token of the same session."""
    session_id, presented = read_refresh_token(refresh_token)
    new_token, new_hash = new_refresh_token(session_id)
    result = await store.rotate_refresh(
        session_id,
        presented,
        new_hash,
        now=int(now),
        grace=policy.reuse_grace,
        keep_revoked=policy.keep_revoked,
        idle_ttl=policy.idle_ttl,
    )
    if result.outcome is Rotation.REUSED:
        raise RefreshReused()
    if result.outcome is Rotation.EXHAUSTED:
        raise InvalidGrant("This session was refreshed as many times as a session may: it has ended. Sign in again.")
    if result.session is None:
        raise InvalidGrant()
    return grant(result.session, new_token, tokens, now)


async def active_claims(store: Store, tokens: TokenService, token: str, now: float) -> AccessClaims:
    """The claims of an access token that is valid and whose session is still open, with the session's
    accounts (and so its chain_id, its first account's) as they are now; InvalidToken otherwise."""
    claims = tokens.validate_access(token, now)
    session = await store.find_session(claims.session_id)
    if session is None:
        raise InvalidToken("the session has ended")
    if session.accounts and session.account_ids != claims.accounts:  # changed since: the store has them now
        return dataclasses.replace(claims, accounts=session.account_ids, chain_id=session.chain_id)
    return claims


async def log_out(store: Store, tokens: TokenService, policy: SessionPolicy, *, access_token: str, now: float) -> None:
    """Revoke the session of a (signature- and time-) valid access token; revoking twice is harmless."""
    claims = tokens.validate_access(access_token, now)
    await store.revoke_session(claims.session_id, keep_revoked=policy.keep_revoked)


async def log_out_with_refresh_token(store: Store, policy: SessionPolicy, *, refresh_token: str) -> None:
    """Revoke the session of one of its refresh tokens (current or rotated)."""
    session_id, presented = read_refresh_token(refresh_token)
    if not await store.revoke_session(session_id, keep_revoked=policy.keep_revoked, refresh_hash=presented):
        raise InvalidGrant()


async def introspect(store: Store, tokens: TokenService, *, token: str, now: float) -> AccessClaims | None:
    """RFC 7662: the claims of an active access token; None (inactive) for anything else, refresh tokens
    included. A store outage is not "inactive": it raises StoreUnavailable."""
    try:
        return await active_claims(store, tokens, token, now)
    except InvalidToken:
        return None
