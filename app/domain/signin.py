"""Sign-in: a signed EIP-4361 message in, a session and its tokens out.

The checks run on the exact text that was signed, cheapest first, and the nonce is consumed only after
the signature has been verified, so a forged request can neither burn a user's nonce nor cost us any
cryptography unless it names an outstanding nonce:

    parse (ABNF, canonical form) -> domain, scheme, chain -> URI -> lifetime and time window -> the wallet
    and the client have sign-in budget left (counts nothing) -> nonce look-up (consumes nothing) -> signature
    (EIP-6492, EIP-191, EIP-1271: app.domain.signatures.verifier; only there may an RPC call happen, once the
    client's budget of contract-wallet refusals allows it) -> spend both budgets -> consume the nonce and open
    the session (Store.redeem_challenge; at AUTH_MAX_SESSIONS it refuses, consuming nothing) -> mint the tokens
    (with the message's domain, and its audience)
"""

from dataclasses import dataclass
from typing import Protocol

from app.config import Settings
from app.domain import policy
from app.domain.messages import SiweMessage, parse_message
from app.domain.signatures.verifier import SignatureVerifier
from app.domain.tokens import TokenService, new_id, new_refresh_token
from app.errors import (
    AuthError,
    InvalidNonce,
    InvalidSignature,
)
from app.stores.base import Challenge, Session, Store


@dataclass(frozen=True, slots=True)
class Grant:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    address: str
    chain_id: int
    session_id: str


class SignInBudget(Protocol):
    """The sign-in rate limits of a wallet (and of the client asking). Only a request whose signature checked
    out may spend them, so that forged requests can never lock a wallet out; both methods raise RateLimited
    when one is spent."""

    async def ensure_available(self, address: str) -> None: ...

    async def spend(self, address: str) -> None: ...


class FailureBudget(Protocol):
    """The client's budget of contract-wallet refusals (AUTH_RATE_LIMIT_RPC_FAILURES_IP): checked before any
    RPC call, spent by each request whose signature the chain was consulted about and refused; both methods
    raise RateLimited when it is spent."""

    async def ensure_available(self) -> None: ...

    async def spend(self) -> None: ...


def decode_signature(signature: str) -> bytes:
    """The bytes of a 0x-prefixed hex signature; malformed hex is simply not a valid signature."""
    if not signature.startswith("0x"):
        raise InvalidSignature("the signature must be 0x-prefixed hex")
    try:
        return bytes.fromhex(signature[2:])
    except ValueError:
        raise InvalidSignature("the signature is not hex") from None


def checked_message(message_text: str, settings: Settings, now: float) -> SiweMessage:
    """Steps that need no store: the message parses, names our origin, chain and an allowed URI, lives no
    longer than AUTH_MAX_MESSAGE_LIFETIME, and is valid now."""
    message = parse_message(message_text)
    policy.check_origin(message, settings.domains, settings.chain_ids)
    policy.check_uri(message, settings.uris)
    policy.check_lifetime(message, settings.max_message_lifetime)
    policy.check_validity_window(message, now, settings.clock_skew)
    return message


def check_challenge(challenge: Challenge | None, message: SiweMessage, clock_skew: float) -> None:
    """The nonce is outstanding, was issued for this address, chain and domain, and not after the message."""
    if challenge is None or (challenge.nonce, challenge.address, challenge.chain_id, challenge.domain) != (
        message.nonce,
        message.address,
        message.chain_id,
        message.domain,
    ):
        raise InvalidNonce()
    # whole seconds: Issued At may be written with less precision than the clock that issued the nonce
    if message.issued_at_seconds < int(challenge.issued_at) - clock_skew:
        raise InvalidNonce("the message's Issued At is before its nonce was issued")


async def check_signature(context: "SignInContext", message_text: str, message: SiweMessage, signature: str) -> None:
    signature_bytes = decode_signature(signature)
    if context.verifier.signed_by_key(message_text, message.address, signature_bytes):
        return
    await wallet_approved(context, message.address, [(message_text, message)], signature_bytes)


async def wallet_approved(
    context: "SignInContext", address: str, candidates: list[tuple[str, SiweMessage]], signature: bytes
) -> SiweMessage:
    """The first of the candidate messages (text, parsed) whose signature the smart-contract wallet at
    `address` accepts, for a signature its key did not make: one validator call per chain, whatever the
    number of candidates. InvalidSignature when it accepts none; a chain without nodes is skipped, and its
    refusal is the answer when no chain with nodes accepts it either."""
    verifier = context.verifier
    by_chain: dict[int, list[tuple[str, SiweMessage]]] = {}
    for text, message in candidates:
        by_chain.setdefault(message.chain_id, []).append((text, message))
    askable: list[int] = []
    refusal = InvalidSignature()
    for chain_id in by_chain:
        try:
            verifier.check_askable(chain_id, signature)
        except InvalidSignature as exc:
            refusal = exc
        else:
            askable.append(chain_id)
    if not askable:
        raise refusal
    await context.failures.ensure_available()
    session = verifier.session()
    for chain_id in askable:
        messages = by_chain[chain_id]
        index = await verifier.wallet_accepts(session, address, chain_id, [text for text, _ in messages], signature)
        if index is not None:
            return messages[index][1]
    await context.failures.spend()
    raise refusal


