"""Access tokens (JWT, RFC 9068 profile) and opaque refresh tokens.

Access token: header `alg`, `kid`, `typ: at+jwt`; claims iss, aud, sub (EIP-55 address), chain_id, domain
(the sign-in message's), accounts (the session's CAIP-10 accounts when minted), recap (the ReCap the sign-in
granted, EIP-5573, only when it had one), iat, nbf, exp, jti, sid. `aud` is AUTH_AUDIENCE, or the audience it maps the
domain to. Validation pins the configured algorithm (never read from the token), the key by kid, `typ`,
`iss` and `aud` (one string, any of the audiences configured; a token minted before tokens carried the
domain counts as the first AUTH_DOMAINS entry's), requires exp/iat/nbf/sub/jti/sid, and follows RFC 8725.
The time claims are checked here against the caller's clock (PyJWT would read its own): clock skew is
tolerated on iat and nbf (a token minted by a replica whose clock runs ahead), never on exp.

Refresh token: `<session id>.<256 random bits>`, opaque to clients; the store keeps only a SHA-256 hash.
"""

import hashlib
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt

from app.domain.keys import KeySet
from app.errors import InvalidGrant, InvalidToken

ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")  # RFC 9068 §4: either spelling
_REFRESH_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")  # new_id() "." 256 random bits
MAX_TOKEN_LENGTH = 8192  # what a token of 16 accounts and the largest ReCap claim takes, with room
_DECODE_OPTIONS: Any = {
    "require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"],
    "verify_aud": False,  # checked in _verify: one string, among the configured audiences
    "verify_exp": False,  # checked in _claims, against the caller's `now`
    "verify_nbf": False,
    "verify_iat": False,
}


@dataclass(frozen=True, slots=True)
class AccessClaims:
    subject: str
    chain_id: int
    session_id: str
    token_id: str
    issued_at: int
    expires_at: int
    domain: str = ""
    audience: str = ""
    accounts: tuple[str, ...] = ()  # CAIP-10; a token minted before tokens carried them: its one account
    recap: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    issuer: str
    audience: str  # the audience of every domain, unless audiences_by_domain maps them
    access_ttl: int
    clock_skew: int
    audiences_by_domain: tuple[tuple[str, str], ...] = ()
    default_domain: str = ""  # what a token without a domain claim was minted for

    def audience_for(self, domain: str) -> str | None:
        """The audience of a sign-in at `domain`; None for a domain the map does not name."""
        return dict(self.audiences_by_domain).get(domain) if self.audiences_by_domain else self.audience

    @property
    def audiences(self) -> frozenset[str]:
        return frozenset(audience for _, audience in self.audiences_by_domain) or frozenset([self.audience])


def new_id() -> str:
    """A 128-bit random identifier, URL-safe (session ids, token ids)."""
    return secrets.token_urlsafe(16)


def new_refresh_token(session_id: str) -> tuple[str, str]:
    """A fresh refresh token for a session, and the hash the store keeps of it."""
    token = f"{session_id}.{secrets.token_urlsafe(32)}"
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def read_refresh_token(token: str) -> tuple[str, str]:
    """The session id a refresh token names, and the token's hash; InvalidGrant if it is not one of ours
    (an access token, for instance)."""
    if _REFRESH_TOKEN.fullmatch(token) is None:
        raise InvalidGrant("not a refresh token")
    return token.partition(".")[0], refresh_token_hash(token)


