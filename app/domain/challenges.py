"""Issuing an EIP-4361 challenge: a single-use nonce wrapped in the message the wallet will sign."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.config import Settings
from app.domain.messages import MAX_MESSAGE_BYTES, VERSION, SiweMessage, format_message
from app.domain.policy import origin_scheme
from app.errors import ChainNotOffered, DomainNotOffered, InvalidMessage, InvalidRequest
from app.stores.base import Challenge

NONCE_BYTES = 16  # 128 bits, as 32 hex digits: alphanumeric, as EIP-4361 asks


@dataclass(frozen=True, slots=True)
class IssuedChallenge:
    challenge: Challenge
    issued_at: str
    expiration_time: str


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def rfc3339(seconds: float) -> str:
    """UTC with milliseconds and a Z, as the SIWE libraries print it."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def default_uri(domain: str) -> str:
    return f"{origin_scheme(domain)}://{domain}"


def issue_challenge(
    settings: Settings,
    *,
    address: str,
    now: float,
    client: str,
    chain_id: int | None = None,
    domain: str | None = None,
    uri: str | None = None,
    statement: str | None = None,
    resources: Sequence[str] | None = None,
) -> IssuedChallenge:
    """A challenge for an EIP-55 address, asked for by `client`; it expires after AUTH_NONCE_TTL seconds."""
    domain = settings.domains[0] if domain is None else domain
    chain_id = settings.chain_ids[0] if chain_id is None else chain_id
    if domain not in settings.domains:
        raise DomainNotOffered(f"domain {domain!r} is not served here")
    if chain_id not in settings.chain_ids:
        raise ChainNotOffered(f"chain id {chain_id} is not accepted here")
    issued_at, expiration_time = rfc3339(now), rfc3339(now + settings.nonce_ttl)
    try:
        message = SiweMessage(
            domain=domain,
            address=address,
            uri=default_uri(domain) if uri is None else uri,
            chain_id=chain_id,
            nonce=new_nonce(),
            issued_at=issued_at,
            version=VERSION,
            expiration_time=expiration_time,
            statement=settings.statement if statement is None else statement,
            resources=None if resources is None else tuple(resources),
        )
    except InvalidMessage as exc:
        raise InvalidRequest(exc.detail) from None
    text = format_message(message)
    if len(text) > MAX_MESSAGE_BYTES:
        raise InvalidRequest(f"the message would be longer than {MAX_MESSAGE_BYTES} bytes")
    challenge = Challenge(message.nonce, address, chain_id, domain, now, now + settings.nonce_ttl, client, text)
    return IssuedChallenge(challenge, issued_at, expiration_time)