def new_session(message: SiweMessage, settings: Settings, now: float) -> Session:
    """A session for the message's address, chain and domain, ending AUTH_REFRESH_TTL from now whatever
    happens, and AUTH_SESSION_IDLE_TTL from now unless refreshed."""
    created_at = int(now)
    expires_at = created_at + settings.refresh_ttl
    idle_expires_at = min(created_at + settings.idle_ttl, expires_at)
    return Session(new_id(), message.address, message.chain_id, created_at, expires_at, message.domain, idle_expires_at)


def grant(session: Session, refresh_token: str, tokens: TokenService, now: float) -> Grant:
    """The token response: a new access token (never outliving the session) beside `refresh_token`, and how
    long the session lives unless refreshed (its idle end, or its absolute end if sooner). A session stored
    before sessions kept their domain is taken for the first AUTH_DOMAINS entry's."""
    issued_at = int(now)
    access_token, expires_in = tokens.mint_access(
        subject=session.address,
        chain_id=session.chain_id,
        session_id=session.session_id,
        now=issued_at,
        not_after=session.ends_at,
        domain=session.domain or None,
    )
    refresh_expires_in = session.ends_at - issued_at
    return Grant(
        access_token,
        expires_in,
        refresh_token,
        refresh_expires_in,
        session.address,
        session.chain_id,
        session.session_id,
    )


@dataclass(frozen=True, slots=True)
class SignInContext:
    """What a sign-in works with."""

    store: Store
    tokens: TokenService
    settings: Settings
    budget: SignInBudget
    verifier: SignatureVerifier
    failures: FailureBudget


async def open_session(context: SignInContext, message: SiweMessage, now: float) -> Grant:
    """Consume the message's nonce and open its session (Store.redeem_challenge), then mint the tokens."""
    session = new_session(message, context.settings, now)
    refresh_token, refresh_hash = new_refresh_token(session.session_id)
    if not await context.store.redeem_challenge(message.nonce, session, refresh_hash):
        raise InvalidNonce("the nonce was used by a concurrent sign-in")
    return grant(session, refresh_token, context.tokens, now)


async def sign_in(context: SignInContext, *, message_text: str, signature: str, now: float) -> Grant:
    """Verify a signed message and open a session."""
    message = checked_message(message_text, context.settings, now)
    await context.budget.ensure_available(message.address)
    check_challenge(
        await context.store.find_challenge(message.address, message.nonce), message, context.settings.clock_skew
    )
    await check_signature(context, message_text, message, signature)
    await context.budget.spend(message.address)
    return await open_session(context, message, now)


async def sign_in_with_address(context: SignInContext, *, address: str, signature: str, now: float) -> Grant:
    """Sign in with one of the messages issued to `address` (EIP-55) and still outstanding, for frontends that
    sign the challenge's `message` and send back only the signature. Trying each, not just the last, means
    that someone else asking for a challenge for this address does not spoil the sign-in (within the limits
    of app.stores.base.dropped_for). A message that no longer passes the checks without a store (issued
    under other AUTH_DOMAINS or AUTH_CHAIN_IDS, say, or by a replica whose clock runs ahead) is skipped, not
    fatal: the request fails only when no message is usable, with the refusal of the newest one when none
    passes those checks, else invalid_signature. Key signatures are tried on every usable message first,
    without any RPC call; then the contract wallet, asked about all of them in one call per chain."""
    await context.budget.ensure_available(address)
    challenges = await context.store.outstanding_challenges(address)
    if not challenges:
        raise InvalidNonce("no outstanding challenge for this address")
    signature_bytes = decode_signature(signature)  # before parsing up to OUTSTANDING_CHALLENGES messages
    candidates, refusals = usable_messages(challenges, context.settings, now)
    if not candidates:
        raise refusals[0]  # challenges come newest first
    for text, message in candidates:
        if context.verifier.signed_by_key(text, address, signature_bytes):
            await context.budget.spend(address)
            return await open_session(context, message, now)
    # the key signed none of them (above): only a contract wallet's answer is left to ask, in one call
    message = await wallet_approved(context, address, candidates, signature_bytes)
    await context.budget.spend(address)
    return await open_session(context, message, now)


def usable_messages(
    challenges: list[Challenge], settings: Settings, now: float
) -> tuple[list[tuple[str, SiweMessage]], list[AuthError]]:
    """The challenges' messages that pass checked_message now, in order, as (text, message); and the refusals
    of the others, in the same order."""
    usable: list[tuple[str, SiweMessage]] = []
    refusals: list[AuthError] = []
    for challenge in challenges:
        try:
            usable.append((challenge.message, checked_message(challenge.message, settings, now)))
        except AuthError as exc:  # checked_message reads no store: whatever it refuses is a policy refusal
            refusals.append(exc)
    return usable, refusals
