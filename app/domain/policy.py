"""The relying party's policy: what a sign-in accepts (SignInPolicy, and the checks on a parsed message: origin,
URI, chain and time window, EIP-4361 §Verifying) and how long its sessions live (SessionPolicy).

The expected values come from configuration (app.policies builds these once at start), never from the request
(a Host or Origin header is the client's to choose).
"""

from collections.abc import Collection
from dataclasses import dataclass

from app.domain.grammar import authority_re, host_of, statement_re
from app.domain.messages import SiweMessage
from app.domain.uris import WEB_SCHEMES, allowed_uri, split_uri
from app.errors import ChainNotAllowed, DomainNotAllowed, ExpiredMessage, NotYetValid, UriNotAllowed, shown

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """What a challenge offers and a sign-in accepts: AUTH_DOMAINS (the first one the default), AUTH_CHAIN_IDS
    (likewise), AUTH_URIS, AUTH_STATEMENT, AUTH_NONCE_TTL, AUTH_MAX_MESSAGE_LIFETIME and AUTH_CLOCK_SKEW."""

    domains: tuple[str, ...]
    chain_ids: tuple[int, ...]
    uris: tuple[str, ...]  # each one allowed_uri reads (app.policies checked them)
    statement: str
    nonce_ttl: int
    max_message_lifetime: int
    clock_skew: int


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lives (AUTH_REFRESH_TTL; AUTH_SESSION_IDLE_TTL unless refreshed), how late a rotated
    refresh token may still be presented (AUTH_REFRESH_REUSE_GRACE), and how long its access tokens live."""

    access_ttl: int
    clock_skew: int
    refresh_ttl: int
    idle_ttl: int
    reuse_grace: int

    @property
    def keep_revoked(self) -> int:
        """How long a revoked session must be remembered: as long as the longest-lived access token of it."""
        return self.access_ttl + self.clock_skew


def sign_in_domain(domain: str) -> str:
    """An AUTH_DOMAINS entry as it is; ValueError unless it is an RFC 3986 authority with a host and without
    userinfo (no message URI may carry userinfo, so such a domain could never sign anyone in)."""
    if authority_re.fullmatch(domain) is None:
        raise ValueError(f"{domain!r} is not an RFC 3986 authority (host[:port])")
    if not host_of(domain):
        raise ValueError(f"{domain!r} has an empty host: a sign-in domain names a host (host[:port])")
    if "@" in domain:
        raise ValueError(f"{domain!r} has userinfo: a sign-in domain is host[:port]")
    return domain


def offered_statement(statement: str) -> str:
    """AUTH_STATEMENT as it is; ValueError unless EIP-4361's statement rule admits it."""
    if statement_re.fullmatch(statement) is None:
        raise ValueError("may only hold RFC 3986 reserved and unreserved characters and spaces")
    return statement


def is_loopback(authority: str) -> bool:
    return host_of(authority).lower() in _LOOPBACK_HOSTS


def origin_scheme(domain: str) -> str:
    """The scheme a browser origin for this domain has: http on loopback (development), else https."""
    return "http" if is_loopback(domain) else "https"


def check_origin(message: SiweMessage, domains: Collection[str], chain_ids: Collection[int]) -> None:
    """The domain must be one we serve, exactly as configured; the scheme, when the message names one,
    must be https (the default EIP-4361 assumes), or http for a loopback domain; the chain must be listed."""
    if message.domain not in domains:
        raise DomainNotAllowed(f"domain {shown(message.domain)} is not served here")
    if message.scheme not in (None, "https", origin_scheme(message.domain)):
        raise DomainNotAllowed(f"scheme {shown(message.scheme)} is not allowed for domain {shown(message.domain)}")
    if message.chain_id not in chain_ids:
        raise ChainNotAllowed(f"chain id {shown(message.chain_id)} is not accepted here")


def uri_problem(uri: str, domain: str, allowed_uris: Collection[str]) -> str | None:
    """Why a message for `domain` may not name `uri`, or None when it may: an http(s) URI whose authority is
    the domain itself (https, or http when the domain is loopback, as origin_scheme says), or one an
    AUTH_URIS entry admits (app.domain.uris.AllowedUri). Never another scheme, never userinfo. Compared as
    written, nothing normalised: `HTTPS://` or `https://app.example:443` are not `https://app.example`."""
    parts = split_uri(uri)
    if parts is None:
        return "the URI is not an RFC 3986 URI"
    if parts.scheme not in WEB_SCHEMES:
        return f"URI scheme {shown(parts.scheme)} is not allowed: only https, or http on loopback (in lower case)"
    if not parts.authority:
        return "the URI names no host"
    if "@" in parts.authority:
        return "a URI with userinfo (user@host) is not allowed"
    if parts.authority == domain and parts.scheme in ("https", origin_scheme(domain)):
        return None
    if any(allowed_uri(entry).admits(parts) for entry in allowed_uris):
        return None
    if parts.authority == domain:
        return f"an http URI is only allowed for a loopback domain, not {shown(domain)} (unless listed in AUTH_URIS)"
    return f"URI {shown(uri)} is neither on the domain {shown(domain)} nor admitted by AUTH_URIS"


def check_uri(message: SiweMessage, allowed_uris: Collection[str]) -> None:
    if (problem := uri_problem(message.uri, message.domain, allowed_uris)) is not None:
        raise UriNotAllowed(problem)


def check_lifetime(message: SiweMessage, max_lifetime: int) -> None:
    """Expiration Time at most `max_lifetime` seconds (AUTH_MAX_MESSAGE_LIFETIME) after Issued At, to the
    microsecond (the instants are floats: rounding the difference undoes their error, up to the year 2106).
    A message without Expiration Time passes: its nonce, single-use and valid AUTH_NONCE_TTL seconds, bounds it."""
    if message.expiration_seconds is None:
        return
    if round(message.expiration_seconds - message.issued_at_seconds, 6) > max_lifetime:
        raise ExpiredMessage(
            f"Expiration Time is more than AUTH_MAX_MESSAGE_LIFETIME ({max_lifetime} s) after Issued At"
        )


def check_validity_window(message: SiweMessage, now: float, clock_skew: float) -> None:
    """Expired when now >= Expiration Time; not yet valid when now < Not Before or Issued At is in the
    future; every bound with `clock_skew` seconds of tolerance."""
    issued_at, expires_at, not_before = (
        message.issued_at_seconds,
        message.expiration_seconds,
        message.not_before_seconds,
    )
    if expires_at is not None:
        if expires_at <= issued_at:
            raise ExpiredMessage("Expiration Time is not after Issued At")
        if now >= expires_at + clock_skew:
            raise ExpiredMessage()
    if not_before is not None and now < not_before - clock_skew:
        raise NotYetValid("the message's Not Before is in the future")
    if now < issued_at - clock_skew:
        raise NotYetValid("the message's Issued At is in the future")
