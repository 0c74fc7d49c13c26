"""The relying party's checks on a parsed message: origin, chain and time window (EIP-4361 §Verifying).

The expected values come from configuration, never from the request (a Host or Origin header is the
client's to choose).
"""

from collections.abc import Collection

from app.domain.grammar import host_of
from app.domain.messages import SiweMessage
from app.errors import ChainNotAllowed, DomainNotAllowed, ExpiredMessage, NotYetValid, shown

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


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