class TokenService:
    """Mints and validates access tokens with one key set and one policy."""

    def __init__(self, keys: KeySet, policy: TokenPolicy) -> None:
        self._keys = keys
        self._policy = policy
        self._algorithm = keys.signing.algorithm
        # the set may hold keys of other algorithms (ID tokens): none of them validates an access token
        self._validating = {kid: key for kid, key in keys.by_kid.items() if key.algorithm == self._algorithm}
        self._verified = VerifiedTokens()

    def mint_access(
        self,
        *,
        subject: str,
        chain_id: int,
        session_id: str,
        now: int,
        not_after: int,
        domain: str | None = None,
        accounts: tuple[str, ...] = (),
        recap: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        """A signed access token and its lifetime in seconds; it never outlives `not_after` (the session).
        `domain`: the sign-in's (the policy's default_domain if None); InvalidGrant if no audience is mapped
        to it (a session of a domain since removed from AUTH_DOMAINS)."""
        domain = self._policy.default_domain if domain is None else domain
        audience = self._policy.audience_for(domain)
        if audience is None:
            raise InvalidGrant(f"this session's domain {domain!r} is no longer served here: sign in again")
        expires_at = min(now + self._policy.access_ttl, not_after)
        claims: dict[str, Any] = {
            "iss": self._policy.issuer,
            "aud": audience,
            "sub": subject,
            "chain_id": chain_id,
            **({"domain": domain} if domain else {}),
            "accounts": list(accounts or (f"eip155:{chain_id}:{subject}",)),
            **({"recap": recap} if recap is not None else {}),
            "iat": now,
            "nbf": now,
            "exp": expires_at,
            "jti": new_id(),
            "sid": session_id,
        }
        key = self._keys.signing
        token = jwt.encode(claims, key.private, algorithm=self._algorithm, headers={"kid": key.kid, "typ": "at+jwt"})
        return token, expires_at - now

    def validate_access(self, token: str, now: float) -> AccessClaims:
        """The claims of a valid access token; raises InvalidToken for anything else. A token whose signature
        was verified before is not verified again (a sidecar sees the same token at every API call), but its
        time is checked every time."""
        verified = self._verified.get(token)
        if verified is None:
            verified = self._verify(token)
            self._verified.put(token, verified)
        claims, not_before = verified
        _check_time(claims, not_before, now, self._policy.clock_skew)
        return claims

    def _verify(self, token: str) -> tuple[AccessClaims, int]:
        """The claims of a token whose signature and claims check out, and its nbf; times are not checked."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            key = self._validating.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise InvalidToken("unknown key id")
            if header.get("typ") not in ACCESS_TOKEN_TYPES:
                raise InvalidToken("not an access token (typ must be at+jwt)")
            decoded = jwt.decode_complete(
                token,
                key.public,
                algorithms=[self._algorithm],
                issuer=self._policy.issuer,
                options=_DECODE_OPTIONS,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the token is not valid: {exc}") from None
        payload = decoded["payload"]
        if not isinstance(payload["aud"], str) or payload["aud"] not in self._policy.audiences:
            raise InvalidToken("the token is not valid: Audience doesn't match")
        return _claims(payload, self._policy.default_domain)


class VerifiedTokens:
    """Access tokens whose signature and claims checked out, with their claims, until they expire: at most
    CAPACITY of them, the oldest forgotten first (a forgotten one is simply verified again). Keyed by the
    exact token text, so only the very token that was verified can be found here."""

    CAPACITY = 10_000

    def __init__(self) -> None:
        # an OrderedDict: forgetting a plain dict's first key leaves a hole that finding the next first walks
        self._claims: OrderedDict[str, tuple[AccessClaims, int]] = OrderedDict()

    def get(self, token: str) -> tuple[AccessClaims, int] | None:
        return self._claims.get(token)

    def put(self, token: str, verified: tuple[AccessClaims, int]) -> None:
        if len(self._claims) >= self.CAPACITY:
            self._claims.popitem(last=False)
        self._claims[token] = verified


def _claims(payload: dict[str, Any], default_domain: str) -> tuple[AccessClaims, int]:
    subject, chain_id, session_id, token_id = (
        payload["sub"],
        payload.get("chain_id"),
        payload.get("sid"),
        payload["jti"],
    )
    domain = payload.get("domain", default_domain)
    if not isinstance(domain, str):
        raise InvalidToken("the token's domain must be a string")
    issued_at, not_before, expires_at = payload["iat"], payload["nbf"], payload["exp"]
    if not (isinstance(subject, str) and isinstance(session_id, str) and isinstance(token_id, str)):
        raise InvalidToken("the token's sub, sid and jti must be strings")
    if type(chain_id) is not int or not all(type(value) is int for value in (issued_at, not_before, expires_at)):
        raise InvalidToken("the token's chain_id, iat, nbf and exp must be integers")
    accounts = payload.get("accounts", [f"eip155:{chain_id}:{subject}"])
    if not isinstance(accounts, list) or not accounts or not all(isinstance(account, str) for account in accounts):
        raise InvalidToken("the token's accounts must be a list of strings")
    recap = payload.get("recap")
    if recap is not None and not isinstance(recap, dict):
        raise InvalidToken("the token's recap must be an object")
    claims = AccessClaims(
        subject, chain_id, session_id, token_id, issued_at, expires_at, domain, payload["aud"], tuple(accounts), recap
    )
    return claims, not_before


def _check_time(claims: AccessClaims, not_before: int, now: float, clock_skew: float) -> None:
    if claims.expires_at <= now:
        raise InvalidToken("the token has expired")
    if not_before > now + clock_skew or claims.issued_at > now + clock_skew:
        raise InvalidToken("the token is not valid yet")
