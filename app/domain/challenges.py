"""Issuing an EIP-4361 challenge: a single-use nonce wrapped in the message the wallet will sign."""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.domain.messages import MAX_MESSAGE_BYTES, VERSION, SiweMessage, format_message
from app.domain.policy import SignInPolicy, origin_scheme, uri_problem
from app.domain.recaps import read_recap
from app.errors import ChainNotOffered, DomainNotOffered, InvalidMessage, InvalidRequest, UriNotOffered
from app.stores.base import CLIENT_TAG_HEX, Challenge

NONCE_BYTES = 16  # 128 bits, as 32 hex digits: alphanumeric, as EIP-4361 asks
# Tags open nonces with their client (app.stores.base.OPEN_NONCE_HEX) without the nonce telling who asked. Per
# process: a client served by two replicas has two tags, so at most OPEN_NONCES_PER_CLIENT open nonces on each.
_CLIENT_TAG_KEY = secrets.token_bytes(32)


@dataclass(frozen=True, slots=True)
class IssuedChallenge:
    challenge: Challenge
    issued_at: str
    expiration_time: str


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def new_open_nonce(client: str) -> str:
    """A nonce issued before the address: its client's tag, then 128 random bits."""
    tag = hmac.new(_CLIENT_TAG_KEY, client.encode(), hashlib.sha256).hexdigest()[:CLIENT_TAG_HEX]
    return tag + secrets.token_hex(NONCE_BYTES)


@dataclass(frozen=True, slots=True)
class IssuedNonce:
    challenge: Challenge
    uri: str  # the URI a message on this domain names by default
    issued_at: str
    expiration_time: str


def issue_nonce(policy: SignInPolicy, *, now: float, client: str, domain: str | None = None) -> IssuedNonce:
    """An open nonce (POST /auth/nonce): bound to a domain only, for a message the client writes once it knows
    the address and chain; it expires after AUTH_NONCE_TTL seconds like a challenge's."""
    domain = policy.domains[0] if domain is None else domain
    if domain not in policy.domains:
        raise DomainNotOffered(f"domain {domain!r} is not served here")
    issued_at, expiration_time = validity_window(now, policy.nonce_ttl)
    challenge = Challenge(new_open_nonce(client), "", 0, domain, now, now + policy.nonce_ttl, client, "")
    return IssuedNonce(challenge, default_uri(domain), issued_at, expiration_time)


def rfc3339(seconds: float) -> str:
    """UTC with milliseconds and a Z, as the SIWE libraries print it."""
    return _rfc3339(datetime.fromtimestamp(seconds, UTC))


def _rfc3339(instant: datetime) -> str:
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def validity_window(now: float, lifetime: int) -> tuple[str, str]:
    """Issued At and Expiration Time for a message issued `now` that lives `lifetime` seconds: exactly that
    far apart once written to the millisecond (formatting each instant on its own could make them a
    millisecond more or less apart, and a lifetime of AUTH_MAX_MESSAGE_LIFETIME one too many)."""
    instant = datetime.fromtimestamp(now, UTC)
    issued = instant.replace(microsecond=instant.microsecond // 1000 * 1000)
    return _rfc3339(issued), _rfc3339(issued + timedelta(seconds=lifetime))


def default_uri(domain: str) -> str:
    return f"{origin_scheme(domain)}://{domain}"


def issue_challenge(
    policy: SignInPolicy,
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
    """A challenge for an EIP-55 address, asked for by `client`; it expires after AUTH_NONCE_TTL seconds. The
    domain, chain and URI must be ones a sign-in accepts (app.domain.policy), else a 400 names which."""
    domain = policy.domains[0] if domain is None else domain
    chain_id = policy.chain_ids[0] if chain_id is None else chain_id
    if domain not in policy.domains:
        raise DomainNotOffered(f"domain {domain!r} is not served here")
    if chain_id not in policy.chain_ids:
        raise ChainNotOffered(f"chain id {chain_id} is not accepted here")
    issued_at, expiration_time = validity_window(now, policy.nonce_ttl)
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
            statement=policy.statement if statement is None else statement,
            resources=None if resources is None else tuple(resources),
        )
    except InvalidMessage as exc:
        raise InvalidRequest(exc.detail) from None
    try:
        read_recap(message.statement, message.resources)
    except InvalidMessage as exc:
        raise InvalidRequest(exc.detail) from None
    if (problem := uri_problem(message.uri, domain, policy.uris)) is not None:
        raise UriNotOffered(problem)  # no message is issued that could never sign in
    text = format_message(message)
    if len(text) > MAX_MESSAGE_BYTES:
        raise InvalidRequest(f"the message would be longer than {MAX_MESSAGE_BYTES} bytes")
    challenge = Challenge(message.nonce, address, chain_id, domain, now, now + policy.nonce_ttl, client, text)
    return IssuedChallenge(challenge, issued_at, expiration_time)
