"""Sign-in: a signed EIP-4361 message in, a session and its tokens out.

The checks run on the exact text that was signed, cheapest first, and the nonce is consumed only after
the signature has been verified, so a forged request can neither burn a user's nonce nor cost us any
cryptography unless it names an outstanding nonce:

    parse (ABNF, canonical form; ReCap) -> domain, scheme, chain -> URI -> lifetime and time window -> (several
    messages of one sign-in: one nonce, one address, one message per chain, one ReCap) -> the wallet
    and the client have sign-in budget left (counts nothing) -> nonce look-up (consumes nothing) -> signature
    (EIP-6492, EIP-191, EIP-1271: app.domain.signatures.verifier; only there may an RPC call happen, once the
    client's budget of contract-wallet refusals allows it) -> spend both budgets -> consume the nonce and open
    the session (Store.redeem_challenge; at AUTH_MAX_SESSIONS it refuses, consuming nothing) -> mint the tokens
    (with the message's domain, and its audience)

A sign-in may be several messages, one per chain, all signed by one address over one nonce (One-Click Auth:
a wallet signs one CACAO per chain): each passes every check and its signature is verified before the nonce is
consumed once, for one session whose accounts are all of them (CAIP-10). A session gains accounts later the same
way (add_accounts), with a fresh nonce.
"""

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from app.domain import policy
from app.domain.messages import SiweMessage, parse_message
from app.domain.policy import SessionPolicy, SignInPolicy
from app.domain.recaps import read_recap
from app.domain.signatures.verifier import ChainSession, SignatureVerifier
from app.domain.tokens import TokenService, new_id, new_refresh_token
from app.errors import (
    AccountsFixed,
    AuthError,
    InvalidBatch,
    InvalidMessage,
    InvalidNonce,
    InvalidSignature,
    InvalidToken,
    LastAccount,
    UnknownAccount,
    shown,
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
    accounts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountsGrant:
    """A session's accounts once changed, and an access token that says so."""

    access_token: str
    expires_in: int
    accounts: tuple[str, ...]


MAX_BATCH = 16  # messages in one sign-in: one per chain
MAX_ACCOUNTS = 16  # accounts of one session, whatever AUTH_CHAIN_IDS lists: they all go into its tokens
# The ReCap a session keeps, as the JSON its tokens carry (non-ASCII escaped, as PyJWT writes it): caveats are
# not shown in the statement, so a message well under 8 KiB could otherwise mint a token no check accepts
MAX_RECAP_CLAIM = 2048


@dataclass(frozen=True, slots=True)
class Signed:
    """One signed message of a sign-in: the exact text, as parsed, and its signature."""

    text: str
    message: SiweMessage
    signature: str


def account_of(message: SiweMessage) -> str:
    """The message's CAIP-10 account."""
    return f"eip155:{message.chain_id}:{message.address}"


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


def checked_message(message_text: str, accepted: SignInPolicy, now: float) -> SiweMessage:
    """Steps that need no store: the message parses (its ReCap, if any, too), names our origin, chain and an
    allowed URI, lives no longer than AUTH_MAX_MESSAGE_LIFETIME, and is valid now."""
    message = parse_message(message_text)
    read_recap(message.statement, message.resources)  # a ReCap must be well formed and match the statement
    policy.check_origin(message, accepted.domains, accepted.chain_ids)
    policy.check_uri(message, accepted.uris)
    policy.check_lifetime(message, accepted.max_message_lifetime)
    policy.check_validity_window(message, now, accepted.clock_skew)
    return message


def checked_batch(entries: Sequence[tuple[str, str]], accepted: SignInPolicy, now: float) -> tuple[list[Signed], str]:
    """checked_message for each (text, signature) of one sign-in; then they must share one nonce and one
    address, name each chain once and grant one ReCap (InvalidBatch otherwise): the messages, and that ReCap
    as its session keeps it (recap_of)."""
    signed = [Signed(text, checked_message(text, accepted, now), signature) for text, signature in entries]
    first = signed[0].message
    if any(entry.message.nonce != first.nonce for entry in signed):
        raise InvalidBatch("the messages of one sign-in must carry one nonce")
    if any(entry.message.address != first.address for entry in signed):
        raise InvalidBatch("the messages of one sign-in must name one address")
    chains = [entry.message.chain_id for entry in signed]
    if len(set(chains)) != len(chains):
        raise InvalidBatch("the messages of one sign-in must name each chain once")
    recaps = {recap_of(entry.message) for entry in signed}
    if len(recaps) > 1:
        raise InvalidBatch("the messages of one sign-in must grant the same ReCap (or none)")
    return signed, recaps.pop()


def check_challenge(challenge: Challenge | None, messages: Sequence[SiweMessage], clock_skew: float) -> None:
    """The nonce is outstanding, was issued for the messages' domain (a challenge also for their address and
    chain, so for one message), and not after any of them."""
    first = messages[0]
    if challenge is None or challenge.nonce != first.nonce:
        raise InvalidNonce()
    if any(message.domain != challenge.domain for message in messages):
        raise InvalidNonce()
    if not challenge.is_open and (
        challenge.address != first.address or any(message.chain_id != challenge.chain_id for message in messages)
    ):
        raise InvalidNonce()  # a challenge is for one message: its address and chain (several chains: /auth/nonce)
    # whole seconds: Issued At may be written with less precision than the clock that issued the nonce
    if any(message.issued_at_seconds < int(challenge.issued_at) - clock_skew for message in messages):
        raise InvalidNonce("the message's Issued At is before its nonce was issued")


async def check_signatures(context: "SignInContext", signed: Sequence[Signed]) -> None:
    """Each message's signature is the address's: its key's, checked for all of them first (no RPC call), then
    a contract wallet's answer for the others, all in one RPC session (one AUTH_RPC_TIMEOUT for the request)."""
    decoded = [(entry, decode_signature(entry.signature)) for entry in signed]
    verifier = context.verifier
    pending = [(e, sig) for e, sig in decoded if not verifier.signed_by_key(e.text, e.message.address, sig)]
    shared_session = functools.cache(verifier.session)  # opened (its deadline starting) at the first call
    for entry, signature in pending:
        candidates = [(entry.text, entry.message)]
        await wallet_approved(context, entry.message.address, candidates, signature, rpc_session=shared_session)


async def wallet_approved(
    context: "SignInContext",
    address: str,
    candidates: list[tuple[str, SiweMessage]],
    signature: bytes,
    *,
    rpc_session: Callable[[], ChainSession] | None = None,
) -> SiweMessage:
    """The first of the candidate messages (text, parsed) whose signature the smart-contract wallet at
    `address` accepts, for a signature its key did not make: one validator call per chain, whatever the
    number of candidates. InvalidSignature when it accepts none; a chain without nodes is skipped, and its
    refusal is the answer when no chain with nodes accepts it either. The calls go through the session
    `rpc_session` gives (one deadline for a whole request) when given, else through one of their own."""
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
    session = rpc_session() if rpc_session is not None else verifier.session()
    for chain_id in askable:
        messages = by_chain[chain_id]
        index = await verifier.wallet_accepts(session, address, chain_id, [text for text, _ in messages], signature)
        if index is not None:
            return messages[index][1]
    await context.failures.spend()
    raise refusal


def recap_of(message: SiweMessage) -> str:
    """The ReCap a message grants (checked_message checked it), as the JSON its session keeps; "" for none."""
    recap = read_recap(message.statement, message.resources)
    if recap is None:
        return ""
    claim = json.dumps(recap.as_claim(), separators=(",", ":"))
    if len(claim) > MAX_RECAP_CLAIM:
        raise InvalidMessage(f"the ReCap is too large for a token claim: {len(claim)} > {MAX_RECAP_CLAIM} characters")
    return claim


def new_session(messages: Sequence[SiweMessage], lifetimes: SessionPolicy, now: float, recap: str = "") -> Session:
    """A session for the messages' address and domain, with an account per message (the first one's chain
    its chain_id), ending AUTH_REFRESH_TTL from now whatever happens, and AUTH_SESSION_IDLE_TTL from now
    unless refreshed."""
    first = messages[0]
    created_at = int(now)
    expires_at = created_at + lifetimes.refresh_ttl
    idle_expires_at = min(created_at + lifetimes.idle_ttl, expires_at)
    accounts = ",".join(account_of(message) for message in messages)
    return Session(
        new_id(),
        first.address,
        first.chain_id,
        created_at,
        expires_at,
        first.domain,
        idle_expires_at,
        accounts,
        recap,
    )


def mint_access(session: Session, tokens: TokenService, now: int) -> tuple[str, int]:
    """An access token of the session as it is (never outliving it)."""
    return tokens.mint_access(
        subject=session.address,
        chain_id=session.chain_id,
        session_id=session.session_id,
        now=now,
        not_after=session.ends_at,
        domain=session.domain or None,
        accounts=session.account_ids,
        recap=json.loads(session.recap) if session.recap else None,
    )


def grant(session: Session, refresh_token: str, tokens: TokenService, now: float) -> Grant:
    """The token response: a new access token (never outliving the session) beside `refresh_token`, and how
    long the session lives unless refreshed (its idle end, or its absolute end if sooner). A session stored
    before sessions kept their domain is taken for the first AUTH_DOMAINS entry's."""
    issued_at = int(now)
    access_token, expires_in = mint_access(session, tokens, issued_at)
    refresh_expires_in = session.ends_at - issued_at
    return Grant(
        access_token,
        expires_in,
        refresh_token,
        refresh_expires_in,
        session.address,
        session.chain_id,
        session.session_id,
        session.account_ids,
    )


@dataclass(frozen=True, slots=True)
class SignInContext:
    """What a sign-in works with."""

    store: Store
    tokens: TokenService
    policy: SignInPolicy
    sessions: SessionPolicy
    budget: SignInBudget
    verifier: SignatureVerifier
    failures: FailureBudget


async def open_session(context: SignInContext, messages: Sequence[SiweMessage], now: float, recap: str = "") -> Grant:
    """Consume the messages' nonce and open their session (Store.redeem_challenge), then mint the tokens."""
    session = new_session(messages, context.sessions, now, recap)
    refresh_token, refresh_hash = new_refresh_token(session.session_id)
    if not await context.store.redeem_challenge(messages[0].nonce, session, refresh_hash):
        raise InvalidNonce("the nonce was used by a concurrent sign-in")
    return grant(session, refresh_token, context.tokens, now)


async def sign_in(context: SignInContext, *, message_text: str, signature: str, now: float) -> Grant:
    """Verify a signed message and open a session."""
    return await sign_in_batch(context, [(message_text, signature)], now=now)


async def verify_batch(context: SignInContext, signed: Sequence[Signed]) -> None:
    """The rest of a sign-in's checks, once the messages passed checked_batch: their nonce is outstanding for
    them and each signature is the address's; then the wallet's budgets are spent. Consumes nothing."""
    first = signed[0].message
    await context.budget.ensure_available(first.address)
    challenge = await context.store.find_challenge(first.address, first.nonce)
    check_challenge(challenge, [entry.message for entry in signed], context.policy.clock_skew)
    await check_signatures(context, signed)
    await context.budget.spend(first.address)


async def sign_in_batch(context: SignInContext, entries: Sequence[tuple[str, str]], *, now: float) -> Grant:
    """Verify the signed messages of one sign-in (one or one per chain) and open one session for them all."""
    signed, recap = checked_batch(entries, context.policy, now)
    await verify_batch(context, signed)
    return await open_session(context, [entry.message for entry in signed], now, recap)


async def add_accounts(
    context: SignInContext, session_id: str, entries: Sequence[tuple[str, str]], *, now: float
) -> AccountsGrant:
    """Add the chains of signed messages (checked as a sign-in's, with a fresh nonce) to an open session of
    the same address and domain. Their ReCap, if any, is checked but grants nothing more: the session keeps
    the one it was opened with. An OpenID Connect client's session keeps its accounts (AccountsFixed): its
    ID tokens' sub is the account it signed in with."""
    session = await context.store.find_session(session_id)
    if session is None:
        raise InvalidToken("the session has ended")
    if session.client_id:
        raise AccountsFixed()
    signed, _ = checked_batch(entries, context.policy, now)  # its ReCap grants nothing more to the session
    first = signed[0].message
    if (first.address, first.domain) != (session.address, session.domain or context.policy.domains[0]):
        raise InvalidBatch("the messages must name the session's address and domain")
    added = tuple(account_of(entry.message) for entry in signed)
    if len({*session.account_ids, *added}) > MAX_ACCOUNTS:
        raise InvalidBatch(f"a session holds at most {MAX_ACCOUNTS} accounts")
    await verify_batch(context, signed)
    if not await context.store.consume_challenge(first.address, first.nonce):
        raise InvalidNonce("the nonce was used by a concurrent sign-in")
    changed = await context.store.change_accounts(session_id, add=added)
    if changed is None:
        raise InvalidToken("the session has ended")
    return accounts_grant(changed, context.tokens, now)


async def remove_account(
    store: Store, tokens: TokenService, session_id: str, account: str, *, now: float
) -> AccountsGrant:
    """Take one CAIP-10 account (its address in any case) out of an open session; never its last one, and
    never from an OpenID Connect client's session (AccountsFixed, as in add_accounts)."""
    session = await store.find_session(session_id)
    if session is None:
        raise InvalidToken("the session has ended")
    if session.client_id:
        raise AccountsFixed()
    matching = [known for known in session.account_ids if known.lower() == account.lower()]
    if not matching:
        raise UnknownAccount(f"this session has no account {shown(account, 120)}")
    if len(session.account_ids) == 1:
        raise LastAccount()
    changed = await store.change_accounts(session_id, remove=matching[0])
    if changed is None:
        raise InvalidToken("the session has ended")
    if matching[0] in changed.account_ids:  # concurrent removals left only this one
        raise LastAccount()
    return accounts_grant(changed, tokens, now)


def accounts_grant(session: Session, tokens: TokenService, now: float) -> AccountsGrant:
    access_token, expires_in = mint_access(session, tokens, int(now))
    return AccountsGrant(access_token, expires_in, session.account_ids)


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
    candidates, refusals = usable_messages(challenges, context.policy, now)
    if not candidates:
        raise refusals[0]  # challenges come newest first
    for text, message in candidates:
        if context.verifier.signed_by_key(text, address, signature_bytes):
            await context.budget.spend(address)
            return await open_session(context, [message], now, recap_of(message))
    # the key signed none of them (above): only a contract wallet's answer is left to ask, in one call
    message = await wallet_approved(context, address, candidates, signature_bytes)
    await context.budget.spend(address)
    return await open_session(context, [message], now, recap_of(message))


def usable_messages(
    challenges: list[Challenge], accepted: SignInPolicy, now: float
) -> tuple[list[tuple[str, SiweMessage]], list[AuthError]]:
    """The challenges' messages that pass checked_message now, in order, as (text, message); and the refusals
    of the others, in the same order."""
    usable: list[tuple[str, SiweMessage]] = []
    refusals: list[AuthError] = []
    for challenge in challenges:
        try:
            usable.append((challenge.message, checked_message(challenge.message, accepted, now)))
        except AuthError as exc:  # checked_message reads no store: whatever it refuses is a policy refusal
            refusals.append(exc)
    return usable, refusals
